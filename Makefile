# Two commands take a fresh clone to a running portal: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed-stamp
# Message catalogues (English, Simplified Chinese, Finnish): the .po files are checked in, the
# .mo files are compiled here (with GNU gettext's msgfmt when installed, which also checks the
# format strings; otherwise with accord.ops.catalogues, so a fresh machine still gets every
# language). Checking the catalogues against the code (make test) needs xgettext.
CATALOGUES := $(wildcard src/accord/locale/*/LC_MESSAGES/django.po)
COMPILED   := $(CATALOGUES:.po=.mo)
LINT_PATHS := $(wildcard src tests bench)
# Type-checked: the modules that decide (policy) and change or read state (services,
# selectors), and the download client.
TYPED_PATHS := src/accord/access/policy.py $(wildcard src/accord/*/services*.py) \
               $(wildcard src/accord/*/selectors.py) src/accord/client
# The suite runs on every core (pytest-xdist); PYTEST_ARGS="-n 0" runs it in one process.
PYTEST_WORKERS ?= auto

# The demo keeps everything (SQLite database, secret key, files) under var/demo.
DEMO_ENV := ACCORD_DEBUG=true ACCORD_DATA_DIR=$(CURDIR)/var/demo ACCORD_TASKS_BACKEND=immediate \
            ACCORD_EMAIL_BACKEND=console ACCORD_SITE_URL=http://$(HOST):$(PORT)

.PHONY: install lock demo demo-load demo-code test lint typecheck format bench clean

# Development installs the dev lock (runtime + tests and tools); production installs only
# requirements/runtime.txt (deploy/README.md).
$(STAMP): requirements/dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP) $(COMPILED)

%.mo: %.po $(STAMP)
	@if command -v msgfmt >/dev/null; then msgfmt --check-format -o $@ $<; else \
	  echo "msgfmt not found (GNU gettext): compiling $< with Python instead"; \
	  $(BIN)/python -m accord.ops.catalogues compile $< $@; fi

# After editing requirements/*.in: recompile both hashed locks. Pins already in a lock are
# kept unless the .in file rules them out; `make lock UPGRADE=1` moves everything to the newest.
LOCK_FLAGS := --quiet --generate-hashes --python-version 3.11 --custom-compile-command "make lock" \
              $(if $(UPGRADE),--upgrade)
lock: install
	$(BIN)/uv pip compile $(LOCK_FLAGS) requirements/runtime.in -o requirements/runtime.txt
	$(BIN)/uv pip compile $(LOCK_FLAGS) requirements/dev.in -o requirements/dev.txt

demo-load: install
	$(DEMO_ENV) $(BIN)/accord migrate --noinput
	$(DEMO_ENV) $(BIN)/accord demo

demo: demo-load
	@echo "Accord demo: http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	$(DEMO_ENV) $(BIN)/accord runserver --noreload $(HOST):$(PORT)

demo-code: install
	@$(DEMO_ENV) $(BIN)/accord demo_code

lint: install
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

typecheck: install
	ACCORD_DEBUG=true ACCORD_DATA_DIR=$(CURDIR)/var/test $(BIN)/mypy $(TYPED_PATHS)

format: install
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

test: lint typecheck
	ACCORD_DEBUG=true ACCORD_DATA_DIR=$(CURDIR)/var/test $(BIN)/accord makemigrations --check --dry-run
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf var/demo var/test test-artifacts
