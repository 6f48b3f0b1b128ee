"""The ledger head: one signed note over every partition's tree head, in one canonical form."""

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetledger.errors import NotFound
from fleetledger.integrity import (
    EMPTY_ROOT,
    BadSignature,
    Checkpoint,
    LedgerHead,
    MalformedNote,
    NoteSigner,
    PartitionHead,
    UnknownKey,
    WrongOrigin,
    leaf_hash,
    open_ledger_head,
    sign_ledger_head,
)

ONE = leaf_hash(b"one")
HEADS = [
    PartitionHead("acme.tool", 0, 1, ONE),
    PartitionHead("acme.task", 10, 0, EMPTY_ROOT),
    PartitionHead("acme.task", 2, 1, ONE),
]


@pytest.fixture(scope="module")
def notary() -> NoteSigner:
    """One notary key for the module."""
    return NoteSigner.generate("ledger.example.com/acme")


def b64(hashed: bytes) -> str:
    """Standard padded base64, as head lines spell roots."""
    return base64.b64encode(hashed).decode()


def test_a_signed_head_opens_to_the_same_head(notary: NoteSigner) -> None:
    """sign_ledger_head then open_ledger_head gives back every partition head."""
    head = open_ledger_head(sign_ledger_head("acme", HEADS, notary), notary.verifier)
    assert head == LedgerHead.of("acme", HEADS)


def test_the_head_body_is_the_documented_text(notary: NoteSigner) -> None:
    """Origin line, then one sorted line per partition; partitions sort as numbers."""
    note = sign_ledger_head("acme", HEADS, notary).decode()
    assert note.split("\n\n")[0] + "\n" == (
        "acme ledger head\n"
        f"acme.task/2 1 {b64(ONE)}\n"
        f"acme.task/10 0 {b64(EMPTY_ROOT)}\n"
        f"acme.tool/0 1 {b64(ONE)}\n"
    )


@settings(max_examples=50, deadline=None)
@given(st.permutations(HEADS))
def test_the_order_heads_are_given_in_does_not_change_the_note(order: list[PartitionHead]) -> None:
    """A head has one encoding, so the same cut always signs the same bytes."""
    assert LedgerHead.of("acme", order).body() == LedgerHead.of("acme", HEADS).body()


def test_an_empty_ledger_has_a_head_of_one_line(notary: NoteSigner) -> None:
    """A namespace with no partitions yet still gets a signed head."""
    head = open_ledger_head(sign_ledger_head("acme", [], notary), notary.verifier)
    assert (head.namespace, head.partitions) == ("acme", ())


def test_a_partition_head_is_found_by_topic_and_partition() -> None:
    """A verifier looks up the partition its event lives in."""
    assert LedgerHead.of("acme", HEADS).partition("acme.task", 10).size == 0


def test_a_partition_the_head_does_not_cover_is_not_found() -> None:
    """Asking for an unknown partition raises NotFound."""
    with pytest.raises(NotFound):
        LedgerHead.of("acme", HEADS).partition("acme.task", 3)


def test_a_head_line_agrees_with_the_partition_checkpoint() -> None:
    """A partition head and a checkpoint of the same tree carry the same size and root."""
    checkpoint = Checkpoint("ledger.example.com/acme.task/2", 1, ONE)
    line = HEADS[2].line()
    assert line.split(" ")[1:] == checkpoint.body().splitlines()[1:]


def test_a_tampered_head_is_a_bad_signature(notary: NoteSigner) -> None:
    """Changing any partition's size in a signed head breaks the signature."""
    note = sign_ledger_head("acme", HEADS, notary)
    with pytest.raises(BadSignature):
        open_ledger_head(note.replace(b"acme.tool/0 1 ", b"acme.tool/0 2 "), notary.verifier)


def test_a_head_by_another_key_is_an_unknown_key(notary: NoteSigner) -> None:
    """Only heads signed by a trusted notary open."""
    note = sign_ledger_head("acme", HEADS, NoteSigner.generate("ledger.example.com/acme"))
    with pytest.raises(UnknownKey):
        open_ledger_head(note, notary.verifier)


