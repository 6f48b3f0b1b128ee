"""A head replay is the same on a mirrored copy: same events, same order, same checks."""

from pathlib import Path

import fleetledger
from fleetledger.demo import simulate
from fleetledger.integrity import NoteSigner
from fleetledger.mirror import mirror


def test_a_mirrored_copy_replays_a_head_as_its_source_does(tmp_path: Path) -> None:
    """Head #1 on the source and on a SQLite copy: the same event ids in the same order,
    checked on the copy with the source's public key."""
    signer = NoteSigner.generate("mirror.example.com")
    source_url = f"sqlite:///{tmp_path / 'src.db'}"
    with fleetledger.open(source_url, signer=signer) as source:
        simulate(source, tasks=6, seed=9)
    with (
        fleetledger.open(source_url, readonly=True) as source,
        fleetledger.open(f"sqlite:///{tmp_path / 'copy.db'}") as copy,
    ):
        assert mirror(source, copy).ok
        original = [event.id for event in source.replay_head(1, verifier=signer.verifier)]
        copied = copy.replay_head(1, verifier=signer.verifier)

        assert [event.id for event in copied] == original
        assert copied.signatures_checked
