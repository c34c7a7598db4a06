"""Nonce rules (payments.md §5) for the sender counter and the recipient's seen-sets."""

import pytest
from lpgw.eth import to_checksum
from lpgw.pm.errors import NonceAlreadySeen, ReceiveError, TooManyNonces
from lpgw.pm.nonces import (
    MAX_SENDER_NONCES,
    MemoryNonceStore,
    SeenNonces,
    batch_nonces,
    drop_expired,
    record_nonce,
    reserve_nonces,
)

SENDER = bytes(range(20))
RAND_A = bytes([1]) * 32
RAND_B = bytes([2]) * 32


@pytest.mark.parametrize(
    ("last_used", "count", "expected"),
    [
        pytest.param(0, 1, [1], id="the first ticket under fresh params has nonce 1"),
        pytest.param(0, 3, [1, 2, 3], id="a batch takes consecutive nonces"),
        pytest.param(5, 2, [6, 7], id="a later batch continues after the last used nonce"),
        pytest.param(5, 0, [], id="an empty batch takes nothing"),
        pytest.param(2**32 - 2, 1, [2**32 - 1], id="the last uint32 nonce is usable"),
    ],
)
def test_sender_batches(last_used: int, count: int, expected: list[int]) -> None:
    assert list(batch_nonces(last_used, count)) == expected


def test_sender_nonces_stop_at_uint32() -> None:
    with pytest.raises(ValueError, match="uint32"):
        batch_nonces(2**32 - 1, 1)


async def test_the_sender_counter_is_per_params_and_restarts_with_new_params() -> None:
    store = MemoryNonceStore()
    assert list(await reserve_nonces(store, SENDER, RAND_A, 2)) == [1, 2]
    assert list(await reserve_nonces(store, SENDER, RAND_A, 3)) == [3, 4, 5]
    assert list(await reserve_nonces(store, SENDER, RAND_B, 1)) == [1]
    assert list(await reserve_nonces(store, bytes(20), RAND_A, 1)) == [1]


def seen(*nonces: int, expiration_block: int = 140) -> SeenNonces:
    return SeenNonces(expiration_block, frozenset(nonces))


def test_the_first_nonce_opens_a_seen_set_with_the_params_expiry() -> None:
    assert record_nonce(None, sender=SENDER, nonce=7, expiration_block=140) == seen(7)


@pytest.mark.parametrize(
    ("before", "nonce", "after"),
    [
        pytest.param(seen(1), 2, seen(1, 2), id="a new nonce is recorded"),
        pytest.param(seen(5), 3, seen(3, 5), id="nonces need not increase"),
        pytest.param(
            seen(*range(1, MAX_SENDER_NONCES)),
            1000,
            seen(*range(1, MAX_SENDER_NONCES), 1000),
            id="the 600th distinct nonce is accepted",
        ),
    ],
)
def test_recipient_accepts(before: SeenNonces, nonce: int, after: SeenNonces) -> None:
    assert record_nonce(before, sender=SENDER, nonce=nonce, expiration_block=140) == after


@pytest.mark.parametrize(
    ("before", "nonce", "error"),
    [
        pytest.param(seen(1, 2), 2, NonceAlreadySeen, id="a repeated nonce is refused"),
        pytest.param(
            seen(*range(1, MAX_SENDER_NONCES + 1)),
            1000,
            TooManyNonces,
            id="a new nonce after 600 is refused",
        ),
        pytest.param(
            seen(*range(1, MAX_SENDER_NONCES + 1)),
            5,
            NonceAlreadySeen,
            id="a repeat is reported before the cap",
        ),
    ],
)
def test_recipient_refuses(before: SeenNonces, nonce: int, error: type[ReceiveError]) -> None:
    with pytest.raises(error) as caught:
        record_nonce(before, sender=SENDER, nonce=nonce, expiration_block=140)
    reason = "already seen" if error is NonceAlreadySeen else "too many values"
    assert str(caught.value) == (
        f"invalid ticket senderNonce: {reason} sender={to_checksum(SENDER)} nonce={nonce}"
    )
    assert caught.value.fatal is False


@pytest.mark.parametrize(
    ("latest_l1_block", "kept"),
    [
        pytest.param(99, {RAND_A, RAND_B}, id="live params keep their nonces"),
        pytest.param(100, {RAND_B}, id="nonces are dropped once expiration block <= latest block"),
        pytest.param(200, set(), id="everything expires eventually"),
    ],
)
def test_expired_seen_sets_are_dropped(latest_l1_block: int, kept: set[bytes]) -> None:
    table = {RAND_A: seen(1, expiration_block=100), RAND_B: seen(1, expiration_block=101)}
    assert set(drop_expired(table, latest_l1_block)) == kept
