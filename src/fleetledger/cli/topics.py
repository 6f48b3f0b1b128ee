"""``fleetledger topics``: every topic, its policy, and how far each partition has grown."""

from __future__ import annotations

from typing import Any

from fleetledger import TopicInfo
from fleetledger.cli.common import AsJSON, LedgerURL, open_ledger, output, write_json
from fleetledger.cli.render import topics_table


def topics(ledger: LedgerURL = None, as_json: AsJSON = False) -> None:
    """List topics: family, partitions, key, retention, cleanup, classification, offsets."""
    with open_ledger(ledger) as opened:
        infos = opened.topics()
    if as_json:
        for info in infos:
            write_json(topic_json(info))
    else:
        output().print(topics_table(infos))


def topic_json(info: TopicInfo) -> dict[str, Any]:
    """One topic as a JSON object."""
    policy = info.policy
    return {
        "topic": info.topic,
        "family": info.family,
        "partitions": len(info.partitions),
        "key": policy.key.value,
        "retention_ms": policy.retention_ms,
        "retention_bytes": policy.retention_bytes,
        "cleanup": policy.cleanup.value,
        "classification": policy.classification,
        "events": info.events,
        "offsets": [{"start": p.start, "end": p.end} for p in info.partitions],
    }
