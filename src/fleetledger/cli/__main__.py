"""``python -m fleetledger.cli``: the ``fleetledger`` command without its console script."""

from fleetledger.cli.app import main

main()
