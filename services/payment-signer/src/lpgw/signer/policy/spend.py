"""The decisions taken before anything is signed: is this offer acceptable, which budgets to
charge, when must the caller refresh. Pure (the chain view is a snapshot read)."""

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from lpgw.pm import SenderLimits
from lpgw.pm.chain import ChainView, validate_params
from lpgw.pm.errors import FaceValueTooHigh, TicketEVTooHigh, TicketParamsError
from lpgw.pm.validation import params_expired
from lpgw.signer.errors import InvalidRequest, ParamsRejected, RefreshNeeded
from lpgw.signer.policy.ceilings import GLOBAL_LIMIT, Ceiling, MaxPrice, ceiling_for, check_ceilings
from lpgw.signer.policy.limits import CLIENT_BUDGET, JOB_BUDGET, Budget, SpendLimits, check_ticket
from lpgw.signer.policy.offer import Offer
from lpgw.state import Keys

#: Auth tokens live 1800 s; like the reference, refresh within the last 10 % (180 s).
AUTH_REFRESH_S = 180
#: Job counters outlive any job or stream by far.
JOB_SPEND_TTL_S = 7 * 24 * 3600


@dataclass(frozen=True)
class PaymentPolicy:
    """The operator's spend controls (from SignerSettings)."""

    limits: SpendLimits
    max_prices: tuple[MaxPrice, ...] = ()
    global_max_price: Fraction | None = None
    nonce_refresh_at: int = 500
    payment_ttl_s: int = 600
    credit_headroom: int = 1
    client_budget_wei: int | None = None
    budget_period_s: int = 86400
    job_budget_wei: int | None = None

    def ceiling(self, pipeline: str, model_id: str) -> Ceiling | None:
        return ceiling_for(pipeline, model_id, self.max_prices, self.global_max_price)

    def global_ceiling(self) -> Ceiling | None:
        if self.global_max_price is None:
            return None
        return Ceiling(self.global_max_price, GLOBAL_LIMIT)


def check_offer(
    offer: Offer,
    *,
    ceilings: Sequence[Ceiling | None],
    chain: ChainView,
    sender: bytes,
    limits: SpendLimits,
) -> None:
    """Price ceilings (481), then the reference params validation (400) with our caps (403)."""
    price = offer.price
    if price is not None:
        check_ceilings(price, ceilings)
    elif offer.pays_with_tickets:
        raise InvalidRequest("orchestrator has ticket params but no price_info")
    params = offer.params
    if params is None:
        return
    deposit = chain.sender_info(sender).deposit
    try:
        validate_params(
            chain,
            params,
            sender=sender,
            limits=SenderLimits(
                max_ticket_ev=limits.max_ticket_ev,
                max_total_ev=limits.max_total_ev,
                deposit_multiplier=limits.deposit_multiplier,
            ),
        )
    except (TicketEVTooHigh, FaceValueTooHigh) as exc:
        check_ticket(params, limits, deposit)  # the same cap, told with its excess
        raise ParamsRejected(str(exc)) from None
    except TicketParamsError as exc:
        raise ParamsRejected(str(exc)) from None
    check_ticket(params, limits, deposit)


def check_fresh(offer: Offer, latest_block: int, now: float, *, needs_token: bool = True) -> None:
    """480 when the auth token is about to expire or the params are (nearly) expired.

    Payment sessions pass `needs_token=False`: an offer built from a BYOC JobToken has no auth
    token (nothing to refresh; the session's own expiry bounds it), only its params are
    checked. An offer without a token stays a 480 for `/generate-live-payment`.
    """
    info = offer.info
    token_checked = needs_token or info.HasField("auth_token")
    if token_checked and info.auth_token.expiration - now < AUTH_REFRESH_S:
        raise RefreshNeeded("auth token expires soon: refresh the session", info.transcoder)
    if offer.params is not None and params_expired(offer.params, latest_block):
        raise RefreshNeeded("ticket params expired: refresh the session", info.transcoder)


def budgets_for(
    policy: PaymentPolicy, keys: Keys, *, client: str, job: str, now: float
) -> list[Budget]:
    """The counters one call charges: its client's period and its job (or stream), when
    configured."""
    budgets = []
    if policy.client_budget_wei is not None:
        period = int(now // policy.budget_period_s)
        budgets.append(
            Budget(
                limit=CLIENT_BUDGET,
                key=keys.client_spend(client, period),
                allowed=policy.client_budget_wei,
                ttl_s=2 * policy.budget_period_s,
                scope=f"client {client!r}",
            )
        )
    if policy.job_budget_wei is not None and job:
        budgets.append(
            Budget(
                limit=JOB_BUDGET,
                key=keys.job_spend(job),
                allowed=policy.job_budget_wei,
                ttl_s=JOB_SPEND_TTL_S,
                scope=f"job {job!r}",
            )
        )
    return budgets


def refresh_needed(
    orchestrator_url: str, counter: int, count: int, refresh_at: int
) -> RefreshNeeded:
    """Too many tickets under these params: the caller must get fresh ones (480)."""
    return RefreshNeeded(
        f"ticket params already used for {counter} tickets; {count} more would pass "
        f"{refresh_at}: refresh the OrchestratorInfo (GetOrchestrator) and retry",
        orchestrator_url,
    )
