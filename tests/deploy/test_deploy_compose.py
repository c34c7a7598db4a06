"""compose.yaml: valid Compose, runs console scripts, follows the contract, isolates the signer."""

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

THIRD_PARTY = frozenset({"nats", "redis"})


def check_compose_schema(path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with its vendored Compose specification schema: no network needed."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def compose(repo_root: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((repo_root / "compose.yaml").read_text())
    return loaded


@pytest.fixture(scope="module")
def ours(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run the lpgw image, by service name."""
    return {n: s for n, s in compose["services"].items() if n not in THIRD_PARTY}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "environment is written as a map"
    return {str(k): str(v) for k, v in env.items()}


def test_compose_file_matches_the_compose_specification(repo_root: Path) -> None:
    result = check_compose_schema(repo_root / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_compose_file(repo_root: Path, tmp_path: Path) -> None:
    broken = (repo_root / "compose.yaml").read_text()
    broken = broken.replace("    deploy:\n      replicas: 2\n", "    deploy:\n      replica: 2\n")
    assert "replica: 2" in broken
    path = tmp_path / "compose.yaml"
    path.write_text(broken)
    result = check_compose_schema(path)
    assert result.returncode != 0
    assert "replica" in result.stdout + result.stderr


def test_every_lpgw_service_runs_its_console_script(
    ours: dict[str, dict[str, Any]],
    console_scripts: frozenset[str],
    contract_scripts: dict[str, str],
    kind_of: Callable[[str], str],
) -> None:
    assert {kind_of(name) for name in ours} == set(contract_scripts)
    for name, service in ours.items():
        command = service["command"]
        assert isinstance(command, list), f"{name}: command is an exec-form list"
        assert command[0] in console_scripts, f"{name}: {command[0]} is no console script"
        assert command[0] == contract_scripts[kind_of(name)], name


def test_environment_uses_only_contract_variables(
    ours: dict[str, dict[str, Any]],
    contract_env: dict[str, frozenset[str]],
    secret_env: frozenset[str],
    kind_of: Callable[[str], str],
) -> None:
    for name, service in ours.items():
        names = set(environment(service))
        unknown = names - contract_env[kind_of(name)]
        assert not unknown, f"{name}: variables outside the contract: {sorted(unknown)}"
        assert not names & secret_env, f"{name}: secrets go through compose secrets files"


def test_http_services_listen_on_their_contract_port_with_a_healthcheck(
    ours: dict[str, dict[str, Any]],
    contract_ports: dict[str, int],
    kind_of: Callable[[str], str],
) -> None:
    for name, service in ours.items():
        port = contract_ports[kind_of(name)]
        probe = " ".join(service["healthcheck"]["test"])
        if kind_of(name) == "devnet":
            assert f"'127.0.0.1', {port}" in probe, name
            assert f"--port {port}" in " ".join(service["command"]), name
            continue
        env = environment(service)
        assert env["HTTP_HOST"] == "0.0.0.0", name
        assert env["HTTP_PORT"] == str(port), name
        assert f"http://127.0.0.1:{port}/healthz" in probe, name


def test_public_ports_and_replicas(ours: dict[str, dict[str, Any]]) -> None:
    published = {name: s.get("ports", []) for name, s in ours.items() if s.get("ports")}
    assert published == {"intake": ["8935:8935", "1935:1935"], "delivery": ["8937:8937"]}
    assert ours["session"]["deploy"]["replicas"] == 2


def test_depends_on_waits_for_health(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for dependency, rule in service.get("depends_on", {}).items():
            assert dependency in compose["services"], f"{name} -> {dependency}"
            assert rule["condition"] in {"service_healthy", "service_started"}, name
            assert "healthcheck" in compose["services"][dependency], dependency


def test_payment_signer_is_reachable_only_from_session_and_selector(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    signer = services["payment-signer"]
    assert compose["networks"]["signer"]["internal"] is True
    assert signer["networks"] == ["signer"]
    assert "ports" not in signer
    on_signer_network = {n for n, s in services.items() if "signer" in s.get("networks", [])}
    # Redis (nonces, credit) and NATS (audit stream) are there because the signer uses them;
    # neither opens connections to the signer.
    assert on_signer_network == {"payment-signer", "selector", "session", "redis", "nats"}
    assert signer["build"]["target"] == "payment-signer"


def test_signer_secrets_are_files_outside_the_repository(
    compose: dict[str, Any], repo_root: Path
) -> None:
    secrets_dir = repo_root / "deploy" / "compose" / "secrets"
    ignore_rules = (secrets_dir / ".gitignore").read_text().split()
    assert "*" in ignore_rules
    for name, secret in compose["secrets"].items():
        path = (repo_root / secret["file"]).resolve()
        assert path.parent == secrets_dir, name
    holders = {
        secret: {n for n, s in compose["services"].items() if secret in s.get("secrets", [])}
        for secret in compose["secrets"]
    }
    assert holders == {
        "signer_keystore_password": {"payment-signer"},
        "signer_token": {"payment-signer", "selector", "session"},
    }
    for name, service in compose["services"].items():
        for key, value in environment(service).items():
            if key.endswith("_FILE") and value.startswith("/run/secrets/"):
                assert value.removeprefix("/run/secrets/") in service["secrets"], (name, key)


def test_devnets_have_distinct_prices_and_advertise_their_service_names(
    ours: dict[str, dict[str, Any]],
) -> None:
    devnets = {name: s for name, s in ours.items() if name.startswith("devnet")}
    assert len(devnets) == 2
    prices = set()
    for name, service in devnets.items():
        args = " ".join(service["command"])
        assert f"--service-host {name}" in args
        match = re.search(r"--price (\d+)", args)
        assert match, name
        prices.add(match.group(1))
    assert len(prices) == 2
    configured = environment(ours["selector"])["SELECTOR_ORCHESTRATORS"].split(",")
    assert configured == [f"https://{name}:8950" for name in sorted(devnets)]


def test_each_service_accepts_its_compose_environment(
    ours: dict[str, dict[str, Any]],
    settings_loader: Callable[[str, dict[str, str]], BaseSettings | None],
    kind_of: Callable[[str], str],
) -> None:
    checked = {
        name
        for name, service in ours.items()
        if kind_of(name) != "devnet" and settings_loader(kind_of(name), environment(service))
    }
    assert checked, "no service settings class could be imported"


def test_devnet_accepts_its_compose_arguments(ours: dict[str, dict[str, Any]]) -> None:
    cli = pytest.importorskip("lpgw.devnet.cli")
    for name in ("devnet-a", "devnet-b"):
        command = ours[name]["command"]
        settings = cli.load_settings(command[1:])
        assert (settings.host, settings.port, settings.uri_host) == ("0.0.0.0", 8950, name)
