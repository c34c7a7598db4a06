"""Dockerfile: caches dependencies per workspace, runs as non-root, one console script per image.

No Docker engine here, so the file is read as instructions and checked against the workspace.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        return [rest for kw, rest in self.instructions if kw == keyword]


def parse_stages(text: str) -> list[Stage]:
    """Instructions grouped by FROM, with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    stages: list[Stage] = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.fullmatch(r"(\S+)\s+AS\s+(\S+)", rest.strip(), flags=re.IGNORECASE)
            assert match, f"every stage is named: {line}"
            stages.append(Stage(name=match.group(2), base=match.group(1)))
        elif stages:
            stages[-1].instructions.append((keyword, rest.strip()))
    return stages


@pytest.fixture(scope="module")
def stages(repo_root: Path) -> dict[str, Stage]:
    return {s.name: s for s in parse_stages((repo_root / "Dockerfile").read_text())}


def test_default_target_is_the_shared_runtime_image(repo_root: Path) -> None:
    ordered = parse_stages((repo_root / "Dockerfile").read_text())
    assert ordered[-1].name == "runtime"
    assert ordered[0].base == "${PYTHON_IMAGE}"
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in (repo_root / "Dockerfile").read_text()


def test_every_workspace_member_pyproject_is_copied_before_the_sources(
    stages: dict[str, Stage], member_dirs: list[Path], repo_root: Path
) -> None:
    copies = stages["workspace"].args("COPY")
    assert "pyproject.toml uv.lock ./" in copies
    for member in member_dirs:
        relative = member.relative_to(repo_root).as_posix()
        assert f"{relative}/pyproject.toml {relative}/" in copies, relative


def test_dependencies_install_from_the_lock_without_dev_tools(stages: dict[str, Stage]) -> None:
    assert any(
        line.startswith('pip install --no-cache-dir "uv==')
        for line in stages["workspace"].args("RUN")
    )
    for name, package_flag in (
        ("builder", "--all-packages"),
        ("signer-builder", "--package lpgw-payment-signer"),
    ):
        syncs = [r for r in stages[name].args("RUN") if "uv sync" in r]
        assert len(syncs) == 2, name
        for sync in syncs:
            assert "--frozen" in sync and "--no-dev" in sync and package_flag in sync, sync
        assert "--no-install-workspace" in syncs[0]
        assert "--no-editable" in syncs[1]
    sources = stages["signer-builder"].args("COPY")
    assert all("intake" not in c and "session" not in c and "devnet" not in c for c in sources)


def test_images_run_unprivileged_with_the_venv_on_path(stages: dict[str, Stage]) -> None:
    base = stages["runtime-base"]
    assert base.args("USER") == ["10001:10001"]
    env = " ".join(base.args("ENV"))
    assert "PATH=/app/.venv/bin:${PATH}" in env
    for name, builder in (("runtime", "builder"), ("payment-signer", "signer-builder")):
        assert stages[name].base == "runtime-base"
        assert stages[name].args("COPY") == [f"--from={builder} /app/.venv /app/.venv"]
        assert "USER" not in {kw for kw, _ in stages[name].instructions}


def test_images_start_a_console_script(
    stages: dict[str, Stage], console_scripts: frozenset[str]
) -> None:
    commands = {
        name: json.loads(stages[name].args("CMD")[0]) for name in ("runtime", "payment-signer")
    }
    assert commands == {"runtime": ["lpgw-intake"], "payment-signer": ["lpgw-payment-signer"]}
    assert {c[0] for c in commands.values()} <= console_scripts


def test_build_context_leaves_out_local_state_and_secrets(repo_root: Path) -> None:
    ignored = set((repo_root / ".dockerignore").read_text().split())
    assert {".git", ".venv", "deploy", "**/tests", ".data"} <= ignored


def test_parser_rejects_an_unnamed_stage() -> None:
    with pytest.raises(AssertionError):
        parse_stages("FROM python:3.11-slim\nRUN true\n")
