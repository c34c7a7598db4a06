"""The signer's statuses as error types: what each call's answer means to the caller."""

import pytest
from lpgw.signer_client.errors import (
    BudgetExhausted,
    Call,
    InvalidPaymentRequest,
    JobNotSigned,
    OfferRefused,
    PaymentCapExceeded,
    PaymentError,
    PaymentRefused,
    PriceAboveCeiling,
    RefreshNeeded,
    SignerUnavailable,
    UnknownPayment,
    UnknownSession,
    refusal_for,
)


@pytest.mark.parametrize(
    ("status", "call", "kind"),
    [
        pytest.param(481, Call.OPEN, PriceAboveCeiling, id="481 price ceiling: skip it"),
        pytest.param(403, Call.OPEN, PaymentCapExceeded, id="403 EV or face value cap: skip it"),
        pytest.param(429, Call.PAY, BudgetExhausted, id="429 budget: the job ends"),
        pytest.param(400, Call.OPEN, OfferRefused, id="400 to open: params refused, refresh"),
        pytest.param(480, Call.PAY, RefreshNeeded, id="480 refresh the offer"),
        pytest.param(404, Call.PAY, UnknownSession, id="404 to pay: open the session again"),
        pytest.param(404, Call.SETTLE, UnknownPayment, id="404 to settle: nothing to do"),
        pytest.param(400, Call.PAY, InvalidPaymentRequest, id="400 to pay: our own bug"),
        pytest.param(409, Call.PAY, InvalidPaymentRequest, id="409 key reused: our own bug"),
        pytest.param(404, Call.OPEN, SignerUnavailable, id="404 to open: wrong signer URL"),
        pytest.param(503, Call.PAY, SignerUnavailable, id="503 signer down: hand the job back"),
        pytest.param(401, Call.PAY, SignerUnavailable, id="401 wrong token: hand the job back"),
        pytest.param(400, Call.SIGN_JOB, JobNotSigned, id="400 to sign a job: the job's text"),
        pytest.param(404, Call.SIGN_JOB, SignerUnavailable, id="404 to sign a job: old signer"),
        pytest.param(503, Call.SIGN_JOB, SignerUnavailable, id="503 to sign a job: audit down"),
    ],
)
def test_each_status_means_one_thing_to_each_call(
    status: int, call: Call, kind: type[PaymentError]
) -> None:
    refusal = refusal_for(status, "why", call)
    assert type(refusal) is kind


def test_a_refusal_is_never_mistaken_for_the_signer_being_down() -> None:
    assert not issubclass(UnknownSession, SignerUnavailable)
    assert not issubclass(UnknownPayment, SignerUnavailable)
    assert issubclass(UnknownPayment, PaymentRefused)
