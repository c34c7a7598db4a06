"""The decisions of `/generate-live-payment` (payments.md §11.3), as pure functions.

Each step raises the reference's error for its failure; live_payment.py runs them in the
reference order around the Redis, audit and webhook calls.
"""

import secrets
from datetime import datetime
from fractions import Fraction

from lpgw.pm import Price, TicketParams
from lpgw.pm.errors import PriceMoreThanDoubled
from lpgw.pm.fees import signer_units
from lpgw.pm.price import PRICE_INCREASE_THRESHOLD, check_price_drift
from lpgw.pm.rationals import rat_string
from lpgw.signer.errors import Excess, InvalidRequest, PriceCeilingExceeded
from lpgw.signer.live.request import LiveRequest
from lpgw.signer.live.state import LiveState, decode_state
from lpgw.signer.policy.ceilings import Ceiling
from lpgw.signer.policy.spend import PaymentPolicy
from lpgw.wire.capabilities import pipeline_for_capability
from lpgw.wire.errors import UnknownPipeline
from lpgw.wire.net import lp_rpc_pb2 as pb


def same_address(a: str, b: str) -> bool:
    return a.lower().removeprefix("0x") == b.lower().removeprefix("0x")


def restored_state(request: LiveRequest, raw: bytes, orchestrator_address: str) -> LiveState:
    """A verified state blob (signature already checked) with the request's consistency checks."""
    state = decode_state(raw)
    if not same_address(state.orchestrator_address, orchestrator_address):
        raise InvalidRequest("orchestratorAddress mismatch")
    if request.app != state.app:
        raise InvalidRequest("app mismatch")
    if request.job_type is not None and state.type and request.job_type != state.type:
        raise InvalidRequest("job type mismatch")
    job_type = state.type or (request.job_type or "")
    return state.next(type=job_type, sequence_number=state.sequence_number + 1)


def new_state(request: LiveRequest, orchestrator_address: str, now: datetime) -> LiveState:
    price = request.offer.info.price_info
    return LiveState(
        state_id=secrets.token_hex(16),
        pm_session_id="",
        last_update=now,
        orchestrator_address=orchestrator_address,
        app=request.app,
        auth_expiry=0,
        sender_nonce=0,
        balance=Fraction(0),
        initial_price_per_unit=price.pricePerUnit,
        initial_pixels_per_unit=price.pixelsPerUnit,
        type=request.job_type or "",
        sequence_number=0,
        auth_id="",
    )


def nonce_floor(state: LiveState, params: TicketParams) -> int:
    """The last nonce the state used under these params (0 for new params)."""
    return state.sender_nonce if state.pm_session_id == params.session_id else 0


def billable_units(state: LiveState, first: bool, in_pixels: int, now: datetime) -> Fraction:
    seconds = None if first else Fraction((now - state.last_update).total_seconds())
    if seconds is not None and seconds < 0:
        seconds = Fraction(0)
    units = signer_units(state.type, seconds_since_update=seconds, in_pixels=in_pixels)
    if units <= 0:
        raise InvalidRequest("missing billable unit or job type")
    return units


def capability_models(capabilities: pb.Capabilities | None) -> list[tuple[str, str]]:
    """(pipeline, model) pairs named in the capabilities' per-capability constraints."""
    if capabilities is None:
        return []
    pairs: list[tuple[str, str]] = []
    for capability, constraints in capabilities.constraints.PerCapability.items():
        try:
            pipeline = pipeline_for_capability(capability)
        except UnknownPipeline:
            continue
        models = list(constraints.models) or ["default"]
        pairs.extend((pipeline, model) for model in models)
    return pairs


def live_ceilings(
    policy: PaymentPolicy, request: LiveRequest, state: LiveState, first: bool
) -> list[Ceiling | None]:
    """Configured (per capability, else global), the request's maxPrice, the initial price."""
    pairs = capability_models(request.capabilities)
    ceilings = [policy.ceiling(p, m) for p, m in pairs] or [policy.global_ceiling()]
    if request.max_price is not None:
        ceilings.append(Ceiling(request.max_price, "request maxPrice"))
    if not first:
        ceilings.append(Ceiling(state.initial_price, "initial price"))
    return ceilings


def check_drift(price: Price, initial: Fraction) -> None:
    """481 when the price more than doubled since the state's first call (lpgw.pm, §4.3)."""
    try:
        check_price_drift(price, Price(initial))
    except PriceMoreThanDoubled as exc:
        allowed = initial * PRICE_INCREASE_THRESHOLD
        raise PriceCeilingExceeded(
            str(exc),
            Excess(
                limit="2 × initial price",
                allowed=rat_string(allowed),
                requested=rat_string(price.value),
                excess=rat_string(price.value - allowed),
            ),
        ) from exc
