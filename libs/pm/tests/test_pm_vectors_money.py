"""Every accounting, fee, BYOC signature and ABI vector of vectors/pm.json, one case each."""

import base64
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from lpgw.eth import PrivateKey, keccak256, parse_address, recover_sign, to_checksum
from lpgw.pm import abi
from lpgw.pm.balances import Balances, UpdateStatus, settle, stage_update
from lpgw.pm.fees import (
    TRANSCODE_ESTIMATE_MULTIPLIER,
    Profile,
    live_units,
    transcode_estimated_pixels,
    transcode_fee_estimate,
)
from lpgw.pm.params import ExpirationParams
from lpgw.pm.price import Price
from lpgw.pm.tickets import Ticket

VECTORS = Path(__file__).resolve().parents[3] / "vectors" / "pm.json"
GROUPS: dict[str, list[dict[str, Any]]] = json.loads(VECTORS.read_text())["groups"]
TESTED = ("sender_accounting", "fee_math", "byoc", "abi_selectors", "abi_calldata")


def cases(group: str) -> list[Any]:
    return [pytest.param(vector, id=vector["id"]) for vector in GROUPS[group]]


CASES = {group: cases(group) for group in TESTED}


@pytest.mark.parametrize("group", TESTED)
def test_every_vector_of_the_group_is_a_case(group: str) -> None:
    assert GROUPS[group], group
    assert len(CASES[group]) == len(GROUPS[group])
    assert len({case.id for case in CASES[group]}) == len(GROUPS[group])


def rational(values: dict[str, str], name: str) -> Fraction:
    return Fraction(int(values[f"{name}_numerator"]), int(values[f"{name}_denominator"]))


@pytest.mark.parametrize("vector", CASES["sender_accounting"])
def test_sender_accounting(vector: dict[str, Any]) -> None:
    inputs, expected = vector["inputs"], vector["expected"]
    fee = rational(inputs, "fee")
    ev = rational(inputs, "ticket_ev")
    existing = rational(inputs, "existing_credit")

    update = stage_update(existing, fee, ev)
    assert update.num_tickets == int(expected["num_tickets"])
    assert update.new_credit == rational(expected, "new_credit")
    after = settle(update, UpdateStatus.RECEIVED_CHANGE)
    assert after == rational(expected, "balance_after_success")

    # The same through the ledger: reserve, request, settle against the estimated fee.
    ledger = Balances()
    orchestrator = bytes(20)
    ledger.credit(orchestrator, "bucket", existing)
    staged = ledger.stage(orchestrator, "bucket", fee, ev)
    assert ledger.balance(orchestrator, "bucket") == 0
    ledger.complete(orchestrator, "bucket", staged, UpdateStatus.RECEIVED_CHANGE)
    assert ledger.balance(orchestrator, "bucket") == rational(expected, "balance_after_success")


@pytest.mark.parametrize("vector", CASES["fee_math"])
def test_fee_math(vector: dict[str, Any]) -> None:
    inputs, expected = vector["inputs"], vector["expected"]
    price = Price.of(int(inputs["price_per_unit"]), int(inputs["pixels_per_unit"]))
    if "profiles" in inputs:
        profiles = [
            Profile(int(p["width"]), int(p["height"]), int(p["fps"]), int(p["fps_den"]))
            for p in inputs["profiles"]
        ]
        duration = Fraction(inputs["segment_duration_s"])
        assert transcode_estimated_pixels(profiles, duration) == int(
            expected["estimated_out_pixels"]
        )
        assert rational(expected, "multiplier_1_02") == TRANSCODE_ESTIMATE_MULTIPLIER
        fee = transcode_fee_estimate(profiles, duration, price)
        assert fee == rational(expected, "fee")
        assert int(fee) == int(expected["fee_floor_wei"])
        return
    initial = live_units(int(inputs["initial_seconds"]))
    interval = live_units(int(inputs["interval_seconds"]))
    assert initial == int(expected["initial_units"])
    assert interval == int(expected["interval_units"])
    assert price.fee(initial) == rational(expected, "initial_fee")
    assert price.fee(interval) == rational(expected, "interval_fee")


