"""The decisions taken before anything is signed: is this offer acceptable, which budgets to
charge, when must the caller refresh. Pure (the chain view is a snapshot read)."""

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from lpgw.pm import SenderLimits
from lpgw.pm.chain import ChainView, validate_params
from lpgw.pm.errors import FaceValueTooHigh, TicketEVTooHigh, TicketParamsError
from lpgw.signer.ceilings import GLOBAL_LIMIT, Ceiling, MaxPrice, ceiling_for, check_ceilings
from lpgw.signer.errors import InvalidRequest, ParamsRejected, RefreshNeeded
from lpgw.signer.limits import CLIENT_BUDGET, SESSION_BUDGET, Budget, SpendLimits, check_ticket
from lpgw.signer.offer import Offer
from lpgw.state import Keys

#: Session counters outlive any job or stream by far.
SESSION_SPEND_TTL_S = 7 * 24 * 3600


@dataclass(frozen=True)
class PaymentPolicy:
    """The operator's spend controls (from SignerSettings)."""

    limits: SpendLimits
    max_prices: tuple[MaxPrice, ...] = ()
    global_max_price: Fraction | None = None
    nonce_refresh_at: int = 500
    pending_ttl_s: int = 600
    client_budget_wei: int | None = None
    budget_period_s: int = 86400
    session_budget_wei: int | None = None

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


def budgets_for(
    policy: PaymentPolicy, keys: Keys, *, client: str, session: str, now: float
) -> list[Budget]:
    """The counters one call charges: its client's period and its session, when configured."""
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
    if policy.session_budget_wei is not None and session:
        budgets.append(
            Budget(
                limit=SESSION_BUDGET,
                key=keys.session_spend(session),
                allowed=policy.session_budget_wei,
                ttl_s=SESSION_SPEND_TTL_S,
                scope=f"session {session!r}",
            )
        )
    return budgets


def refresh_needed(offer: Offer, counter: int, count: int, refresh_at: int) -> RefreshNeeded:
    """Too many tickets under these params: the caller must get fresh ones (480)."""
    return RefreshNeeded(
        f"ticket params already used for {counter} tickets; {count} more would pass "
        f"{refresh_at}: refresh the OrchestratorInfo (GetOrchestrator) and retry",
        offer.transcoder,
    )
