"""The configuration table of a service's README, generated from its settings class.

Generating it means the documentation cannot drift from what the process actually reads:
`uv run python -c "from lpgw.service.configdoc import markdown_table; ..."`.
"""

import json
from enum import Enum
from pathlib import PurePath
from typing import Any, get_args

from pydantic import SecretBytes, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

SECRET = "(secret)"
REQUIRED = "(required)"
UNSET = "(unset)"
EMPTY = "(empty)"


def _mentions_secret(annotation: Any) -> bool:
    if annotation in (SecretStr, SecretBytes):
        return True
    return any(_mentions_secret(arg) for arg in get_args(annotation))


def _is_secret(field: FieldInfo) -> bool:
    return _mentions_secret(field.annotation)


def _default_text(field: FieldInfo) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return REQUIRED
    if _is_secret(field):
        return SECRET
    value: Any = field.get_default(call_default_factory=True)
    if value is None:
        return UNSET
    if isinstance(value, str | tuple | list | dict | set | frozenset) and not value:
        return EMPTY
    if isinstance(value, SecretStr | SecretBytes):
        return SECRET
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, default=str)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _env_name(name: str, field: FieldInfo, prefix: str) -> str:
    return (field.alias or f"{prefix}{name}").upper()


def markdown_table(settings_cls: type[BaseSettings]) -> str:
    """A markdown table: variable, default, description; one row per field, in field order."""
    prefix = settings_cls.model_config.get("env_prefix", "") or ""
    rows = ["| variable | default | description |", "|---|---|---|"]
    for name, field in settings_cls.model_fields.items():
        default = _default_text(field)
        shown = default if default in (SECRET, REQUIRED, UNSET, EMPTY) else f"`{default}`"
        env = _env_name(name, field, prefix)
        rows.append(f"| `{env}` | {_cell(shown)} | {_cell(field.description or '')} |")
    return "\n".join(rows) + "\n"
