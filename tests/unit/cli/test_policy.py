"""``fleetledger policy``: check a policy file, explain a decision, derive Kafka ACLs."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fleetledger.cli.app import app
from fleetledger.cli.policy import line_of

POLICY = """\
[ledger]
namespace = "prod"

[[principals]]
id = "auditor"
kind = "human"

[[principals]]
id = "planner"
kind = "agent"

[[rules]]
effect = "allow"
actions = ["read"]
principals = ["kind:human"]

[[rules]]
name = "no human reads restricted context"
effect = "deny"
actions = ["read"]
principals = ["kind:human"]
families = ["context"]
classifications = ["restricted"]
"""


def run(args: list[str]) -> Result:
    """The command, in-process, with no configuration file from the environment."""
    return CliRunner(env={"FLEETLEDGER_CONFIG": None}).invoke(app, args)


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """A fleetledger.toml with two principals and two rules."""
    path = tmp_path / "fleetledger.toml"
    path.write_text(POLICY)
    return path


def test_check_says_ok_with_the_counts(policy_file: Path) -> None:
    """A valid file: OK, how many rules and principals, exit 0."""
    result = run(["policy", "check", str(policy_file)])

    assert result.exit_code == 0
    assert result.stdout.endswith(": OK, 2 rules, 2 principals\n")


def test_check_without_rules_says_no_policy_is_configured(tmp_path: Path) -> None:
    """A file without [[rules]] leaves the ledger open, and check says so."""
    path = tmp_path / "fleetledger.toml"
    path.write_text('[ledger]\nnamespace = "prod"\n')

    result = run(["policy", "check", str(path), "--json"])

    assert json.loads(result.stdout) == {
        "file": str(path),
        "configured": False,
        "rules": 0,
        "principals": 0,
    }


def test_check_refuses_an_unknown_key_naming_its_line(policy_file: Path) -> None:
    """A misspelt key: exit 2, one line naming the file, the line and the key's path."""
    policy_file.write_text(POLICY.replace('effect = "deny"', 'effct = "deny"'))

    result = run(["policy", "check", str(policy_file)])

    assert result.exit_code == 2
    assert f"{policy_file}, line 19: rules[1].effct: unknown key 'effct'" in result.stderr


def test_check_refuses_a_file_that_is_not_toml(policy_file: Path) -> None:
    """Broken TOML is an input error (exit 2) carrying tomllib's line."""
    policy_file.write_text("[[rules]\n")

    result = run(["policy", "check", str(policy_file)])

    assert result.exit_code == 2
    assert "is not TOML" in result.stderr


def test_the_group_alone_checks_the_configured_file(policy_file: Path) -> None:
    """`fleetledger policy` with $FLEETLEDGER_CONFIG checks that file."""
    result = CliRunner(env={"FLEETLEDGER_CONFIG": str(policy_file)}).invoke(app, ["policy"])

    assert result.exit_code == 0
    assert "OK, 2 rules" in result.stdout


def test_explain_names_the_deny_that_wins_and_exits_4(policy_file: Path) -> None:
    """The auditor may not read restricted context: rule 2 decides, over rule 1."""
    result = run(
        ["policy", "explain", "--principal", "auditor", "--action", "read", "--family",
         "context", "--classification", "restricted", "--file", str(policy_file)]
    )  # fmt: skip

    assert result.exit_code == 4
    assert "auditor (human) may not read context (restricted): denied by rule 2" in result.stdout
    assert "over rule 1" in result.stdout


def test_explain_allows_with_the_family_classification_by_default(policy_file: Path) -> None:
    """Without --classification, governance is read as confidential, its built-in default."""
    result = run(
        ["policy", "explain", "--principal", "auditor", "--action", "read", "--family",
         "governance", "--file", str(policy_file), "--json"]
    )  # fmt: skip

    assert result.exit_code == 0
    explained = json.loads(result.stdout)
    assert (explained["allowed"], explained["rule"], explained["classification"]) == (
        True,
        1,
        "confidential",
    )


def test_explain_treats_an_unknown_principal_as_having_no_kind(policy_file: Path) -> None:
    """A principal not in [[principals]] is denied by no rule, and a note says why."""
    result = run(
        ["policy", "explain", "--principal", "ghost", "--action", "read", "--family", "task",
         "--file", str(policy_file)]
    )  # fmt: skip

    assert result.exit_code == 4
    assert "ghost is not among the file's [[principals]]" in result.stderr
    assert "ghost (no kind) may not read task (internal): no rule allows it" in result.stdout


def test_kafka_acls_prints_commands_and_a_note_per_narrowed_rule(policy_file: Path) -> None:
    """Shell lines in the file's namespace; the narrowed deny is a # note and a whole DENY."""
    result = run(["policy", "kafka-acls", "--file", str(policy_file)])

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith('# rule 2 "no human reads restricted context"')
    assert (
        'kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --add --deny-principal User:auditor'
        " --operation Read --topic prod.context --resource-pattern-type literal"
    ) in lines


def test_kafka_acls_json_is_one_binding_per_line_in_the_given_namespace(
    policy_file: Path,
) -> None:
    """--json prints bindings only (notes go to stderr); --namespace overrides the file's."""
    result = run(
        ["policy", "kafka-acls", "--file", str(policy_file), "--namespace", "qa", "--json"]
    )

    bindings = [json.loads(line) for line in result.stdout.splitlines()]
    assert {b["name"] for b in bindings if b["resource_type"] == "TOPIC"} == {
        "qa.",
        "qa.context",
        "qa._checkpoints",
        "_fleetledger.topics",
    }
    assert "note:" in result.stderr


def test_kafka_acls_refuses_a_glob_kafka_cannot_express_naming_its_line(
    policy_file: Path,
) -> None:
    """A family glob that is no prefix: exit 2 with the line of families."""
    policy_file.write_text(POLICY.replace('families = ["context"]', 'families = ["*text"]'))

    result = run(["policy", "kafka-acls", "--file", str(policy_file)])

    assert result.exit_code == 2
    assert (
        "line 22: rules[1].families[0]: family glob '*text' cannot be a Kafka ACL" in result.stderr
    )


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("rules",), 12),
        (("rules", 1), 17),
        (("rules", 1, "effect"), 19),
        (("rules", 1, "families", 0), 22),
        (("principals", 1, "kind"), 10),
        (("rules", 1, "tenants"), 17),
        (("rules", 5, "effect"), None),
    ],
)
def test_line_of_finds_the_header_then_the_key(path: tuple[str | int, ...], line: int) -> None:
    """The Nth [[section]] header, then its key's line; the header when the key is absent."""
    assert line_of(POLICY, path) == line
