"""Configuration: DEVNET_* variables, flags that override them, and derived prices."""

import datetime
from fractions import Fraction

import pytest
from lpgw.devnet.certificates import self_signed
from lpgw.devnet.cli import load_settings
from pydantic import ValidationError


def test_defaults() -> None:
    settings = load_settings([])

    assert (settings.host, settings.port, settings.plain, settings.capacity) == (
        "127.0.0.1",
        8950,
        False,
        4,
    )
    assert settings.models == ["stabilityai/sdxl-turbo", "ByteDance/SDXL-Lightning"]
    assert settings.model_price("stabilityai/sdxl-turbo") == 1000


def test_flags_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVNET_PORT", "9000")
    monkeypatch.setenv("DEVNET_CAPACITY", "2")
    monkeypatch.setenv("DEVNET_MODELS", "a/one, b/two")

    settings = load_settings(["--port", "0", "--plain"])

    assert (settings.port, settings.capacity, settings.plain) == (0, 2, True)
    assert settings.models == ["a/one", "b/two"]


@pytest.mark.parametrize(
    ("argv", "model", "price"),
    [
        pytest.param(["--price", "7"], "m", Fraction(7), id="one price for every model"),
        pytest.param(
            ["--price", "7", "--pixels-per-unit", "2"], "m", Fraction(7, 2), id="rational"
        ),
        pytest.param(
            ["--model-price", "m=5", "--price", "7"], "m", Fraction(5), id="model override"
        ),
        pytest.param(["--model-price", "m=5"], "other", Fraction(1000), id="others keep default"),
    ],
)
def test_prices(argv: list[str], model: str, price: Fraction) -> None:
    assert load_settings(argv).model_price(model) == price


def test_json_model_prices_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVNET_MODEL_PRICES", '{"m": 12}')

    assert load_settings([]).model_price("m") == 12


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--failure-rate", "1.5"], id="failure rate above 1"),
        pytest.param(["--pixels-per-unit", "0"], id="zero denominator"),
        pytest.param(["--price", "-1"], id="negative price"),
        pytest.param(["--models", " , "], id="no model"),
        pytest.param(["--key-hex", "12" * 31], id="short key"),
    ],
)
def test_invalid_values_are_refused(argv: list[str]) -> None:
    with pytest.raises(ValidationError):
        load_settings(argv)


def test_every_certificate_is_new() -> None:
    now = datetime.datetime.now(datetime.UTC)

    assert self_signed("127.0.0.1", now) != self_signed("127.0.0.1", now)


def test_a_bad_key_is_not_echoed() -> None:
    with pytest.raises(ValidationError) as refused:
        load_settings(["--key-hex", "zz" * 32])

    assert "zz" not in str(refused.value)


def test_byoc_flags_and_their_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVNET_BYOC_CAPABILITIES", "a, b")
    monkeypatch.setenv("DEVNET_ORCH_SECRET", "from-env")

    from_env = load_settings([])
    flags = load_settings(
        [
            *("--byoc-capability", "x", "--byoc-capability", "y", "--byoc-price", "2.5"),
            *("--orch-secret", "s3cret", "--byoc-debit-interval-ms", "100"),
        ]
    )

    assert from_env.byoc_capabilities == ["a", "b"]
    assert flags.byoc_capabilities == ["x", "y"]
    assert flags.byoc_price_per_second == Fraction(5, 2)
    assert flags.orch_secret is not None and flags.orch_secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(flags)
    assert flags.byoc_debit_interval_ms == 100
    assert load_settings([]).byoc_capacity == 4


def test_byoc_defaults_serve_nothing() -> None:
    settings = load_settings([])

    assert settings.byoc_capabilities == [] and settings.orch_secret is None
    assert (settings.byoc_price, settings.byoc_debit_interval_ms) == (1000, 5000)
