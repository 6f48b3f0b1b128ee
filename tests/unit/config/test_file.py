"""Reading fleetledger.toml: where it is found, what it may hold, every fault named by its line,
and the ledger it opens."""

from pathlib import Path
from typing import Any

import pytest

import fleetledger
from fleetledger import Config, ConfigurationError, Principal
from fleetledger.config import find_config, parse_config, read_config
from fleetledger.errors import PolicyError
from fleetledger.ledger import write_key_pair

FULL = """\
[ledger]
url = "sqlite:///fleet.db"
namespace = "prod"
signing_key = "keys/fleet.key"
verifier_key = "keys/fleet.pub"

[[principals]]
id = "planner"
kind = "agent"
tenant = "acme"

[[principals]]
id = "alice"
kind = "human"

[[rules]]
effect = "allow"
actions = ["append", "read"]
principals = ["kind:agent"]

[[ordering]]
name = "payments need an approval"
when = { type = "tool.call.started", "data.tool" = "payments.*" }

[keys]
store = "keys/"
"""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory of its own, with no configuration named by the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLEETLEDGER_CONFIG", raising=False)
    monkeypatch.delenv("FLEETLEDGER_URL", raising=False)
    monkeypatch.delenv("FLEETLEDGER_KEY", raising=False)
    return tmp_path


def refusal(text: str) -> str:
    """The message a configuration file holding ``text`` is refused with."""
    with pytest.raises(PolicyError) as caught:
        parse_config(text, Path("fleetledger.toml"))
    return str(caught.value)


# -- finding the file ---------------------------------------------------------------------------


def test_without_any_file_there_is_no_configuration(here: Path) -> None:
    """The implicit ./fleetledger.toml is optional: none found, none used."""
    assert find_config() is None
    assert Config.load() == Config()


def test_the_file_in_the_current_directory_is_found(here: Path) -> None:
    """./fleetledger.toml is used when nothing names another."""
    (here / "fleetledger.toml").write_text("")

    assert find_config() == Path("fleetledger.toml")


