# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 0.0.0.0
PORT   ?= 8000

.PHONY: install run test test-scale lint format bench bench-peers wrk clean chromium guide-deps \
	openapi-deps messages compile-messages

$(STAMP): pyproject.toml $(wildcard examples/*/pyproject.toml)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,scale]' -e examples/soporte-politica-sin-asignar \
		-e examples/soporte-escalamiento-vip -e examples/soporte-asignacion-especialistas
	$(BIN)/python -m core.i18n_catalog compile
	@touch $(STAMP)

install: $(STAMP)

## Migrate the SQLite database, load demo data (idempotent), serve on :8000 and print the
## portal, console and API docs addresses and the demo logins once start-up is over.
## The built-in plugins only (SOPORTE_PLUGINS=builtin): the example plugins `make install` adds
## for the tests stay disabled; `make run SOPORTE_PLUGINS=builtin,vip` enables one of them.
run: export SOPORTE_PLUGINS ?= builtin
run: install
	$(BIN)/soporte migrate
	$(BIN)/soporte demo
	$(BIN)/soporte run --host $(HOST) --port $(PORT)

## The whole test suite (the browser tests need Debian's chromium: installed with apt if missing;
## the guide-conformance suite, the AsyncAPI validation and the OpenAPI lint need Node.js 20+ and
## their pinned npm packages).
## With SOPORTE_TEST_DATABASE_URL=postgres://… and SOPORTE_TEST_REDIS_URL=redis://… it runs on
## PostgreSQL with the Redis channel layer, plus tests/scaleout/ (two real server processes).
test: install chromium guide-deps openapi-deps
	$(BIN)/python -m pytest

## `make test` on a throwaway PostgreSQL and Redis (scripts/postgres.sh, scripts/redis.sh), as CI.
test-scale: install
	@trap 'scripts/redis.sh stop; scripts/postgres.sh stop' EXIT; \
	pg="$$(scripts/postgres.sh start)" && redis="$$(scripts/redis.sh start)" && \
	SOPORTE_TEST_DATABASE_URL="$$pg" SOPORTE_TEST_REDIS_URL="$$redis" $(MAKE) test

## Debian's /usr/bin/chromium for tests/browser (apt-get; playwright never downloads a browser).
chromium:
	scripts/chromium.sh

## Node.js and the npm packages of tests/guide (React, Babel standalone), tests/asyncapi (the
## official AsyncAPI parser) and tests/browser (axe-core); `npm ci` when missing.
guide-deps:
	scripts/guide-deps.sh

## Redocly's CLI for tests/openapi (the OpenAPI document linted with the recommended rules).
openapi-deps:
	scripts/guide-deps.sh tests/openapi

## Benchmarks (not part of `make test`): bench/api.py at 10,000 tickets against a bare aiohttp
## handler and a one-row insert, with the targets; `make bench TICKETS=1000000` adds a million
## (about 15 minutes); both end with bench/chat_fanout.py (5,000 sockets, 500 msg/s: 3 runs of a
## few minutes each) and bench/notificaciones.py (2,000
## notification sockets, 200 replies/s: a few minutes); then bench/correo.py (mail in over SMTP
## against a bare aiosmtpd sink, under a minute); then bench/export.py (the CSV export of every
## ticket with the server's peak RSS, at 10,000 and TICKETS or 100,000); then
## bench/ticket_search.py (a two-word ticket search at 10,000 and, with TICKETS=1000000, a
## million tickets; SEARCH_ARGS passes options such as --database-url); then bench/procesos.py
## (`--workers 2` against 1 on the lists, and chat fan-out to 5,000 sockets over two workers
## through Redis, on a throwaway PostgreSQL and Redis from scripts/postgres.sh and redis.sh;
## PROCESOS_ARGS passes options such as --database-url). BENCH_ARGS passes more options
## (e.g. --runs 5 --seconds 5 --no-chat --no-notificaciones).
## Then bench/peers/django_helpdesk.py (`make bench-peers`: django-helpdesk's ticket list and
## detail beside soporte's at 10,000 tickets). wrk is installed with apt when missing (else a
## built-in aiohttp load generator is used).
## `make bench DB=postgres` runs api.py, export.py and ticket_search.py on a throwaway PostgreSQL
## server (scripts/postgres.sh; SOPORTE_PG_PORT / SOPORTE_PG_DIR choose its port and directory),
## removed at the end; the mail bench and the peer stay on SQLite.
TICKETS    ?=
BENCH_ARGS ?=
SEARCH_ARGS ?=
PROCESOS_ARGS ?=
DB         ?= sqlite
bench: install wrk
ifeq ($(DB),postgres)
	@trap 'scripts/postgres.sh stop' EXIT; pg="$$(scripts/postgres.sh start)" && \
	$(BIN)/python bench/api.py $(if $(TICKETS),--tickets $(TICKETS)) --database-url "$$pg" \
	  $(BENCH_ARGS) && \
	$(BIN)/python bench/correo.py && \
	$(BIN)/python bench/export.py --tickets 10000 $(if $(TICKETS),$(TICKETS),100000) \
	  --postgres "$$pg" && \
	$(BIN)/python bench/ticket_search.py --tickets 10000 $(TICKETS) --database-url "$$pg" \
	  $(SEARCH_ARGS)
else
	$(BIN)/python bench/api.py $(if $(TICKETS),--tickets $(TICKETS)) $(BENCH_ARGS)
	$(BIN)/python bench/correo.py
	$(BIN)/python bench/export.py --tickets 10000 $(if $(TICKETS),$(TICKETS),100000)
	$(BIN)/python bench/ticket_search.py --tickets 10000 $(TICKETS) $(SEARCH_ARGS)
endif
	$(BIN)/python bench/procesos.py $(PROCESOS_ARGS)
	$(BIN)/python bench/peers/django_helpdesk.py

## django-helpdesk (pinned, in its own venv: bench/peers/.venv) beside soporte at 10,000
## tickets: the ticket list and detail, same client, same machine, same run (a few minutes;
## the first run installs the peer from PyPI). PEER_ARGS passes options (e.g. --runs 5).
PEER_ARGS ?=
bench-peers: install wrk
	$(BIN)/python bench/peers/django_helpdesk.py $(PEER_ARGS)

wrk:
	@command -v wrk >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq wrk >/dev/null 2>&1; } || \
	  echo "wrk is not installed: using the built-in load generator"

## The English catalog after a change of texts: extract every marked text (Python, templates,
## scripts: core/i18n_catalog.py) and update core/locale/en/LC_MESSAGES/soporte.po; new texts
## arrive untranslated (fill their msgstr), texts gone from the code are dropped.
messages: install
	$(BIN)/python -m core.i18n_catalog messages

## The .mo files (also done by `make install`; the app compiles a stale .po in memory anyway).
compile-messages: install
	$(BIN)/python -m core.i18n_catalog compile

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy core plugins examples/soporte-escalamiento-vip/soporte_escalamiento_vip \
		examples/soporte-politica-sin-asignar/soporte_politica_sin_asignar \
		examples/soporte-asignacion-especialistas/soporte_asignacion_especialistas

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) soporte.db soporte.db-* .secret_key media .pytest_cache .ruff_cache
