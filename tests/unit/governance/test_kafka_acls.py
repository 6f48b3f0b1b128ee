"""Kafka ACL bindings derived from a policy: what each action becomes, how globs become
patterns, and that what the broker cannot express is granted less, never more."""

import pytest

from fleetledger.errors import PolicyError
from fleetledger.governance import Action, Effect, Policy, Principal, Rule
from fleetledger.governance.kafka_acls import Binding, kafka_acls, shell_line
from fleetledger.types import Classification

AGENTS = (Principal("planner", kind="agent"), Principal("executor", kind="agent"))


def rule(
    effect: Effect, actions: tuple[Action, ...], who: str = "planner", **fields: object
) -> Rule:
    """A rule of ``effect`` on ``actions`` for ``who``."""
    return Rule(effect, actions, (who,), **fields)  # type: ignore[arg-type]


def derive(*rules: Rule) -> set[tuple[str, str, str, str, str, str]]:
    """The bindings of ``rules`` in namespace prod, without rule numbers."""
    acls = kafka_acls(Policy(rules), AGENTS, "prod")
    return {
        (b.principal, b.permission, b.operation, b.resource_type, b.name, b.pattern)
        for b in acls.bindings
    }


def opening(user: str = "User:planner") -> set[tuple[str, str, str, str, str, str]]:
    """What anyone allowed anything gets to open the ledger in namespace prod."""
    return {
        (user, "ALLOW", "DESCRIBE", "TOPIC", "prod.", "PREFIXED"),
        (user, "ALLOW", "DESCRIBE_CONFIGS", "TOPIC", "prod.", "PREFIXED"),
        (user, "ALLOW", "READ", "TOPIC", "prod._checkpoints", "LITERAL"),
        (user, "ALLOW", "READ", "TOPIC", "_fleetledger.topics", "LITERAL"),
        (user, "ALLOW", "DESCRIBE", "TOPIC", "_fleetledger.topics", "LITERAL"),
        (user, "ALLOW", "DESCRIBE_CONFIGS", "TOPIC", "_fleetledger.topics", "LITERAL"),
    }


def test_anyone_allowed_anything_may_see_the_namespace_topics_and_read_the_registry() -> None:
    """Opening a ledger lists the namespace's topics and their configs (a topic it cannot see
    it would try to create) and reads the policy registry and the signed checkpoints; no
    event topic is readable by that alone."""
    bindings = derive(rule(Effect.ALLOW, (Action.READ,), families=("governance",)))

    assert opening() <= bindings
    assert not any(b[2] == "READ" and b[4] == "prod." for b in bindings)


def test_append_is_write_on_the_topic_idempotence_and_transactional_ids() -> None:
    """An allowed append needs WRITE and DESCRIBE, IDEMPOTENT_WRITE and the fleetledger- ids."""
    assert (
        derive(rule(Effect.ALLOW, (Action.APPEND,), families=("task",)))
        == {
            ("User:planner", "ALLOW", "WRITE", "TOPIC", "prod.task", "LITERAL"),
            ("User:planner", "ALLOW", "DESCRIBE", "TOPIC", "prod.task", "LITERAL"),
            ("User:planner", "ALLOW", "IDEMPOTENT_WRITE", "CLUSTER", "kafka-cluster", "LITERAL"),
            ("User:planner", "ALLOW", "WRITE", "TRANSACTIONAL_ID", "fleetledger-", "PREFIXED"),
            ("User:planner", "ALLOW", "DESCRIBE", "TRANSACTIONAL_ID", "fleetledger-", "PREFIXED"),
        }
        | opening()
    )


def test_read_is_read_on_the_topic_and_on_groups_prefixed_by_the_principal() -> None:
    """An allowed read needs READ and DESCRIBE on the topic and READ on the principal's groups."""
    assert (
        derive(rule(Effect.ALLOW, (Action.READ,), families=("governance",)))
        == {
            ("User:planner", "ALLOW", "READ", "TOPIC", "prod.governance", "LITERAL"),
            ("User:planner", "ALLOW", "DESCRIBE", "TOPIC", "prod.governance", "LITERAL"),
            ("User:planner", "ALLOW", "READ", "GROUP", "planner", "PREFIXED"),
        }
        | opening()
    )


def test_admin_is_alter_describe_configs_and_create_on_the_topic() -> None:
    """An allowed admin alters, describes the configs of and creates the family's topics."""
    assert (
        derive(rule(Effect.ALLOW, (Action.ADMIN,), families=("state",)))
        == {
            ("User:planner", "ALLOW", op, "TOPIC", "prod.state", "LITERAL")
            for op in ("ALTER", "DESCRIBE_CONFIGS", "CREATE", "DESCRIBE")
        }
        | opening()
    )


def test_a_deny_rule_is_a_deny_binding_of_the_topic_operations_only() -> None:
    """deny read is DENY READ on the topic: no group, and DESCRIBE stays for the allows."""
    assert derive(rule(Effect.DENY, (Action.READ,), families=("context",))) == {
        ("User:planner", "DENY", "READ", "TOPIC", "prod.context", "LITERAL"),
    }