def test_the_environment_wins_over_the_current_directory(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$FLEETLEDGER_CONFIG names the file even when ./fleetledger.toml exists."""
    (here / "fleetledger.toml").write_text("")
    (here / "other.toml").write_text("")
    monkeypatch.setenv("FLEETLEDGER_CONFIG", "other.toml")

    assert find_config() == Path("other.toml")


def test_an_explicit_path_wins_over_the_environment(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--config (the path given) beats $FLEETLEDGER_CONFIG."""
    (here / "env.toml").write_text("")
    (here / "given.toml").write_text("")
    monkeypatch.setenv("FLEETLEDGER_CONFIG", "env.toml")

    assert find_config("given.toml") == Path("given.toml")


def test_an_explicit_path_that_does_not_exist_is_refused(here: Path) -> None:
    """A typo in --config is an error, never a silent fall back to no configuration."""
    with pytest.raises(ConfigurationError, match=r"no configuration file nope\.toml .*--config"):
        find_config("nope.toml")


def test_an_environment_path_that_does_not_exist_is_refused(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$FLEETLEDGER_CONFIG naming no file is an error too, saying it came from there."""
    monkeypatch.setenv("FLEETLEDGER_CONFIG", "gone.toml")

    with pytest.raises(ConfigurationError, match=r"gone\.toml .*\$FLEETLEDGER_CONFIG"):
        find_config()


# -- what it holds ------------------------------------------------------------------------------


def test_every_section_is_read(here: Path) -> None:
    """The agreed layout reads whole; paths are relative to the file's directory."""
    (here / "conf").mkdir()
    (here / "conf" / "fleetledger.toml").write_text(FULL)

    config = read_config(Path("conf/fleetledger.toml"))

    base = here / "conf"
    assert config.url == f"sqlite:///{base}/fleet.db"
    assert config.namespace == "prod"
    assert config.signing_key == base / "keys/fleet.key"
    assert config.verifier_key == base / "keys/fleet.pub"
    assert [(p.id, p.kind, p.tenant) for p in config.principals] == [
        ("planner", "agent", "acme"),
        ("alice", "human", None),
    ]
    assert config.access is not None
    assert [rule.principals for rule in config.access.rules] == [("kind:agent",)]
    assert config.ordering[0]["when"]["data.tool"] == "payments.*"
    assert config.key_store == base / "keys"


def test_a_url_other_than_a_sqlite_file_is_kept_as_written() -> None:
    """Only a SQLite path is made relative to the file; kafka:// and memory:// are untouched."""
    text = '[ledger]\nurl = "kafka://broker:9092?namespace=x"\n'

    assert parse_config(text, Path("f.toml")).url == "kafka://broker:9092?namespace=x"


# -- refusals, each with its line ---------------------------------------------------------------


def test_an_unknown_section_is_refused_with_its_line() -> None:
    """A misspelt section name is found, not ignored."""
    message = refusal('[ledger]\nurl = "memory://"\n\n[[rule]]\neffect = "allow"\n')

    assert message.startswith("fleetledger.toml:4: unknown section 'rule'")


def test_an_unknown_ledger_key_is_refused_with_its_line() -> None:
    """A misspelt [ledger] key names its line and the keys that exist."""
    message = refusal('[ledger]\nurl = "memory://"\nnamespce = "prod"\n')

    assert message == (
        "fleetledger.toml:3: unknown key 'namespce' in [ledger]"
        " (known: url, namespace, signing_key, verifier_key)"
    )


def test_an_unknown_keys_key_is_refused_with_its_line() -> None:
    """[keys] holds only the store."""
    assert refusal('[keys]\nstore = "k/"\nkms = "x"\n').startswith(
        "fleetledger.toml:3: unknown key 'kms' in [keys]"
    )


def test_an_unknown_principal_key_is_refused_with_its_line() -> None:
    """A key of the second [[principals]] is named with that table's number."""
    text = '[[principals]]\nid = "a"\nkind = "agent"\n[[principals]]\nid = "b"\nknd = "agent"\n'

    assert refusal(text).startswith("fleetledger.toml:6: unknown key 'knd' in a principal")


@pytest.mark.parametrize(
    ("table", "line", "fault"),
    [
        ('id = "a"', 1, "needs 'kind'"),
        ('kind = "agent"', 1, "needs 'id'"),
        ('id = "a"\nkind = "robot"', 3, "kind 'robot' is not one of agent, human, service"),
        ('id = ""\nkind = "agent"', 2, "'id' must be 1 to 256 characters"),
        ('id = 7\nkind = "agent"', 2, "'id' must be a string"),
        ('id = "a"\nkind = "agent"\ntenant = ""', 4, "'tenant' must be 1 to 256 characters"),
    ],
)
def test_a_malformed_principal_is_refused_with_its_line(table: str, line: int, fault: str) -> None:
    """Each principal needs an id, a kind of the three, and a tenant only if non-empty."""
    message = refusal(f"[[principals]]\n{table}\n")

    assert message.startswith(f"fleetledger.toml:{line}: ")
    assert fault in message


def test_a_principal_named_twice_is_refused_at_the_second() -> None:
    """Ids are unique: the second table naming one is the fault."""
    text = '[[principals]]\nid = "a"\nkind = "agent"\n\n[[principals]]\nid = "a"\nkind = "human"\n'

    assert refusal(text) == "fleetledger.toml:6: principal 'a' is named twice"


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ('[ledger]\nurl = "postgres://x"\n', "fleetledger.toml:2: unsupported ledger URL scheme"),
        ("[ledger]\nnamespace = 3\n", "fleetledger.toml:2: ledger.namespace must be a non-empty"),
        ('[ledger]\nsigning_key = ""\n', "fleetledger.toml:2: ledger.signing_key must be"),
        ('ledger = "memory://"\n', "fleetledger.toml:1: [ledger] must be a table"),
        ('[keys]\nstore = ["a"]\n', "fleetledger.toml:2: keys.store must be a non-empty string"),
        ('rules = "allow all"\n', "fleetledger.toml:1: must be a list of tables"),
        ("ordering = [1]\n", "fleetledger.toml:1: ordering #1 must be a table"),
    ],
)
def test_a_malformed_value_is_refused_with_its_line(text: str, start: str) -> None:
    """Wrong types and bad URLs are caught when the file is read, each at its line."""
    assert refusal(text).startswith(start)


def test_text_that_is_not_toml_is_refused_with_its_line() -> None:
    """tomllib's own fault keeps its line, in the same FILE:LINE: form."""
    message = refusal('[ledger]\nurl = "memory://"\nnamespace = \n')

    assert message.startswith("fleetledger.toml:3: not valid TOML: ")
    assert "(at line" not in message


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    """Binary junk is named as such, not decoded into nonsense."""
    path = tmp_path / "fleetledger.toml"
    path.write_bytes(b"\xff\xfe[ledger]\n")

    with pytest.raises(ConfigurationError, match="not UTF-8"):
        read_config(path)


# -- the seam for governance's sections ---------------------------------------------------------


def test_a_section_parser_error_is_pointed_at_the_file_line() -> None:
    """Governance parses [[rules]]; its PolicyError path becomes the line of the bad key."""
    text = '[[ordering]]\nname = "n"\n\n[[ordering]]\nnme = "m"\n'
    config = parse_config(text, Path("policy/fleetledger.toml"))

    def parse(tables: list[dict[str, Any]]) -> None:
        raise PolicyError("unknown key 'nme' in a rule", path=("ordering", 1, "nme"))

    with pytest.raises(PolicyError) as caught:
        config.section("ordering", parse)

    assert str(caught.value) == "policy/fleetledger.toml:5: unknown key 'nme' in a rule"
    assert caught.value.path == ("ordering", 1, "nme")


