"""Version comparison as go-livepeer does it for `minVersion` and `runnerVersion`.

Semantic versions with an optional `v` prefix and one to three numeric parts; pre-release and
build suffixes are dropped before comparing, so `0.9.1-rc1` satisfies a minimum of `0.9.1`.
"""

import re

_VERSION = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """(major, minor, patch), or None when `text` is not a version."""
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        return None
    major, minor, patch = (int(part) if part else 0 for part in match.groups())
    return major, minor, patch


def version_at_least(have: str, minimum: str) -> bool:
    """Whether `have` >= `minimum`; an unparsable version on either side is not compatible."""
    parsed_have, parsed_minimum = parse_version(have), parse_version(minimum)
    if parsed_have is None or parsed_minimum is None:
        return False
    return parsed_have >= parsed_minimum
