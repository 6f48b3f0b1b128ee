"""``fleetledger topics``: every topic, its policy, and how far each partition has grown."""

from __future__ import annotations

from typing import Annotated, Any

from fleetledger import TopicInfo
from fleetledger.cli.common import LedgerURL, json_option, open_ledger, output, write_json
from fleetledger.cli.render import topics_table

TOPICS_JSON = (
    "one JSON object per line: {topic, family, partitions, key, retention_ms, retention_bytes,"
    " cleanup, classification, events, offsets: [{start, end}]}"
)


def topics(
    ledger: LedgerURL = None, as_json: Annotated[bool, json_option(TOPICS_JSON)] = False
) -> None:
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
