# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 0.0.0.0
PORT   ?= 8000

.PHONY: install run test lint format bench clean chromium guide-deps

$(STAMP): pyproject.toml $(wildcard examples/*/pyproject.toml)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,scale]' -e examples/soporte-politica-sin-asignar \
		-e examples/soporte-escalamiento-vip
	@touch $(STAMP)

install: $(STAMP)

## Migrate the SQLite database, load demo data (idempotent), print the demo logins, serve on :8000.
run: install
	$(BIN)/soporte migrate
	$(BIN)/soporte demo
	$(BIN)/soporte run --host $(HOST) --port $(PORT)

## The whole test suite (the browser tests need Debian's chromium: installed with apt if missing;
## the guide-conformance suite needs Node.js 20+ and its pinned npm packages).
test: install chromium guide-deps
	$(BIN)/python -m pytest

## Debian's /usr/bin/chromium for tests/browser (apt-get; playwright never downloads a browser).
chromium:
	scripts/chromium.sh

## Node.js and tests/guide's npm packages (React, Babel standalone; `npm ci` when missing).
guide-deps:
	scripts/guide-deps.sh

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) soporte.db soporte.db-* .secret_key media .pytest_cache .ruff_cache
