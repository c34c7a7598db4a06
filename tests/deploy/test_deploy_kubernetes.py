"""deploy/: kustomize folders are complete, every manifest is valid Kubernetes 1.31, and the
manifests keep the promises of the design (signer isolation, probes, non-root, contract env).

Validation is offline: kubernetes-validate ships the Kubernetes JSON schemas. When kubectl is on
PATH, the overlays are also rendered with its built-in kustomize and the output validated.
"""

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from pydantic import ValidationError
from pydantic_settings import BaseSettings

KUBERNETES_VERSION = "1.31"
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet"})
LPGW_IMAGES = frozenset({"lpgw", "lpgw-payment-signer"})
SECRET_PLACEHOLDER = "0" * 64

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"

Manifest = dict[str, Any]


def documents(path: Path) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def kustomization(folder: Path) -> Manifest:
    loaded: Manifest = yaml.safe_load((folder / "kustomization.yaml").read_text())
    return loaded


def kustomize_folders() -> list[Path]:
    return sorted(p.parent for p in DEPLOY.rglob("kustomization.yaml"))


def resource_files(folder: Path) -> list[Path]:
    """Files a kustomization lists as resources, following folders (other kustomizations)."""
    files: list[Path] = []
    for entry in kustomization(folder).get("resources", []):
        target = (folder / entry).resolve()
        if target.is_dir():
            files.extend(resource_files(target))
        else:
            files.append(target)
    return files


def patch_files(folder: Path) -> list[Path]:
    return [(folder / p["path"]).resolve() for p in kustomization(folder).get("patches", [])]


def validate(manifest: Manifest) -> None:
    """Strict schema validation; a kind the schemas do not know is an error, not a warning."""
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def all_resources(folder: Path) -> list[Manifest]:
    return [doc for path in resource_files(folder) for doc in documents(path)]


def workloads(manifests: list[Manifest]) -> Iterator[Manifest]:
    return (m for m in manifests if m["kind"] in WORKLOAD_KINDS)


def image_name(image: str) -> str:
    return image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image


def container_env(container: Manifest, manifests: list[Manifest]) -> dict[str, str]:
    """The variables a container starts with; a secret's value stands in as 64 hex zeros."""
    configmaps = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "ConfigMap"}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(configmaps[source["configMapRef"]["name"]]["data"])
    for entry in container.get("env", []):
        env[entry["name"]] = entry.get("value", SECRET_PLACEHOLDER)
    return env


def lpgw_containers(manifests: list[Manifest]) -> Iterator[tuple[str, Manifest]]:
    """(workload name, container) for every container running an lpgw image."""
    for workload in workloads(manifests):
        for container in workload["spec"]["template"]["spec"]["containers"]:
            if image_name(container["image"]) in LPGW_IMAGES:
                yield workload["metadata"]["name"], container


def base_manifests() -> list[Manifest]:
    return all_resources(DEPLOY / "base")


