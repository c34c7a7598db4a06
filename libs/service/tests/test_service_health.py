"""Readiness checks and the /healthz, /readyz, /metrics routes."""

import asyncio

import httpx
from lpgw.service.health import Readiness
from lpgw.service.observability import health_routes
from starlette.applications import Starlette


async def ready() -> None:
    return None


async def not_ready() -> bool:
    return False


async def broken() -> None:
    raise ConnectionError("redis down")


async def hangs() -> None:
    await asyncio.sleep(30)


def client(readiness: Readiness) -> httpx.AsyncClient:
    app = Starlette(routes=health_routes(readiness))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc")


async def test_no_checks_means_ready() -> None:
    assert await Readiness().check() == (True, {})


async def test_each_failure_mode_marks_only_its_check() -> None:
    readiness = Readiness(timeout_s=0.2)
    readiness.add("ok", ready)
    readiness.add("false", not_ready)
    readiness.add("raises", broken)
    readiness.add("slow", hangs)
    loop = asyncio.get_running_loop()
    started = loop.time()
    ok, checks = await readiness.check()
    assert loop.time() - started < 2  # concurrent, one timeout
    assert not ok
    assert checks == {"ok": True, "false": False, "raises": False, "slow": False}


async def test_plain_flags_are_checks_too() -> None:
    connected = asyncio.Event()
    readiness = Readiness()
    readiness.add("consumer", connected.is_set)
    assert await readiness.check() == (False, {"consumer": False})
    connected.set()
    assert await readiness.check() == (True, {"consumer": True})


async def test_healthz_is_always_ok() -> None:
    readiness = Readiness()
    readiness.add("raises", broken)
    async with client(readiness) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_503_with_results_when_a_check_fails() -> None:
    readiness = Readiness(timeout_s=0.2)
    readiness.add("nats", ready)
    readiness.add("redis", broken)
    async with client(readiness) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"nats": "ok", "redis": "failed"},
    }


async def test_readyz_is_200_when_all_pass() -> None:
    readiness = Readiness()
    readiness.add("nats", ready)
    async with client(readiness) as http:
        response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"nats": "ok"}}


async def test_metrics_expose_the_process_collector() -> None:
    async with client(Readiness()) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "process_cpu_seconds_total" in response.text
