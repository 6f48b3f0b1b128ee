"""The asyncio twin: AsyncLedger and AsyncConsumer mirror the sync API, awaitable."""

import asyncio

import pytest

import fleetledger
from fleetledger import AsyncLedger, ContractError, Position
from fleetledger.testing import FakeClock


def open_async(clock: FakeClock) -> AsyncLedger:
    """An in-memory async ledger on the fake clock."""
    return fleetledger.open_async("memory://", clock=clock, default_source="tests")


def test_open_async_returns_an_async_ledger(clock: FakeClock) -> None:
    """open_async wraps a ledger opened with the same options."""

    async def main() -> None:
        async with open_async(clock) as ledger:
            assert isinstance(ledger, AsyncLedger)
            await ledger.append("task.started", subject="t-1", id="evt-1")
            assert (await ledger.get("evt-1")).source == "tests"

    asyncio.run(main())


def test_an_awaited_append_can_be_read_back(clock: FakeClock) -> None:
    """await append, then await get, returns the event at its position."""

    async def main() -> None:
        async with open_async(clock) as ledger:
            position = await ledger.append("task.started", subject="t-1", id="evt-1")
            event = await ledger.get("evt-1")
            assert event.position == position

    asyncio.run(main())


def test_an_awaited_append_many_returns_every_position(clock: FakeClock) -> None:
    """await append_many stores the batch and returns one position per event."""

    async def main() -> list[Position]:
        async with open_async(clock) as ledger:
            return await ledger.append_many(
                [{"type": "task.started", "subject": "t-1"} for _ in range(3)]
            )

    assert [p.offset for p in asyncio.run(main())] == [0, 1, 2]


def test_an_awaited_append_raises_the_contract_error(clock: FakeClock) -> None:
    """Errors cross the thread boundary unchanged."""

    async def main() -> None:
        async with open_async(clock) as ledger:
            await ledger.append("task.requested", subject="t-1", data={})

    with pytest.raises(ContractError, match="goal"):
        asyncio.run(main())


def test_concurrent_awaited_appends_get_distinct_gap_free_offsets(clock: FakeClock) -> None:
    """Appends awaited together on one task get offsets 0..n-1, each exactly once."""

    async def main() -> list[Position]:
        async with open_async(clock) as ledger:
            appends = [ledger.append("task.started", subject="t-1") for _ in range(20)]
            return await asyncio.gather(*appends)

    assert sorted(p.offset for p in asyncio.run(main())) == list(range(20))


def test_awaited_read_and_replay_return_events(clock: FakeClock) -> None:
    """read and replay are awaitable and return lists of events."""

    async def main() -> tuple[list[str], list[str]]:
        async with open_async(clock) as ledger:
            position = await ledger.append("task.started", subject="t-1", id="a")
            await ledger.append("task.completed", subject="t-1", id="b")
            read = await ledger.read("task", position.partition)
            replayed = await ledger.replay("t-1")
            return [e.id for e in read], [e.id for e in replayed]

    assert asyncio.run(main()) == (["a", "b"], ["a", "b"])


def test_an_async_consumer_polls_commits_and_shows_no_lag(clock: FakeClock) -> None:
    """An AsyncConsumer polls and commits; the group's lag is then zero."""

    async def main() -> tuple[int, int]:
        async with open_async(clock) as ledger:
            await ledger.append_many(
                [{"type": "task.started", "subject": f"t-{n}"} for n in range(5)]
            )
            async with ledger.consumer("audit", ["task"]) as consumer:
                events = await consumer.poll(max=100)
                await consumer.commit()
            lag = await ledger.lag("audit")
            return len(events), sum(row.lag for row in lag)

    assert asyncio.run(main()) == (5, 0)


def test_awaited_topics_lists_the_families(clock: FakeClock) -> None:
    """topics() is awaitable and lists every built-in family."""

    async def main() -> set[str]:
        async with open_async(clock) as ledger:
            return {info.family for info in await ledger.topics()}

    assert "task" in asyncio.run(main())


def test_aclose_closes_the_sync_ledger(clock: FakeClock) -> None:
    """After aclose the underlying ledger refuses appends."""
    ledger = open_async(clock)
    asyncio.run(ledger.aclose())
    with pytest.raises(fleetledger.LedgerClosed):
        ledger.sync.append("task.started", subject="t-1")


def test_an_async_tail_returns_the_latest_events(clock: FakeClock) -> None:
    """await tail(last=n) returns the n most recent events, oldest first."""

    async def main() -> None:
        async with open_async(clock) as ledger:
            for n in range(3):
                clock.advance(1)
                await ledger.append("task.started", subject=f"t-{n}", id=f"e{n}")
            assert [e.id for e in await ledger.tail(["task"], last=2)] == ["e1", "e2"]

    asyncio.run(main())


def test_an_async_consumer_reports_its_lag_before_polling(clock: FakeClock) -> None:
    """AsyncConsumer.lag counts what it has not read yet; groups lists committed groups."""

    async def main() -> None:
        async with open_async(clock) as ledger:
            await ledger.append("task.started", subject="t-1")
            async with ledger.consumer("ops", ["task"]) as consumer:
                assert sum(row.lag for row in await consumer.lag()) == 1
                await consumer.poll()
                await consumer.commit()
            assert await ledger.groups() == ["ops"]

    asyncio.run(main())


def test_a_non_string_event_id_is_refused_as_a_contract_error(clock: FakeClock) -> None:
    """get(42) is a ContractError, not a driver error."""

    async def main() -> None:
        async with open_async(clock) as ledger:
            with pytest.raises(ContractError):
                await ledger.get(42)  # type: ignore[arg-type]

    asyncio.run(main())
