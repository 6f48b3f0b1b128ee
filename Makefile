# Every target creates or refreshes its own virtual environment from pyproject.toml, pinned by
# constraints.txt, so a fresh clone needs nothing but python3 (3.11+).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test interop ui-verify screenshots fuzz bench lint lock clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fleetledger demo

test: $(STAMP) interop
	$(BIN)/python -m pytest

# The suite's parts in other languages (Apache Kafka and Kafka Connect jars, the Connect transform,
# npm and Go dependencies), fetched and built once into .cache/ (git-ignored); a part whose
# toolchain is missing is left out with one line, and its tests skip (fail under CI=true).
interop: $(STAMP)
	$(BIN)/python interop/prepare.py

# The web UI's copy of the TypeScript verifier (src/fleetledger/server/ui/verify/): the package
# ships it built, so installing needs no Node; rebuild it after changing verifiers/ts (a test
# fails while the copy differs from a fresh build).
ui-verify: interop
	rm -rf src/fleetledger/server/ui/verify && mkdir -p src/fleetledger/server/ui/verify
	cp verifiers/ts/dist/src/*.js src/fleetledger/server/ui/verify/

# The README's pictures of the web UI (docs/ui-*.png), taken of the demo's ledger in Debian's
# Chromium (apt-get install chromium).
screenshots: demo
	$(BIN)/python docs/screenshots.py

# Only the fuzz tests, with many more generated inputs each than `make test` tries (about a
# quarter of an hour on 2 cores). Hypothesis bounds each call; a whole test may pass the suite's
# 300 s timeout, so this run allows 30 minutes per test.
fuzz: $(STAMP)
	FLEETLEDGER_FUZZ_EXAMPLES=20000 $(BIN)/python -m pytest -m fuzz -q --timeout=1800

# Every benchmark, one table; writes bench/results.json and the chart bench/results.png that
# bench/README.md shows. BENCH_SCALE=large measures the larger file at 10^7 events (cached in
# bench/.cache/, built on first use: minutes and gigabytes).
bench: $(STAMP)
	$(BIN)/python bench/run.py --json bench/results.json --chart bench/results.png

lint: $(STAMP)
	$(BIN)/ruff check src tests bench interop docs
	$(BIN)/ruff format --check src tests bench interop docs
	$(BIN)/mypy
	$(BIN)/lint-imports

# Re-pin every dependency to what resolves today (run after changing pyproject.toml).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[dev,bench]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache fleetledger.db fleetledger.db-* fleet-demo.key fleet-demo.pub evidence-*.json
