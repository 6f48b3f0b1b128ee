"""Subscriptions: which handler gets which event, by family and type glob."""

import pytest

from fleetledger import ConfigurationError, Event
from fleetledger.consumers import Subscription, handler_name


def on_task(event: Event) -> None:
    """A handler for the tests."""


def test_a_subscription_without_families_takes_every_family() -> None:
    """families=None matches any family."""
    subscription = Subscription.of(on_task)

    assert subscription.matches("task", "task.requested")
    assert subscription.matches("tool", "tool.called")


def test_a_subscription_takes_only_its_families() -> None:
    """An event of another family is not the handler's."""
    subscription = Subscription.of(on_task, families=["task"])

    assert subscription.matches("task", "task.started")
    assert not subscription.matches("tool", "task.started")


def test_type_globs_select_event_types() -> None:
    """Any of the globs matching is enough; fnmatch rules, case-sensitive."""
    subscription = Subscription.of(on_task, types=["task.comp*", "task.failed"])

    assert subscription.matches("task", "task.completed")
    assert subscription.matches("task", "task.failed")
    assert not subscription.matches("task", "task.started")
    assert not subscription.matches("task", "TASK.completed")


def test_handlers_are_named_module_colon_qualname() -> None:
    """The name dead letters and metrics carry, and the CLI imports back."""
    assert handler_name(on_task) == f"{__name__}:on_task"


def test_a_single_string_for_families_is_refused() -> None:
    """families="task" would match the families t, a, s and k: refused instead."""
    with pytest.raises(ConfigurationError, match="lists"):
        Subscription.of(on_task, families="task")


def test_a_handler_must_be_callable() -> None:
    """Subscribing something that cannot be called fails at once."""
    with pytest.raises(ConfigurationError, match="callable"):
        Subscription.of("not a function")  # type: ignore[arg-type]


def test_a_subscription_needs_a_type_pattern() -> None:
    """An empty list of types would match nothing: refused."""
    with pytest.raises(ConfigurationError, match="type pattern"):
        Subscription.of(on_task, types=[])
