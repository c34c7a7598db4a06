"""The README's configuration section, generated from every settings class so it never drifts.

`python tools/config_docs.py` prints it; `--write` puts it into README.md between the markers;
`--check` fails if README.md differs (a test runs the check).
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

README = Path(__file__).resolve().parent.parent / "README.md"
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
    current = README.read_text()
    wanted = readme_with(current, generated)
    if args.write:
        README.write_text(wanted)
    elif wanted != current:
        sys.exit("README.md configuration tables are stale: run `make config-docs`")


if __name__ == "__main__":
    main()