def test_a_head_of_another_namespace_is_a_wrong_origin(notary: NoteSigner) -> None:
    """A valid head of namespace 'other' is refused where 'acme' is expected."""
    note = sign_ledger_head("other", [], notary)
    with pytest.raises(WrongOrigin):
        open_ledger_head(note, notary.verifier, namespace="acme")


def test_a_checkpoint_is_never_read_as_a_head(notary: NoteSigner) -> None:
    """The two kinds of note cannot be confused for one another."""
    body = Checkpoint("acme ledger head", 0, EMPTY_ROOT).body().encode()
    note = body + b"\n" + notary.sign(body).line().encode()
    with pytest.raises(MalformedNote):
        open_ledger_head(note, notary.verifier)


@pytest.mark.parametrize(
    "body",
    [
        f"acme ledger head\nacme.task/1 1 {b64(ONE)}\nacme.task/0 1 {b64(ONE)}\n",
        f"acme ledger head\nacme.task/0 1 {b64(ONE)}\nacme.task/0 1 {b64(ONE)}\n",
        f"acme ledger head\nacme.task/01 1 {b64(ONE)}\n",
        f"acme ledger head\nacme.task 1 {b64(ONE)}\n",
        f"acme ledger head\nacme task/0 1 {b64(ONE)}\n",
        f"acme ledger head\nacme.task/0  1 {b64(ONE)}\n",
        f"acme ledger head\nacme.task/0 0 {b64(ONE)}\n",
        f"acme ledger head\n\nacme.task/0 1 {b64(ONE)}\n",
        "acme ledger\n",
        " ledger head\n",
        "ac me ledger head\n",
    ],
    ids=[
        "unsorted",
        "duplicate",
        "leading-zero-partition",
        "no-partition",
        "space-in-topic",
        "double-space",
        "empty-tree-with-another-root",
        "blank-line",
        "no-suffix",
        "empty-namespace",
        "space-in-namespace",
    ],
)
def test_a_malformed_head_is_refused(body: str, notary: NoteSigner) -> None:
    """Anything but the one canonical encoding raises MalformedNote, even when signed."""
    note = body.encode() + b"\n" + notary.sign(body.encode()).line().encode()
    with pytest.raises(MalformedNote):
        open_ledger_head(note, notary.verifier)


def test_a_head_cannot_be_built_from_unsorted_partitions() -> None:
    """The constructor keeps the canonical order; LedgerHead.of sorts for the caller."""
    with pytest.raises(ValueError, match="sorted"):
        LedgerHead("acme", tuple(HEADS))


def test_a_partition_head_refuses_a_topic_outside_the_kafka_alphabet() -> None:
    """Topics are A-Z a-z 0-9 . _ - so lines split unambiguously."""
    with pytest.raises(ValueError, match="topic"):
        PartitionHead("acme/task", 0, 0, EMPTY_ROOT)


# -- inputs that used to escape the error tree or be misreported (fuzzing) ----------------------


def test_a_partition_number_of_thousands_of_digits_is_refused_as_not_a_count() -> None:
    """A partition past int()'s 4300-digit limit is reported as not a decimal count."""
    with pytest.raises(MalformedNote, match="not a decimal count"):
        LedgerHead.parse(f"acme ledger head\nacme.task/{'1' * 4301} 1 {b64(ONE)}\n")


def test_a_namespace_with_a_lone_surrogate_is_a_malformed_note() -> None:
    """A head given as text whose namespace UTF-8 cannot encode is not a ledger head."""
    with pytest.raises(MalformedNote):
        LedgerHead.parse("ac\udc80me ledger head\n")


def test_parsing_head_bytes_is_a_malformed_note() -> None:
    """LedgerHead.parse reads the note's text; bytes are refused with MalformedNote."""
    with pytest.raises(MalformedNote, match="text"):
        LedgerHead.parse(b"acme ledger head\n")  # type: ignore[arg-type]


def test_parsing_a_head_line_from_bytes_is_a_value_error() -> None:
    """PartitionHead.parse keeps its documented ValueError for bytes, not a TypeError."""
    with pytest.raises(ValueError, match="text"):
        PartitionHead.parse(f"acme.task/0 1 {b64(ONE)}".encode())  # type: ignore[arg-type]