@pytest.mark.parametrize("folder", kustomize_folders(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_kustomization_lists_files_that_exist(folder: Path) -> None:
    config = kustomization(folder)
    assert config["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert config["kind"] == "Kustomization"
    for entry in config.get("resources", []):
        target = folder / entry
        assert target.is_file() or (target / "kustomization.yaml").is_file(), entry
    for path in patch_files(folder):
        assert path.is_file(), path


def test_every_yaml_file_under_deploy_is_listed_by_its_kustomization() -> None:
    listed: set[Path] = set()
    for folder in kustomize_folders():
        listed.update(p for p in resource_files(folder) if p.parent == folder)
        listed.update(patch_files(folder))
        listed.add(folder / "kustomization.yaml")
    present = {p.resolve() for p in DEPLOY.rglob("*.y*ml")}
    assert present - listed == set(), "YAML files that no kustomization uses"


@pytest.mark.parametrize(
    "path",
    sorted({p for folder in kustomize_folders() for p in resource_files(folder)}),
    ids=lambda p: str(p.relative_to(DEPLOY)),
)
def test_manifest_is_valid_kubernetes(path: Path) -> None:
    manifests = documents(path)
    assert manifests, path
    for manifest in manifests:
        validate(manifest)


def test_validation_rejects_a_broken_manifest(tmp_path: Path) -> None:
    broken = (
        (DEPLOY / "base" / "intake.yaml").read_text().replace("  replicas: 2\n", "  replica: 2\n")
    )
    path = tmp_path / "intake.yaml"
    path.write_text(broken)
    deployment = next(m for m in documents(path) if m["kind"] == "Deployment")
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
    typo_kind = {**deployment, "kind": "Deploymnet"}
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        validate(typo_kind)


def test_patches_target_listed_resources_and_containers() -> None:
    for folder in kustomize_folders():
        targets = {(m["kind"], m["metadata"]["name"]): m for m in all_resources(folder)}
        for path in patch_files(folder):
            for patch in documents(path):
                key = (patch["kind"], patch["metadata"]["name"])
                assert key in targets, f"{path.name} patches missing {key}"
                if patch["kind"] not in WORKLOAD_KINDS:
                    continue
                pod = targets[key]["spec"]["template"]["spec"]
                names = {c["name"] for c in pod["containers"]}
                for container in patch["spec"]["template"]["spec"]["containers"]:
                    assert container["name"] in names, f"{path.name}: {container['name']}"


def test_network_policy_admits_exactly_session_and_selector_to_the_signer() -> None:
    manifests = base_manifests()
    signer_labels = next(
        m["spec"]["template"]["metadata"]["labels"]
        for m in workloads(manifests)
        if m["metadata"]["name"] == "payment-signer"
    )
    policies = [
        m
        for m in manifests
        if m["kind"] == "NetworkPolicy"
        and m["spec"]["podSelector"]["matchLabels"].items() <= signer_labels.items()
    ]
    assert len(policies) == 1
    policy = policies[0]["spec"]
    assert "Ingress" in policy["policyTypes"]
    admitted: set[str] = set()
    for rule in policy["ingress"]:
        assert [p["port"] for p in rule["ports"]] == [8939]
        for peer in rule["from"]:
            assert set(peer) == {"podSelector"}, "no namespace or IP peers"
            admitted.add(peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"])
    assert admitted == {"session", "selector"}
    by_name = {m["metadata"]["name"]: m for m in workloads(manifests)}
    for name in admitted:
        pod_labels = by_name[name]["spec"]["template"]["metadata"]["labels"]
        assert pod_labels["app.kubernetes.io/name"] == name


def test_ingress_routes_stream_to_delivery_and_the_rest_to_intake() -> None:
    ingress = next(m for m in base_manifests() if m["kind"] == "Ingress")
    routes = {
        p["path"]: p["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    assert routes == {"/": "intake", "/stream/": "delivery"}


def test_workloads_are_probed_limited_and_unprivileged() -> None:
    for folder in kustomize_folders():
        for workload in workloads(all_resources(folder)):
            name = workload["metadata"]["name"]
            pod = workload["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True, name
            assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
            assert pod.get("automountServiceAccountToken") is False, name
            for container in pod["containers"]:
                security = container["securityContext"]
                assert security["allowPrivilegeEscalation"] is False, name
                assert security["readOnlyRootFilesystem"] is True, name
                assert security["capabilities"]["drop"] == ["ALL"], name
                assert set(container["resources"]) == {"requests", "limits"}, name
                assert "readinessProbe" in container and "livenessProbe" in container, name


def test_lpgw_containers_follow_the_contract(
    console_scripts: frozenset[str],
    contract_scripts: dict[str, str],
    contract_ports: dict[str, int],
    contract_env: dict[str, frozenset[str]],
    secret_env: frozenset[str],
    kind_of: Callable[[str], str],
) -> None:
    seen: set[str] = set()
    for folder in kustomize_folders():
        manifests = all_resources(folder) + base_manifests()
        for name, container in lpgw_containers(all_resources(folder)):
            kind = kind_of(name)
            seen.add(kind)
            assert container["command"][0] in console_scripts
            assert container["command"][0] == contract_scripts[kind]
            assert container["ports"][0]["containerPort"] == contract_ports[kind]
            is_signer = kind == "payment-signer"
            assert (image_name(container["image"]) == "lpgw-payment-signer") == is_signer
            unknown = set(container_env(container, manifests)) - contract_env[kind]
            assert not unknown, f"{kind}: variables outside the contract: {sorted(unknown)}"
            for entry in container.get("env", []):
                if entry["name"] in secret_env:
                    assert "secretKeyRef" in entry["valueFrom"], entry["name"]
            if kind != "devnet":
                probes = (container["readinessProbe"], container["livenessProbe"])
                assert [p["httpGet"]["path"] for p in probes] == ["/readyz", "/healthz"]
    assert seen == set(contract_scripts)


def test_base_services_accept_their_production_environment(
    settings_loader: Callable[[str, dict[str, str]], BaseSettings | None],
    kind_of: Callable[[str], str],
) -> None:
    """Every service but the payment-signer; the signer refuses prod for one reason only: the
    devnet chain is the only chain view so far (docs/deploy.md)."""
    manifests = base_manifests()
    for name, container in lpgw_containers(manifests):
        env = container_env(container, manifests)
        assert env["LPGW_ENV"] == "prod"
        if kind_of(name) != "payment-signer":
            settings_loader(kind_of(name), env)
            continue
        with pytest.raises(ValidationError) as refused:
            settings_loader(kind_of(name), env)
        reasons = str(refused.value).split("unsafe for LPGW_ENV=prod: ")[1]
        assert reasons.startswith("SIGNER_CHAIN=devnet is allowed only with LPGW_ENV=dev")
        assert ";" not in reasons.split("[type=")[0], "the devnet chain is the only problem"


def kustomize_build(folder: Path) -> list[Manifest]:
    kubectl = shutil.which("kubectl")
    assert kubectl is not None
    result = subprocess.run(
        [kubectl, "kustomize", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (built-in kustomize) absent")
def test_dev_overlay_renders_to_valid_kubernetes(
    tmp_path: Path,
    settings_loader: Callable[[str, dict[str, str]], BaseSettings | None],
    kind_of: Callable[[str], str],
) -> None:
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy, ignore=shutil.ignore_patterns("secrets"))
    made = subprocess.run(
        [sys.executable, str(copy / "dev_secrets.py"), str(copy / "overlays/dev/secrets")],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0
    rendered = kustomize_build(copy / "overlays" / "dev")
    for manifest in rendered:
        validate(manifest)
        if manifest["kind"] != "Namespace":
            assert manifest["metadata"]["namespace"] == "lpgw", manifest["metadata"]["name"]
    secrets = {m["metadata"]["name"] for m in rendered if m["kind"] == "Secret"}
    assert {name.rsplit("-", 1)[0] for name in secrets} == {"payment-signer", "signer-client"}
    signer = next(m for m in workloads(rendered) if m["metadata"]["name"] == "payment-signer")
    volumes = signer["spec"]["template"]["spec"]["volumes"]
    assert {v["secret"]["secretName"] for v in volumes if "secret" in v} <= secrets
    names = {(m["kind"], m["metadata"]["name"]) for m in rendered}
    assert {("Deployment", "devnet-a"), ("Deployment", "devnet-b")} <= names
    for name, container in lpgw_containers(rendered):
        if kind_of(name) != "devnet":
            env = container_env(container, rendered)
            assert env["LPGW_ENV"] == "dev"
            settings_loader(kind_of(name), env)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (built-in kustomize) absent")
def test_base_renders_to_valid_kubernetes() -> None:
    for manifest in kustomize_build(DEPLOY / "base"):
        validate(manifest)


def test_devnets_accept_their_arguments_and_advertise_their_service() -> None:
    cli = pytest.importorskip("lpgw.devnet.cli")
    manifests = all_resources(DEPLOY / "overlays" / "dev")
    services = {m["metadata"]["name"] for m in manifests if m["kind"] == "Service"}
    devnets = [(n, c) for n, c in lpgw_containers(manifests) if n.startswith("devnet")]
    assert len(devnets) == 2
    for name, container in devnets:
        settings = cli.load_settings(container["args"])
        assert (settings.host, settings.port, settings.uri_host) == ("0.0.0.0", 8950, name)
        assert name in services
