"""The signer's policy is pure: deciding what to pay imports no network, store or web library."""

import json
import subprocess
import sys

IO_LIBRARIES = {"nats", "redis", "aiohttp", "httpx", "starlette", "fastapi", "uvicorn", "grpc"}


def test_the_policy_modules_import_no_io_library() -> None:
    code = (
        "import json, sys, lpgw.signer.policy.credit, lpgw.signer.policy.ceilings,"
        " lpgw.signer.policy.limits, lpgw.signer.policy.offer, lpgw.signer.policy.spend,"
        " lpgw.signer.payments.records, lpgw.signer.live.rules;"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert loaded & IO_LIBRARIES == set()
