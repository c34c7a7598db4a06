"""The kept ranking: one selector request serves the jobs of a window, failures leave it at once."""

import asyncio
from collections.abc import Sequence

from lpgw.bus.events import Candidate
from lpgw.session.candidates import KEPT_CANDIDATES, CandidateCache


def _candidate(url: str) -> Candidate:
    return Candidate(
        url=url, address="", price_per_unit=1, pixels_per_unit=1, latency_ms=1.0, score=1.0
    )


class Selector:
    """Answers with `urls` minus the excluded ones, and records every request."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.asked: list[tuple[str, str, list[str], int]] = []
        self.gate: asyncio.Event | None = None

    async def ask(
        self, pipeline: str, model_id: str, exclude: Sequence[str], limit: int
    ) -> list[Candidate]:
        self.asked.append((pipeline, model_id, list(exclude), limit))
        if self.gate is not None:
            await self.gate.wait()
        return [_candidate(u) for u in self.urls if u not in exclude][:limit]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _urls(candidates: list[Candidate]) -> list[str]:
    return [c.url for c in candidates]


async def test_jobs_within_the_window_share_one_selector_answer() -> None:
    selector, clock = Selector(["a", "b"]), Clock()
    cache = CandidateCache(selector.ask, ttl_s=1.0, clock=clock)

    first = await cache.candidates("text-to-image", "m", [])
    clock.now += 0.9
    second = await cache.candidates("text-to-image", "m", [])

    assert _urls(first) == _urls(second) == ["a", "b"]
    assert selector.asked == [("text-to-image", "m", [], KEPT_CANDIDATES)]


async def test_the_answer_is_asked_again_once_the_window_has_passed() -> None:
    selector, clock = Selector(["a"]), Clock()
    cache = CandidateCache(selector.ask, ttl_s=1.0, clock=clock)
    await cache.candidates("text-to-image", "m", [])
    selector.urls = ["c"]
    clock.now += 1.0

    assert _urls(await cache.candidates("text-to-image", "m", [])) == ["c"]
    assert len(selector.asked) == 2


async def test_each_pipeline_and_model_has_its_own_answer() -> None:
    selector = Selector(["a"])
    cache = CandidateCache(selector.ask, ttl_s=1.0, clock=Clock())
    await cache.candidates("text-to-image", "m1", [])
    await cache.candidates("text-to-image", "m2", [])
    await cache.candidates("upscale", "m1", [])
    assert [(p, m) for p, m, _, _ in selector.asked] == [
        ("text-to-image", "m1"),
        ("text-to-image", "m2"),
        ("upscale", "m1"),
    ]


async def test_a_failed_orchestrator_is_not_offered_again_from_the_kept_answer() -> None:
    selector = Selector(["a", "b"])
    cache = CandidateCache(selector.ask, ttl_s=1.0, clock=Clock())
    await cache.candidates("text-to-image", "m", [])

    cache.drop("text-to-image", "m", "a")

    assert _urls(await cache.candidates("text-to-image", "m", [])) == ["b"]
    assert len(selector.asked) == 1


async def test_a_job_that_tried_every_kept_candidate_asks_with_its_exclusions() -> None:
    selector = Selector(["a", "b", "c"])
    selector_limited = CandidateCache(selector.ask, ttl_s=1.0, clock=Clock())
    selector.urls = ["a"]
    await selector_limited.candidates("text-to-image", "m", [])
    selector.urls = ["a", "c"]

    answer = await selector_limited.candidates("text-to-image", "m", ["a"])

    assert _urls(answer) == ["c"]
    assert selector.asked[-1] == ("text-to-image", "m", ["a"], KEPT_CANDIDATES)


async def test_excluded_candidates_are_skipped_without_asking_when_others_are_kept() -> None:
    selector = Selector(["a", "b"])
    cache = CandidateCache(selector.ask, ttl_s=1.0, clock=Clock())
    assert _urls(await cache.candidates("text-to-image", "m", ["a"])) == ["b"]
    assert len(selector.asked) == 1


async def test_concurrent_jobs_wait_for_one_request_instead_of_sending_their_own() -> None:
    selector = Selector(["a"])
    selector.gate = asyncio.Event()
    cache = CandidateCache(selector.ask, ttl_s=1.0, clock=Clock())

    waiting = [asyncio.create_task(cache.candidates("text-to-image", "m", [])) for _ in range(8)]
    await asyncio.sleep(0.01)
    selector.gate.set()
    answers = await asyncio.gather(*waiting)

    assert all(_urls(a) == ["a"] for a in answers)
    assert len(selector.asked) == 1


async def test_nobody_available_is_not_kept() -> None:
    selector = Selector([])
    cache = CandidateCache(selector.ask, ttl_s=1.0, clock=Clock())
    assert await cache.candidates("text-to-image", "m", []) == []
    selector.urls = ["a"]
    assert _urls(await cache.candidates("text-to-image", "m", [])) == ["a"]
