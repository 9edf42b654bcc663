# Every target builds .venv from the pinned lock on a fresh machine, so `make test` and `make run` just work.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench chaos lint lock demo clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/placewatch gazetteer build --quiet
	touch $(STAMP)

run: $(STAMP)
	@test -f placewatch.toml || $(BIN)/placewatch init --path placewatch.toml
	$(BIN)/placewatch --config placewatch.toml run

demo: $(STAMP)
	$(BIN)/placewatch demo

# The dashboard tests drive Debian's Chromium; install it when it is missing (root, or sudo, on Debian/Ubuntu).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "install Chromium for the dashboard tests, or set CHROMIUM=/path/to/chromium"; exit 1; }
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check monitor workers tests bench
	PLACEWATCH_CHROMIUM=$(CHROMIUM) PLACEWATCH_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/poller.py
	$(BIN)/python bench/pipeline.py

chaos: $(STAMP)
	$(BIN)/python bench/chaos.py

lint: $(STAMP)
	$(BIN)/ruff check monitor workers tests bench

# Re-pin: resolve requirements.in in a throwaway venv and freeze it.
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install --quiet --upgrade -r requirements.in
	{ echo "# Pinned by 'make lock' from requirements.in (pip freeze of a fresh venv). Do not edit by hand."; \
	  .lockvenv/bin/pip freeze --all --exclude-editable | grep -v '^pip=='; } > requirements.lock
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) build *.egg-info
