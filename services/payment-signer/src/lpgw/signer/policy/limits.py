"""Spend controls on top of the ticket maths: EV caps, face value cap, ticket count, budgets.

Each refusal names the setting that refused and by how much, so an operator reading a 4xx
knows which knob to turn. Pure: the budget counters themselves live in budget_store.py.
"""

import math
from dataclasses import dataclass
from fractions import Fraction

from lpgw.pm import TicketParams
from lpgw.pm.rationals import rat_string
from lpgw.signer.errors import BudgetExceeded, EvCapExceeded, Excess, InvalidRequest

MAX_TICKET_EV = "SIGNER_MAX_TICKET_EV"
MAX_TOTAL_EV = "SIGNER_MAX_TOTAL_EV"
MAX_FACE_VALUE = "SIGNER_MAX_FACE_VALUE"
DEPOSIT_FACE_VALUE = "SIGNER_DEVNET_DEPOSIT_WEI / SIGNER_DEPOSIT_MULTIPLIER"
CLIENT_BUDGET = "SIGNER_CLIENT_BUDGET_WEI"
JOB_BUDGET = "SIGNER_JOB_BUDGET_WEI"


@dataclass(frozen=True)
class SpendLimits:
    max_ticket_ev: Fraction
    max_total_ev: Fraction
    max_face_value: int | None
    max_tickets: int
    deposit_multiplier: int = 1


def _ev_refusal(what: str, limit: str, allowed: Fraction, requested: Fraction) -> EvCapExceeded:
    excess = requested - allowed
    return EvCapExceeded(
        f"{what} {rat_string(requested)} wei exceeds {limit} {rat_string(allowed)} wei "
        f"by {rat_string(excess)}",
        Excess(
            limit=limit,
            allowed=rat_string(allowed),
            requested=rat_string(requested),
            excess=rat_string(excess),
        ),
    )


def check_ticket(params: TicketParams, limits: SpendLimits, deposit: int) -> None:
    """One ticket's EV and face value against the caps (free params pass)."""
    ev = params.ev
    if ev <= 0:
        return
    if ev > limits.max_ticket_ev:
        raise _ev_refusal("ticket EV", MAX_TICKET_EV, limits.max_ticket_ev, ev)
    by_deposit = deposit // limits.deposit_multiplier
    cap, name = by_deposit, DEPOSIT_FACE_VALUE
    if limits.max_face_value is not None and limits.max_face_value < by_deposit:
        cap, name = limits.max_face_value, MAX_FACE_VALUE
    if params.face_value > cap:
        raise _ev_refusal("ticket face value", name, Fraction(cap), Fraction(params.face_value))


def check_batch(ev: Fraction, num_tickets: int, limits: SpendLimits) -> None:
    """The tickets of one call: their count, then their total EV."""
    if num_tickets > limits.max_tickets:
        raise InvalidRequest(f"numTickets {num_tickets} exceeds maximum of {limits.max_tickets}")
    total = ev * num_tickets
    if total > limits.max_total_ev:
        raise _ev_refusal(
            f"total EV of {num_tickets} tickets", MAX_TOTAL_EV, limits.max_total_ev, total
        )


def spend_wei(ev: Fraction, num_tickets: int) -> int:
    """What a call costs against budgets: its tickets' EV, rounded up to whole wei."""
    return math.ceil(ev * num_tickets)


@dataclass(frozen=True)
class Budget:
    """One counter to charge: a client per period, or a job (or stream)."""

    limit: str
    key: str
    allowed: int
    ttl_s: int
    scope: str


def budget_refusal(budget: Budget, spent_before: int, amount: int) -> BudgetExceeded:
    remaining = max(budget.allowed - spent_before, 0)
    excess = amount - remaining
    return BudgetExceeded(
        f"{budget.scope} budget {budget.limit}={budget.allowed} wei: this call needs {amount} wei "
        f"of ticket EV, {remaining} wei remain, excess {excess} wei",
        Excess(
            limit=budget.limit, allowed=str(remaining), requested=str(amount), excess=str(excess)
        ),
    )
