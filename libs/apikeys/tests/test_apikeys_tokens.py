"""The key format and the script's answers, pure: no server."""

import hashlib
import subprocess
import sys

import pytest
from lpgw.apikeys.admission import Admitted, Refused, Throttled, decide
from lpgw.apikeys.records import RateLimit, decode_record, decode_spend
from lpgw.apikeys.tokens import MalformedKey, format_key, new_key_id, new_secret, parse_key

KEY_ID = "0123456789ab"
SECRET = "s3cr3t-_" + "A" * 35


def test_a_made_key_parses_back_to_its_id_and_the_secrets_digest() -> None:
    key_id, secret = new_key_id(), new_secret()
    presented = parse_key(format_key(key_id, secret))
    assert presented.key_id == key_id
    assert presented.digest == hashlib.sha256(secret.encode()).hexdigest()


def test_secrets_carry_at_least_128_random_bits() -> None:
    secrets = {new_secret() for _ in range(100)}
    assert len(secrets) == 100
    assert all(len(s) * 6 >= 128 for s in secrets)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param(f"sk_{KEY_ID}_{SECRET}", id="another mark"),
        pytest.param(f"lpgw_{KEY_ID}{SECRET}", id="no separator"),
        pytest.param(f"lpgw_0123456789AB_{SECRET}", id="upper-case id"),
        pytest.param(f"lpgw_0123_{SECRET}", id="short id"),
        pytest.param(f"lpgw_{KEY_ID}_short", id="short secret"),
        pytest.param(f"lpgw_{KEY_ID}_{SECRET} ", id="trailing space"),
        pytest.param(f"lpgw_{KEY_ID}_{SECRET}\n", id="trailing newline"),
        pytest.param(f"lpgw_{KEY_ID}_{SECRET[:-1]}=", id="not URL-safe"),
        pytest.param(f"lpgw_{KEY_ID}_{'A' * 129}", id="too long"),
    ],
)
def test_malformed_keys_are_refused_without_quoting_them(text: str) -> None:
    with pytest.raises(MalformedKey) as caught:
        parse_key(text)
    assert str(caught.value) == "invalid API key"


def test_a_presented_keys_repr_shows_no_digest() -> None:
    presented = parse_key(format_key(KEY_ID, SECRET))
    assert presented.digest not in repr(presented)
    assert KEY_ID in repr(presented)


@pytest.mark.parametrize(
    ("reply", "decision"),
    [
        pytest.param([1, b"alice"], Admitted(KEY_ID, "alice"), id="admitted with its name"),
        pytest.param([0, b"unknown"], Refused(KEY_ID, "unknown"), id="no such key"),
        pytest.param([0, b"revoked"], Refused(KEY_ID, "revoked"), id="revoked"),
        pytest.param([0, b"mismatch"], Refused(KEY_ID, "mismatch"), id="wrong secret"),
        pytest.param([0, b"other"], Refused(KEY_ID, "mismatch"), id="anything else refuses"),
        pytest.param([2, b"1500000"], Throttled(KEY_ID, 1.5), id="throttled, microseconds"),
    ],
)
def test_script_answers_become_decisions(reply: list[bytes | int], decision: object) -> None:
    assert decide(KEY_ID, reply) == decision


def test_records_decode_without_their_hash() -> None:
    raw: dict[bytes | str, bytes | str] = {
        b"name": b"alice",
        b"sha256": b"ab" * 32,
        b"created": b"1700000000.250",
        b"rate_per_minute": b"0",
    }
    record = decode_record(KEY_ID, raw)
    assert record is not None
    assert record.active and record.rate_per_minute == 0 and record.name == "alice"
    assert record.created.timestamp() == 1700000000.25
    assert "ab" * 32 not in repr(record)
    assert decode_record(KEY_ID, {}) is None
    assert decode_spend(None, None) == decode_spend(b"0", b"0")
    assert decode_spend(b"12", b"3").wei == 12


def test_a_rate_limit_needs_a_burst() -> None:
    with pytest.raises(ValueError, match="burst"):
        RateLimit(per_minute=10, burst=0)


def test_the_pure_parts_import_neither_redis_nor_pydantic() -> None:
    code = (
        "import sys, lpgw.apikeys, lpgw.apikeys.tokens, lpgw.apikeys.admission, "
        "lpgw.apikeys.records\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('redis', 'pydantic')))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
