"""Administration on a SQLite file: the token's secret is in no byte the ledger writes, and a
policy is recorded once per change, so the one in force at any past moment can be shown."""

from datetime import timedelta
from pathlib import Path

import fleetledger
from fleetledger import Policy, Principal
from fleetledger.governance import parse_rules
from fleetledger.testing import FakeClock

OPS = Principal("ops", kind="service")
ADMIN = {"effect": "allow", "actions": ["append", "read", "admin"], "principals": ["ops"]}
READ = {"effect": "allow", "actions": ["read"], "principals": ["kind:agent"]}
OLD, NEW = Policy(parse_rules([ADMIN])), Policy(parse_rules([ADMIN, READ]))


def test_no_file_of_the_ledger_holds_a_tokens_secret(tmp_path: Path) -> None:
    """Scan the database, its WAL and the key store, byte by byte, after close."""
    with fleetledger.open(f"sqlite:///{tmp_path}/l.db", principal=OPS, access=OLD) as ledger:
        made = ledger.create_token(Principal("planner", kind="agent"))
        assert ledger.principal_for_token(made.secret).id == "planner"
    secret = made.secret.split("_", 2)[2].encode()
    files = list(tmp_path.iterdir())
    assert files
    for path in files:
        assert secret not in path.read_bytes(), path


def test_a_token_created_by_one_process_works_in_the_next(tmp_path: Path) -> None:
    """Tokens live in the ledger, not in the process that made them."""
    url = f"sqlite:///{tmp_path}/l.db"
    with fleetledger.open(url, principal=OPS, access=OLD) as ledger:
        made = ledger.create_token(Principal("planner", kind="agent"))
    with fleetledger.open(url, readonly=True) as reader:
        assert reader.principal_for_token(made.secret).id == "planner"


def test_a_policy_is_recorded_once_per_change_not_on_every_open(tmp_path: Path) -> None:
    """Old, old again, new, new again: two records."""
    url = f"sqlite:///{tmp_path}/l.db"
    for policy in (OLD, OLD, NEW, NEW):
        with fleetledger.open(url, principal=OPS, access=policy):
            pass
    with fleetledger.open(url, principal=OPS) as ledger:
        history = ledger.policy_history()
    assert [record.access.count('"effect"') for record in history] == [1, 2]


def test_a_readonly_ledger_never_records_its_policy(tmp_path: Path) -> None:
    """Opening to read with another policy appends nothing."""
    url = f"sqlite:///{tmp_path}/l.db"
    with fleetledger.open(url, principal=OPS, access=OLD):
        pass
    with fleetledger.open(url, principal=OPS, access=NEW, readonly=True) as reader:
        assert len(reader.policy_history()) == 1


def test_policy_at_a_moment_before_the_change_is_the_older_text(tmp_path: Path) -> None:
    """The policy in force then, not the one in force now."""
    url = f"sqlite:///{tmp_path}/l.db"
    clock = FakeClock()
    with fleetledger.open(url, principal=OPS, access=OLD, clock=clock) as ledger:
        old_text = ledger.policy_history()[0].access
    between = clock.now() + timedelta(hours=1)
    clock.advance(7200)
    with fleetledger.open(url, principal=OPS, access=NEW, clock=clock) as ledger:
        at_old = ledger.policy_at(between)
        now = ledger.policy_at(clock.now() + timedelta(seconds=1))
        before_all = ledger.policy_at(between - timedelta(days=1))
    assert at_old is not None
    assert at_old.access == old_text
    assert now is not None
    assert now.access != old_text
    assert before_all is None
