"""The READMEs' configuration tables, generated from the settings classes so they never drift.

`python tools/config_docs.py` prints the root README's section; `--write` puts it into
README.md between the markers and replaces the table in each service's README; `--check`
fails if any differs (tests run the checks).
"""

import argparse
import sys
from pathlib import Path

from lpgw.delivery.settings import DeliverySettings
from lpgw.devnet.settings import DevnetSettings
from lpgw.intake.settings import IntakeSettings
from lpgw.selector.settings import SelectorSettings
from lpgw.service.configdoc import markdown_table
from lpgw.session.settings import SessionSettings
from lpgw.signer.settings import SignerSettings
from lpgw.stack.settings import StackSettings
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TABLE_HEADER = "| variable | default | description |"
BEGIN, END = "<!-- config:begin -->", "<!-- config:end -->"
SECTIONS: list[tuple[str, type[BaseSettings]]] = [
    ("intake (`lpgw-intake`)", IntakeSettings),
    ("selector (`lpgw-selector`)", SelectorSettings),
    ("session (`lpgw-session`)", SessionSettings),
    ("payment-signer (`lpgw-payment-signer`)", SignerSettings),
    ("delivery (`lpgw-delivery`)", DeliverySettings),
    ("devnet orchestrator (`lpgw-devnet`; flags override these)", DevnetSettings),
    ("local stack (`make run`, `lpgw-stack run`)", StackSettings),
]


SERVICE_READMES: list[tuple[Path, type[BaseSettings]]] = [
    (ROOT / "services/intake/README.md", IntakeSettings),
    (ROOT / "services/selector/README.md", SelectorSettings),
    (ROOT / "services/session/README.md", SessionSettings),
    (ROOT / "services/payment-signer/README.md", SignerSettings),
    (ROOT / "services/delivery/README.md", DeliverySettings),
]


def with_table(text: str, table: str) -> str:
    """`text` with its configuration table (from the header to the next blank line) replaced."""
    start = text.index(TABLE_HEADER)
    end = text.find("\n\n", start)
    return text[:start] + table.rstrip() + (text[end:] if end != -1 else "\n")


def section() -> str:
    parts = [BEGIN]
    for title, settings in SECTIONS:
        parts += ["", f"### {title}", "", markdown_table(settings).rstrip()]
    return "\n".join([*parts, "", END])


def readme_with(text: str, generated: str) -> str:
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return head + generated + tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args()
    generated = section()
    if not (args.write or args.check):
        print(generated)
        return
    files = [(README, readme_with(README.read_text(), generated))]
    files += [
        (path, with_table(path.read_text(), markdown_table(cls))) for path, cls in SERVICE_READMES
    ]
    stale = [path for path, wanted in files if path.read_text() != wanted]
    if args.write:
        for path, wanted in files:
            path.write_text(wanted)
    elif stale:
        names = ", ".join(str(path.relative_to(ROOT)) for path in stale)
        sys.exit(f"configuration tables are stale in {names}: run `make config-docs`")


if __name__ == "__main__":
    main()
