"""Wake-ups are never lost, even when they come while nobody waits."""

from __future__ import annotations

import asyncio

from enduro.operator.wakeups import Wakeups


async def test_a_wakeup_before_the_wait_ends_it_at_once() -> None:
    wakeups = Wakeups()
    wakeups.wake("sr", "ns", "a")
    await asyncio.wait_for(wakeups.wait("sr", "ns", "a", timeout=30), 1)


async def test_wake_all_reaches_every_waiter_of_a_namespace() -> None:
    wakeups = Wakeups()
    waits = [asyncio.create_task(wakeups.wait("br", "ns", n, timeout=30)) for n in "ab"]
    other = asyncio.create_task(wakeups.wait("br", "elsewhere", "c", timeout=30))
    await asyncio.sleep(0)
    wakeups.wake_all("br", "ns")
    await asyncio.wait_for(asyncio.gather(*waits), 1)
    assert not other.done()
    other.cancel()


async def test_a_wait_times_out_quietly() -> None:
    await Wakeups().wait("sr", "ns", "a", timeout=0.01)


async def test_a_run_of_the_catalogues_benchmark_hears_of_the_catalogue() -> None:
    wakeups = Wakeups()
    wakeups.follow("br", "team", "run", "catalogue")
    team_run = asyncio.create_task(wakeups.wait("br", "team", "run", timeout=30))
    unrelated = asyncio.create_task(wakeups.wait("br", "team", "other", timeout=30))
    await asyncio.sleep(0)
    wakeups.wake_all("br", "catalogue")  # a catalogue Scenario came
    await asyncio.wait_for(team_run, 1)
    assert not unrelated.done()
    unrelated.cancel()