@pytest.mark.parametrize("vector", CASES["byoc"])
def test_byoc_signatures(vector: dict[str, Any]) -> None:
    inputs, expected = vector["inputs"], vector["expected"]
    key = PrivateKey(bytes.fromhex(inputs["private_key_hex"]))
    message = expected["signed_message_utf8"].encode()
    sig = "0x" + key.sign(message).hex()
    assert sig == expected["sig"]
    if "addr" in inputs:
        assert message.decode() == inputs["addr"] == key.checksum_address
        header = json.dumps({"addr": key.checksum_address, "sig": sig}, separators=(",", ":"))
        assert header == expected["header_json"]
        assert base64.b64encode(header.encode()).decode() == expected["Livepeer-Eth-Address"]
        return
    assert message == (inputs["request"] + inputs["parameters"]).encode()
    assert keccak256(message).hex() == expected["keccak_message_hex"]
    assert key.checksum_address == expected["sender"]
    assert (
        to_checksum(recover_sign(message, bytes.fromhex(sig[2:]))) == expected["recovered_address"]
    )


@pytest.mark.parametrize("vector", CASES["abi_selectors"])
def test_abi_selectors(vector: dict[str, Any]) -> None:
    inputs, expected = vector["inputs"], vector["expected"]
    if "signature" in inputs:
        assert "0x" + abi.selector(inputs["signature"]).hex() == expected["selector"]
    elif "controller_contract_name" in inputs:
        name_hash = abi.contract_name_hash(inputs["controller_contract_name"])
        assert name_hash.hex() == expected["keccak_name_hex"]
    else:
        assert abi.event_topic(inputs["event_signature"]).hex() == expected["topic0_hex"]


def vector_ticket(values: dict[str, str]) -> Ticket:
    ticket = Ticket(
        recipient=parse_address(values["recipient"]),
        sender=parse_address(values["sender"]),
        face_value=int(values["face_value"]),
        win_prob=int(values["win_prob"]),
        sender_nonce=int(values["sender_nonce"]),
        recipient_rand_hash=bytes.fromhex(values["recipient_rand_hash_hex"]),
        expiration_params=ExpirationParams(
            int(values["creation_round"]), bytes.fromhex(values["creation_round_block_hash_hex"])
        ),
    )
    assert ticket.aux_data.hex() == values["aux_data_hex"]
    return ticket


@pytest.mark.parametrize("vector", CASES["abi_calldata"])
def test_abi_calldata(vector: dict[str, Any]) -> None:
    inputs, expected = vector["inputs"], vector["expected"]
    function = inputs["function"]
    if function == abi.FUND_DEPOSIT_AND_RESERVE:
        calldata = abi.encode_call(function, int(inputs["deposit"]), int(inputs["reserve"]))
    elif function == abi.REDEEM_WINNING_TICKET:
        ticket = vector_ticket(inputs["ticket"])
        sig = bytes.fromhex(inputs["sig_hex"])
        calldata = abi.redeem_winning_ticket(ticket, sig, int(inputs["recipient_rand"]))
    else:
        assert function == abi.GET_SENDER_INFO
        sender = parse_address(expected["calldata_for_sender"])
        calldata = abi.encode_call(function, sender)
        info = abi.decode_sender_info(bytes.fromhex(expected["returndata_hex"]))
        assert info.deposit == int(inputs["deposit"])
        assert info.withdraw_round == int(inputs["withdraw_round"])
        assert info.reserve_funds_remaining == int(inputs["reserve_funds_remaining"])
        assert info.reserve_claimed_in_current_round == int(
            inputs["reserve_claimed_in_current_round"]
        )
    assert calldata.hex() == expected["calldata_hex"]