@pytest.mark.parametrize(
    ("glob", "name", "pattern"),
    [
        ("task", "prod.task", "LITERAL"),
        ("tool*", "prod.tool", "PREFIXED"),
        ("*", "prod.", "PREFIXED"),
    ],
)
def test_a_family_glob_ending_in_one_star_is_a_prefixed_pattern(
    glob: str, name: str, pattern: str
) -> None:
    """A plain family is LITERAL; a trailing * is PREFIXED on {namespace}.{stem}."""
    bindings = derive(rule(Effect.DENY, (Action.APPEND,), families=(glob,)))

    assert bindings == {("User:planner", "DENY", "WRITE", "TOPIC", name, pattern)}


@pytest.mark.parametrize("glob", ["t?sk", "*tool", "to*l*", "[ab]*"])
def test_a_glob_kafka_cannot_express_is_refused_naming_its_path(glob: str) -> None:
    """Only names and trailing-star prefixes become ACLs; the error points at the glob."""
    rules = (
        rule(Effect.ALLOW, (Action.READ,)),
        rule(Effect.ALLOW, (Action.READ,), families=("task", glob)),
    )

    with pytest.raises(PolicyError, match="cannot be a Kafka ACL") as raised:
        kafka_acls(Policy(rules), AGENTS, "prod")
    assert raised.value.path == ("rules", 1, "families", 1)


def test_a_kind_becomes_every_configured_principal_of_that_kind() -> None:
    """kind:agent binds planner and executor, each with its own group prefix."""
    bindings = derive(rule(Effect.ALLOW, (Action.READ,), "kind:agent", families=("task",)))

    assert {(b[0], b[4]) for b in bindings if b[3] == "GROUP"} == {
        ("User:planner", "planner"),
        ("User:executor", "executor"),
    }


def test_a_kind_no_principal_has_binds_nothing_and_says_so() -> None:
    """kind:human with no human configured: no bindings, and a note."""
    acls = kafka_acls(Policy((rule(Effect.ALLOW, (Action.READ,), "kind:human"),)), AGENTS, "prod")

    assert acls.bindings == ()
    assert any("kind:human" in note for note in acls.notes)


def test_star_is_every_user_with_every_group() -> None:
    """* becomes User:* and its groups the literal wildcard."""
    bindings = derive(rule(Effect.ALLOW, (Action.READ,), "*", families=("task",)))

    assert ("User:*", "ALLOW", "READ", "GROUP", "*", "LITERAL") in bindings


def test_an_allow_narrowed_to_classifications_is_left_out() -> None:
    """The broker cannot grant part of a topic, so it grants nothing, and a note says so."""
    narrowed = rule(Effect.ALLOW, (Action.READ,), classifications=(Classification.PUBLIC,))
    acls = kafka_acls(Policy((narrowed,)), AGENTS, "prod")

    assert acls.bindings == ()
    assert "left out" in acls.notes[0]


def test_a_deny_narrowed_to_tenants_denies_the_whole_family() -> None:
    """Failing closed: the narrowed deny becomes a DENY on the whole topic, with a note."""
    narrowed = rule(Effect.DENY, (Action.READ,), families=("task",), tenants=("acme",))
    acls = kafka_acls(Policy((narrowed,)), AGENTS, "prod")

    assert [(b.permission, b.operation, b.name) for b in acls.bindings] == [
        ("DENY", "READ", "prod.task")
    ]
    assert "denies whole families" in acls.notes[0]


def test_each_binding_names_its_rule_and_repeats_are_bound_once() -> None:
    """Bindings carry the number of the first rule that derives them, each exactly once."""
    same = rule(Effect.ALLOW, (Action.READ,), families=("task",))
    again = Rule(Effect.ALLOW, (Action.READ,), ("planner",), name="again")
    acls = kafka_acls(Policy((same, again)), AGENTS, "prod")
    task = [b for b in acls.bindings if b.name == "prod.task"]

    assert [(b.operation, b.rule) for b in task] == [("READ", 1), ("DESCRIBE", 1)]


def test_an_open_policy_derives_nothing_and_says_so() -> None:
    """No policy configured: no bindings, and a note on what a broker then does."""
    acls = kafka_acls(Policy.open(), AGENTS, "prod")

    assert acls.bindings == ()
    assert "no policy is configured" in acls.notes[0]


def test_a_binding_reads_as_a_kafka_acls_sh_command() -> None:
    """The shell line adds the binding with kafka-acls.sh's own flags."""
    binding = Binding("User:planner", "ALLOW", "READ", "GROUP", "planner", "PREFIXED", 1)

    assert shell_line(binding) == (
        'kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --add --allow-principal User:planner'
        " --operation Read --group planner --resource-pattern-type prefixed"
    )


def test_cluster_and_deny_bindings_read_as_commands_too() -> None:
    """A cluster binding takes --cluster; a deny takes --deny-principal."""
    cluster = Binding(
        "User:p", "ALLOW", "IDEMPOTENT_WRITE", "CLUSTER", "kafka-cluster", "LITERAL", 1
    )
    deny = Binding("User:*", "DENY", "WRITE", "TRANSACTIONAL_ID", "fleetledger-", "PREFIXED", 2)

    assert "--operation IdempotentWrite --cluster --resource-pattern-type literal" in shell_line(
        cluster
    )
    assert (
        "--deny-principal 'User:*' --operation Write --transactional-id fleetledger-"
        in shell_line(deny)
    )
