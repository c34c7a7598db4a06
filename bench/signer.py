"""What paying costs the payment-signer: calls/s and signer CPU per call of a payment session.

1. A pure lpgw.pm loop (one process, one core): hash and PersonalSign tickets.
2. NATS and Valkey (lpgw.stack), then a real `lpgw-payment-signer` process with a dev key; one
   payment session opened on an offer from an lpgw.pm recipient, then N payments on it over
   HTTP at concurrency 1 and 32, in two cases:
   - credit covers: a fee of 1 000 000 wei against tickets worth 1e9 (a 64×64 image at 1000
     wei per pixel is 4e6): almost every call signs nothing and costs one Redis round trip;
   - a ticket every call: a fee of one EV, so every call signs a ticket, takes a nonce from
     the replica's block and stores an audit event.
Printed: p50/p99 latency, calls/s, and the signer's CPU milliseconds per call (/proc).
Run with `make bench-signer` (options: `--tickets`, `--requests`).
"""

import argparse
import asyncio
import base64
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
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
from measure import Run, load

HOST = "127.0.0.1"
TICKET_EV = 10**9
CASES = {"credit covers": 1_000, "a ticket every call": TICKET_EV // 1000}
"""Units per call at a price of 1000 wei per unit."""


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
    recipient = Recipient.create(
        PrivateKey.generate().address, RecipientConfig(ticket_ev=TICKET_EV)
    )
    context = issue_context(DevnetChain(), sender=sender, recipient=recipient.address)
    params = recipient.ticket_params(
        sender=sender, price=PriceInfo(1000, 1).price(), context=context, seed=new_seed()
    )
    info = pb.OrchestratorInfo(
        transcoder="https://orchestrator.bench:8935",
        price_info=pb.PriceInfo(pricePerUnit=1000, pixelsPerUnit=1),
        address=recipient.address,
        auth_token=pb.AuthToken(
            token=b"t" * 32, session_id="bench", expiration=int(time.time()) + 1800
        ),
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


async def payments(
    url: str, token: str, pid: int, requests: int
) -> dict[tuple[str, int], tuple[Run, int]]:
    """Per (case, concurrency): the run and the tickets it signed."""
    headers = {"Authorization": f"Bearer {token}"}
    runs: dict[tuple[str, int], tuple[Run, int]] = {}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(url, headers=headers, connector=connector) as http:
        async with http.post("/sign-orchestrator-info", json={}) as response:
            address = (await response.json())["address"]
        for case, units in CASES.items():
            opened = {
                "orchestrator": orchestrator_info(bytes.fromhex(address[2:])),
                "bucket": f"27_bench/{units}",
                "pipeline": "text-to-image",
                "model_id": "bench/model",
            }
            async with http.post("/v1/sessions", json=opened) as response:
                response.raise_for_status()
                session = (await response.json())["session_id"]
            for concurrency in (1, 32):
                tickets = 0
                prefix = f"{units}.{concurrency}"

                path = f"/v1/sessions/{session}/payments"

                async def pay(
                    i: int, prefix: str = prefix, units: int = units, path: str = path
                ) -> None:
                    nonlocal tickets
                    body = {"units": units, "idempotency_key": f"{prefix}.{i}", "job": "bench"}
                    async with http.post(path, json=body) as response:
                        response.raise_for_status()
                        tickets += (await response.json())["tickets"]

                for i in range(20):  # warm up connections and code paths
                    await pay(-1 - i)
                tickets = 0
                run = await load(requests, concurrency, pay, {"signer": pid})
                runs[(case, concurrency)] = (run, tickets)
    return runs


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
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    rate = tickets_per_second(args.tickets)
    with tempfile.TemporaryDirectory() as tmp, Supervisor(log_dir=Path(tmp) / "logs") as sup:
        data = Path(tmp)
        nats_url = start_nats(sup, data / "nats")
        redis_url = start_valkey(sup, data / "valkey")
        url, token = start_signer(sup, data, nats_url, redis_url)
        pid = sup.child("signer").pid or 0
        runs = asyncio.run(payments(url, token, pid, args.requests))
    print(f"pure lpgw.pm ticket signing: {rate:,.0f} tickets/s on one core ({args.tickets})")
    print(f"payment-session calls, {args.requests} per row, {os.cpu_count()} cores")
    print(
        f"{'':22}{'concurrency':>12}{'p50 ms':>9}{'p99 ms':>9}{'calls/s':>9}"
        f"{'tickets/call':>14}{'signer CPU ms/call':>20}"
    )
    for (case, concurrency), (run, tickets) in runs.items():
        print(
            f"{case:22}{concurrency:>12}{run.p(50):>9.2f}{run.p(99):>9.2f}{run.rate:>9.0f}"
            f"{tickets / args.requests:>14.3f}{run.cpu_ms['signer']:>20.3f}"
        )
    covered = runs[("credit covers", 32)][0].cpu_ms["signer"]
    print(f"\naim: a payment-session call <= 1 ms of signer CPU; this run {covered:.3f} ms")


if __name__ == "__main__":
    main()
