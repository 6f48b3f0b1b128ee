"""The shipped Prometheus alerting rules (``alerts.yml`` beside this module, in the wheel).

They alert on the metrics this package serves: a consumer group falling further behind, a
notary that stopped signing, dead letters, failing or refused appends, a spike of policy
denials, a hot partition, a mirror left behind. ``fleetledger metrics --alerts`` prints them.
"""

from __future__ import annotations

from importlib.resources import files

__all__ = ["alert_rules"]


def alert_rules() -> str:
    """The text of the shipped rule file (Prometheus rule-file YAML)."""
    return files("fleetledger.observe").joinpath("alerts.yml").read_text(encoding="utf-8")
