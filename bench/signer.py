"""What signing costs: tickets per second per core, and POST /v1/payments latency.

1. A pure lpgw.pm loop (one process, one core): hash and PersonalSign tickets.
2. NATS and Valkey (lpgw.stack), then a real `lpgw-payment-signer` process with a dev key;
   N payments of one ticket each over HTTP at concurrency 1 and 32 (every call: parse and
   check the OrchestratorInfo, take credit, charge budgets, allocate a nonce in Redis, sign a
   ticket and the SegData, store the pending update, publish the audit event to JetStream).
Run with `uv run python bench/signer.py` (options: `--tickets`, `--requests`).
"""

import argparse
import asyncio
import base64
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from lpgw.eth import PrivateKey
from lpgw.pm import PriceInfo, Recipient, RecipientConfig, sign_tickets
from lpgw.pm.chain import DevnetChain, issue_context
from lpgw.pm.encoding import minbytes
from lpgw.pm.recipient import new_seed
from lpgw.stack.ports import free_port
from lpgw.stack.process import Supervisor
from lpgw.stack.readiness import http_ok
from lpgw.stack.servers import start_nats, start_valkey
from lpgw.wire.net import lp_rpc_pb2 as pb

HOST = "127.0.0.1"


def tickets_per_second(count: int) -> float:
    key = PrivateKey.generate()
    recipient = Recipient.create(PrivateKey.generate().address, RecipientConfig())
    chain = DevnetChain()
    context = issue_context(chain, sender=key.address, recipient=recipient.address)
    params = recipient.ticket_params(
        sender=key.address, price=PriceInfo(1, 1).price(), context=context, seed=new_seed()
    )
    started = time.perf_counter()
    sign_tickets(key, params, key.address, range(1, count + 1))
    return count / (time.perf_counter() - started)


def orchestrator_info(sender: bytes) -> str:
    """Params from an lpgw.pm recipient (what the devnet orchestrator sends)."""
    recipient = Recipient.create(PrivateKey.generate().address, RecipientConfig(ticket_ev=10**9))
    context = issue_context(DevnetChain(), sender=sender, recipient=recipient.address)
    params = recipient.ticket_params(
        sender=sender, price=PriceInfo(1000, 1).price(), context=context, seed=new_seed()
    )
    info = pb.OrchestratorInfo(
        transcoder="https://orchestrator.bench:8935",
        price_info=pb.PriceInfo(pricePerUnit=1000, pixelsPerUnit=1),
        address=recipient.address,
        auth_token=pb.AuthToken(token=b"t" * 32, session_id="bench", expiration=2**40),
        ticket_params=pb.TicketParams(
            recipient=params.recipient,
            face_value=minbytes(params.face_value),
            win_prob=minbytes(params.win_prob),
            recipient_rand_hash=params.recipient_rand_hash,
            seed=minbytes(params.seed),
            expiration_block=minbytes(params.expiration_block),
            expiration_params=pb.TicketExpirationParams(
                creation_round=params.expiration_params.creation_round,
                creation_round_block_hash=params.expiration_params.creation_round_block_hash,
            ),
        ),
    )
    return base64.b64encode(info.SerializeToString()).decode()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to tell CPU cost from waiting."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile_ms(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


async def payments(
    url: str, token: str, requests: int, concurrency: int
) -> tuple[list[float], float]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=60
    ) as client:
        address = (await client.post("/sign-orchestrator-info")).json()["address"]
        body = {
            "orchestrator": orchestrator_info(bytes.fromhex(address[2:])),
            "bucket": "27_bench/model",
            "units": 1000,  # a fee of 1e6 wei: one ticket of 1e9 EV per call
            "pipeline": "text-to-image",
            "model_id": "bench/model",
        }
        for _ in range(20):  # warm up connections and code paths
            (await client.post("/v1/payments", json=body)).raise_for_status()
        latencies: list[float] = []
        remaining = list(range(requests))

        async def worker() -> None:
            while remaining:
                remaining.pop()
                started = time.perf_counter()
                response = await client.post("/v1/payments", json=body)
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, time.perf_counter() - started


def start_signer(sup: Supervisor, data: Path, nats_url: str, redis_url: str) -> tuple[str, str]:
    port = free_port(HOST)
    script = Path(sys.executable).with_name("lpgw-payment-signer")
    env = {
        "NATS_URL": nats_url,
        "REDIS_URL": redis_url,
        "BUS_PREFIX": "bench",
        "HTTP_PORT": str(port),
        "SIGNER_DATA_DIR": str(data / "signer"),
        "SIGNER_DEV_KEY": "true",
        "SIGNER_NONCE_REFRESH_AT": str(2**32 - 1),
        "LOG_LEVEL": "WARNING",
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNER_", "HTTP_"))}
    url = f"http://{HOST}:{port}"
    sup.start("signer", [str(script)], env={**base, **env}, ready=http_ok(url + "/readyz"))
    return url, (data / "signer" / "token").read_text().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    rate = tickets_per_second(args.tickets)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, Supervisor(log_dir=Path(tmp) / "logs") as sup:
        data = Path(tmp)
        nats_url = start_nats(sup, data / "nats")
        redis_url = start_valkey(sup, data / "valkey")
        url, token = start_signer(sup, data, nats_url, redis_url)
        pid = sup.child("signer").pid
        assert pid is not None
        for concurrency in (1, 32):
            cpu = cpu_seconds(pid)
            latencies, wall = asyncio.run(payments(url, token, args.requests, concurrency))
            rows.append((concurrency, latencies, wall, cpu_seconds(pid) - cpu))
    print(
        f"pure lpgw.pm ticket signing: {rate:,.0f} tickets/s on one core ({args.tickets} tickets)"
    )
    print(f"POST /v1/payments, one ticket each, {args.requests} requests per row")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'concurrency':>12}{'p50 ms':>10}{'p99 ms':>10}{'req/s':>10}{'signer CPU ms/req':>19}")
    for concurrency, latencies, wall, cpu in rows:
        p50, p99 = percentile_ms(latencies, 50), percentile_ms(latencies, 99)
        per_request = cpu / (len(latencies) + 20) * 1000  # the warm-up calls are counted too
        print(
            f"{concurrency:>12}{p50:>10.2f}{p99:>10.2f}{len(latencies) / wall:>10.1f}"
            f"{per_request:>19.2f}"
        )


if __name__ == "__main__":
    main()
