"""lpgw.pm is pure: importing it pulls in no transport, web, media or chain-client library."""

import json
import subprocess
import sys

FORBIDDEN = ("nats", "redis", "fastapi", "grpc", "httpx", "av", "web3", "google.protobuf")

PROBE = """
import json, sys
import lpgw.pm
from lpgw.pm import abi, balances, fees, nonces, receiving, recipient, validation
print(json.dumps(sorted(sys.modules)))
"""


def test_importing_lpgw_pm_loads_no_io_library() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(result.stdout)
    offending = [
        name for name in loaded for root in FORBIDDEN if name == root or name.startswith(root + ".")
    ]
    assert offending == []
    assert "lpgw.pm.receiving" in loaded
