"""What a payment answered and what it did to the credit, as stored for retries and settling.

The answer is kept byte for byte: a call repeated with the same idempotency key gets the very
tickets of the first one, never new ones (which would be a payment the budgets never saw).
"""

import json
from dataclasses import asdict, dataclass
from fractions import Fraction

from lpgw.pm.rationals import parse_rat, rat_string
from lpgw.signer.policy.credit import Purchase


@dataclass(frozen=True)
class Answer:
    """The body of a payment's 200 answer."""

    payment_id: str
    payment: str
    """base64 protobuf Payment, for `Livepeer-Payment`."""
    segment: str
    """base64 signed SegData, for `Livepeer-Segment`."""
    tickets: int
    fee: str
    credit: str
    """Our credit with the orchestrator after this payment (if its request is answered)."""


@dataclass(frozen=True)
class PaymentRecord:
    client: str
    session_id: str
    recipient: str
    bucket: str
    units: int
    price: Fraction
    bought: Purchase
    fingerprint: str
    answer: Answer
    account: str = ""
    """The API key id whose spend the fee was added to ("": none); a staged settlement takes
    it back out."""
    free: bool = False
    """The orchestrator takes no tickets: no credit moved, only the account's spend (such a
    payment has a record only when made for an account)."""

    def to_json(self) -> str:
        return json.dumps(
            {
                "client": self.client,
                "session_id": self.session_id,
                "recipient": self.recipient,
                "bucket": self.bucket,
                "units": self.units,
                "price": rat_string(self.price),
                "tickets": self.bought.tickets,
                "new_credit": rat_string(self.bought.new_credit),
                "fee": rat_string(self.bought.fee),
                "fingerprint": self.fingerprint,
                "answer": asdict(self.answer),
                "account": self.account,
                "free": self.free,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> "PaymentRecord":
        document = json.loads(text)
        return cls(
            client=document["client"],
            session_id=document["session_id"],
            recipient=document["recipient"],
            bucket=document["bucket"],
            units=int(document["units"]),
            price=parse_rat(document["price"]),
            bought=Purchase(
                tickets=int(document["tickets"]),
                new_credit=parse_rat(document["new_credit"]),
                fee=parse_rat(document["fee"]),
            ),
            fingerprint=document["fingerprint"],
            answer=Answer(**document["answer"]),
            account=str(document.get("account", "")),  # absent in records of older replicas
            free=bool(document.get("free", False)),
        )
