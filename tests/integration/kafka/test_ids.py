"""Event ids on Kafka: minted ones pass no barrier; chosen ones are checked against an index a
background follower keeps current."""

import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from fleetledger.backends.kafka import follow
from fleetledger.backends.kafka.backend import KafkaBackend
from fleetledger.backends.kafka.settings import KafkaSettings
from fleetledger.backends.protocols import AlreadyStored, Record
from fleetledger.errors import IdConflict
from fleetledger.testing import make_record
from fleetledger.topics import FamilyPolicy
from fleetledger.types import Position

PATIENCE = 5.0


@pytest.fixture
def topic() -> str:
    return f"i{uuid.uuid4().hex[:12]}.task"


@pytest.fixture
def one(bootstrap: str, topic: str) -> Iterator[KafkaBackend]:
    """A backend with the test's topic (two partitions)."""
    backend = KafkaBackend(KafkaSettings(bootstrap))
    backend.create_topics({topic: FamilyPolicy(family="task", partitions=2)})
    yield backend
    backend.close()


@pytest.fixture
def two(bootstrap: str, one: KafkaBackend) -> Iterator[KafkaBackend]:
    """A second client of the same broker: another process, as far as ids go."""
    backend = KafkaBackend(KafkaSettings(bootstrap))
    yield backend
    backend.close()


def chosen(topic: str, event_id: str | None = None, body: bytes | None = None) -> Record:
    """A record whose id the caller chose (not minted by a ledger's core)."""
    return make_record(topic, 0, id=event_id or f"chosen-{uuid.uuid4().hex}", body=body)


def minted(topic: str) -> Record:
    """A record whose id a ledger's core minted for it."""
    return make_record(topic, 0)._replace(minted=True)


def wait_until(done: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + PATIENCE
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_records_of_minted_ids_are_appended_without_reading_the_partition(
    one: KafkaBackend, topic: str
) -> None:
    """No barrier for minted ids: the id index never starts on the partition they go to."""
    positions = one.append([minted(topic), minted(topic)])
    assert [p.offset for p in positions] == [0, 1]
    assert one._ids.window_start((topic, 0)) is None  # never read for ids


def test_a_minted_id_appended_again_by_a_caller_is_already_stored(
    one: KafkaBackend, topic: str
) -> None:
    """A caller that re-sends an event under the id the ledger minted stores nothing new."""
    record = minted(topic)
    (first,) = one.append([record])
    (again,) = one.append([record._replace(minted=False)])
    assert again == first
    assert isinstance(again, AlreadyStored)


def test_the_follower_indexes_what_another_client_appends_in_the_background(
    one: KafkaBackend, two: KafkaBackend, topic: str
) -> None:
    """Once a chosen id was appended to a partition, records others append there are indexed
    without an append or a read asking for them."""
    one.append([chosen(topic)])
    (theirs,) = two.append([chosen(topic, "theirs")])
    assert wait_until(lambda: one._ids.position("theirs") == theirs)


def test_an_id_another_client_has_just_stored_is_already_stored(
    one: KafkaBackend, two: KafkaBackend, topic: str
) -> None:
    """The barrier sees a record appended by another process just before the append began."""
    first = chosen(topic)
    one.append([first])
    record = chosen(topic, "same")
    (theirs,) = two.append([record])
    assert one.append([record]) == [theirs]
    assert [r.id for r in one.read(topic, 0, 0, 10)] == [first.id, "same"]


def test_an_id_another_client_has_just_stored_with_other_content_is_refused(
    one: KafkaBackend, two: KafkaBackend, topic: str
) -> None:
    """A conflict is refused before anything is produced, with the original's position."""
    one.append([chosen(topic)])
    (theirs,) = two.append([chosen(topic, "same", b'{"n":1}')])
    with pytest.raises(IdConflict) as caught:
        one.append([chosen(topic), chosen(topic, "same", b'{"n":2}')])
    assert caught.value.position == Position(*theirs)
    assert len(one.read(topic, 0, 0, 10)) == 2


def test_a_partition_no_chosen_id_went_to_for_a_while_is_left_and_caught_up_later(
    one: KafkaBackend, two: KafkaBackend, topic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The follower leaves idle partitions; an append after that reads what it missed."""
    monkeypatch.setattr(follow, "IDLE", 0.2)
    one.append([chosen(topic)])
    follower = one._ids._follower
    assert wait_until(lambda: follower.follows([(topic, 0)]))
    assert wait_until(lambda: not follower.follows([(topic, 0)]))
    record = chosen(topic, "missed")
    (theirs,) = two.append([record])
    assert one.append([record]) == [theirs]


def test_the_follower_stops_when_the_backend_closes(bootstrap: str, topic: str) -> None:
    """Closing the backend ends the follower's thread."""
    backend = KafkaBackend(KafkaSettings(bootstrap))
    backend.create_topics({topic: FamilyPolicy(family="task", partitions=2)})
    backend.append([chosen(topic)])
    thread = backend._ids._follower._thread
    assert thread is not None
    assert thread.is_alive()
    backend.close()
    assert not thread.is_alive()
