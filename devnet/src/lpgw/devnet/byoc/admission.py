"""Admitting a `POST /process/request/{route}` job, in the reference's order (wire.md §7.6).

1 decode `Livepeer` (timeout 0 → its own text, anything else `Could not verify job creds`),
2 the signature over request ‖ parameters by `sender` (payments on), 3 one capacity slot →
503, 4 with a price: the attached payment into (sender, capability name), a refusal only
logged, then a balance of 60 s × price → 400, 5 `request` a JSON object → 400. A refusal after
step 3 gives the slot back.
"""

import json
import logging
from dataclasses import dataclass
from fractions import Fraction

from lpgw.devnet.byoc.billing import JobAccount
from lpgw.devnet.byoc.errors import (
    InsufficientJobBalance,
    JobCredentialsRefused,
    MalformedJobDetails,
)
from lpgw.devnet.byoc.registry import Registration, Slot
from lpgw.devnet.errors import PaymentRejected
from lpgw.devnet.node import Node
from lpgw.devnet.payments import Payments
from lpgw.eth import InvalidAddress, parse_address, to_checksum
from lpgw.wire.byoc import (
    MIN_BALANCE_SECONDS,
    InvalidJobRequest,
    InvalidJobSignature,
    JobRequest,
    MissingJobTimeout,
    signature_bytes,
)
from lpgw.wire.errors import MalformedPayment
from lpgw.wire.headers import decode_payment

log = logging.getLogger(__name__)

ZERO_ADDRESS = bytes(20)


@dataclass
class AdmittedJob:
    job: JobRequest
    slot: Slot
    account: JobAccount

    @property
    def registration(self) -> Registration:
        return self.slot.registration


def _decode(header: str) -> JobRequest:
    try:
        return JobRequest.decode(header)
    except MissingJobTimeout:
        raise
    except InvalidJobRequest as exc:
        raise JobCredentialsRefused() from exc


def _sender(job: JobRequest, verify: bool) -> bytes:
    """Verified on-chain; off-chain the signature's hex is still read, as the reference does."""
    try:
        if verify:
            return job.verify()
        signature_bytes(job.sig)
    except InvalidJobSignature as exc:
        raise JobCredentialsRefused() from exc
    try:
        return parse_address(job.sender.lower())
    except InvalidAddress:
        return ZERO_ADDRESS


async def _pay(payments: Payments, header: str, bucket: str) -> None:
    """An empty header is no payment; an unreadable or refused one is logged, not fatal."""
    if not header:
        return
    refusal: Exception | None
    try:
        refusal = await payments.credit(decode_payment(header), bucket)
    except (MalformedPayment, PaymentRejected) as exc:
        refusal = exc
    if refusal is not None:
        log.info("byoc_payment_refused", extra={"capability": bucket, "error": str(refusal)})


async def admit(node: Node, job_header: str, payment_header: str) -> AdmittedJob:
    """Raises the devnet's BYOC errors or lpgw.wire's MissingJobTimeout."""
    job = _decode(job_header)
    sender = _sender(job, verify=node.payments is not None)
    slot = node.byoc.reserve(job.capability)
    try:
        price = Fraction(0) if node.payments is None else slot.registration.price
        account = JobAccount(node.payments, sender, job.capability, price)
        if node.payments is not None and price > 0:
            await _pay(node.payments, payment_header, job.capability)
            if account.balance() < MIN_BALANCE_SECONDS * price:
                raise InsufficientJobBalance()
        try:
            details = json.loads(job.request)
        except ValueError as exc:
            raise MalformedJobDetails(str(exc)) from exc
        if not isinstance(details, dict):
            raise MalformedJobDetails("request is not a JSON object")
    except BaseException:
        slot.release()
        raise
    log.info(
        "byoc_job_admitted",
        extra={
            "job": job.id,
            "capability": job.capability,
            "sender": to_checksum(sender),
            "timeout_s": job.timeout_seconds,
        },
    )
    return AdmittedJob(job=job, slot=slot, account=account)