def test_a_malformed_rule_is_refused_with_its_line() -> None:
    """[[rules]] are the access policy's, parsed as the file is read, each fault at its line."""
    text = '[[rules]]\neffect = "allow"\nactions = ["read"]\nprincipals = ["*"]\neffct = "x"\n'

    assert refusal(text).startswith("fleetledger.toml:5: ")


def test_a_section_parser_gets_the_raw_tables_and_its_result_is_returned() -> None:
    """What a parser returns is what section() returns."""
    config = parse_config('[[ordering]]\nname = "n"\n', Path("f.toml"))

    def parse(rules: list[dict[str, Any]]) -> list[str]:
        return [r["name"] for r in rules]

    assert config.section("ordering", parse) == ["n"]


# -- opening the ledger it describes ------------------------------------------------------------


def test_open_uses_the_url_namespace_and_signing_key_of_the_file(here: Path) -> None:
    """Config.open opens the file's ledger, in its namespace, signing with its key."""
    key, _ = write_key_pair("ledger.example/fleet", here)
    (here / "fleetledger.toml").write_text(
        f'[ledger]\nurl = "sqlite:///fleet.db"\nnamespace = "prod"\nsigning_key = "{key.name}"\n'
    )

    with Config.load().open() as ledger:
        position = ledger.append("task.started", subject="t-1", source="test")
        ledger.sign()

    assert position.topic == "prod.task"
    assert (here / "fleet.db").is_file()
    with fleetledger.open("sqlite:///fleet.db?namespace=prod", signer=key) as reopened:
        assert reopened.verify().ok


def test_options_given_to_open_win_over_the_file(here: Path) -> None:
    """An explicit URL or namespace replaces the file's."""
    write = '[ledger]\nurl = "sqlite:///fleet.db"\nnamespace = "p"\n'
    (here / "fleetledger.toml").write_text(write)

    with Config.load().open(url="memory://", namespace="other") as ledger:
        position = ledger.append("task.started", subject="t-1", source="test")

    assert position.topic == "other.task"
    assert not (here / "fleet.db").exists()


def test_open_as_a_configured_principal_stamps_it(here: Path) -> None:
    """principal= names a [[principals]] id; a human authenticates as a user."""
    (here / "fleetledger.toml").write_text(
        '[ledger]\nurl = "memory://"\n[[principals]]\nid = "alice"\nkind = "human"\n'
    )

    with Config.load().open(principal="alice") as ledger:
        ledger.append("task.started", subject="t-1", source="test")
        (event,) = ledger.replay("t-1")

    assert (event.authid, event.authtype) == ("alice", "user")


def test_open_as_a_principal_the_file_does_not_name_is_refused(here: Path) -> None:
    """A typo in a principal id never opens the ledger as someone unknown."""
    with pytest.raises(ConfigurationError, match="no principal 'mallory'"):
        Config().open(principal="mallory", url="memory://")


def test_open_takes_a_principal_object_as_it_is(here: Path) -> None:
    """A Principal built in code needs no [[principals]] entry."""
    with Config().open(principal=Principal("svc"), url="memory://") as ledger:
        ledger.append("task.started", subject="t-1", source="test")
        (event,) = ledger.replay("t-1")

    assert event.authid == "svc"


def test_fleetledger_open_never_reads_the_file(here: Path) -> None:
    """Library users stay explicit: fleetledger.open ignores ./fleetledger.toml."""
    (here / "fleetledger.toml").write_text('[ledger]\nurl = "memory://"\nnamespace = "prod"\n')

    with fleetledger.open("memory://") as ledger:
        position = ledger.append("task.started", subject="t-1", source="test")

    assert position.topic == "fleet.task"


# -- which setting wins -------------------------------------------------------------------------


def test_the_environment_url_wins_over_the_file(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$FLEETLEDGER_URL beats the file's url; the file's namespace still applies."""
    monkeypatch.setenv("FLEETLEDGER_URL", "memory://")
    config = parse_config('[ledger]\nurl = "sqlite:///f.db"\nnamespace = "p"\n', Path("f.toml"))

    assert config.ledger_url() == "memory://?namespace=p"


def test_a_url_option_wins_over_the_file_namespace() -> None:
    """?namespace= in the URL given is not overwritten by the file's namespace."""
    config = parse_config('[ledger]\nnamespace = "p"\n', Path("f.toml"))

    assert config.ledger_url("memory://?namespace=q") == "memory://?namespace=q"


def test_the_key_environment_variable_wins_over_the_file_key(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$FLEETLEDGER_KEY beats signing_key; without it, the file's key becomes ?key=."""
    config = parse_config('[ledger]\nsigning_key = "/k/fleet.key"\n', Path("f.toml"))

    assert config.ledger_url("memory://") == "memory://?key=/k/fleet.key"
    monkeypatch.setenv("FLEETLEDGER_KEY", "/other.key")
    assert config.ledger_url("memory://") == "memory://"


def test_without_a_file_the_url_is_the_default(here: Path) -> None:
    """An empty configuration changes nothing."""
    assert Config().ledger_url() == "sqlite:///./fleetledger.db"
