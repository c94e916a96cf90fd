# The two commands of the README: `make run` and `make test`. Everything else is a step of theirs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CRM := CRM_ENV=development $(BIN)/crm
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run port-free setup database demo test browser lint migration-check clean

## make run: set up, load the demo data once, and serve http://127.0.0.1:5000 on SQLite
run: port-free database instance/demo-login.txt
	@echo
	@echo "MTS engagement CRM on http://$(HOST):$(PORT) (SQLite: instance/crm.sqlite3)"
	@echo "Sign in with one of these demo accounts (saved in instance/demo-login.txt):"
	@sed -n '/^Sign in/,$$p' instance/demo-login.txt | tail -n +2
	@echo
	$(CRM) run --host $(HOST) --port $(PORT)

# Checked before anything else, so a busy port is said at once, not after the set-up and the
# demo accounts. SO_REUSEADDR: only a listening server counts as busy, not closing sockets.
port-free:
	@case '$(PORT)' in ''|*[!0-9]*) echo "PORT must be a port number, e.g. make run PORT=5001"; exit 1;; esac
	@$(PYTHON) -c 'import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((sys.argv[1], int(sys.argv[2])))' '$(HOST)' '$(PORT)' 2>/dev/null || \
	  { echo "Port $(PORT) on $(HOST) is busy (another server is listening there)."; \
	    echo "Stop that server, or choose another port: make run PORT=$$(( $(PORT) + 1 ))"; exit 1; }

$(BIN)/crm: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))"; exit 1; }
	test -x $(VENV)/bin/python || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); } || \
	  { echo "Cannot create a virtual environment: on Debian, apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(BIN)/crm

setup: $(BIN)/crm

database: setup
	$(CRM) db upgrade
	$(CRM) seed

instance/demo-login.txt:
	@mkdir -p -m 700 instance
	@echo "Loading the demo data set (a few seconds) ..."
	umask 077; $(CRM) demo > instance/demo-login.tmp && mv instance/demo-login.tmp instance/demo-login.txt

## make test: set up and run the whole suite (SQLite unless CRM_TEST_DATABASE_URL is set)
test: setup browser
	CRM_TEST_DATABASE_URL="$(CRM_TEST_DATABASE_URL)" $(BIN)/python -m pytest $(PYTEST_ARGS)

# The browser tests drive Debian's Chromium (Playwright's own browser download cannot be used).
browser:
	@if [ ! -x /usr/bin/chromium ] && [ -z "$$CRM_CHROMIUM" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	  else \
	    echo "The browser tests need Chromium: sudo apt-get install chromium chromium-driver"; exit 1; \
	  fi; \
	fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy over crm/ (settings in pyproject.toml): CI fails on any type error.
typecheck: setup
	$(BIN)/mypy

# Migrations build the schema the models describe (tests/test_migrations.py checks it too).
migration-check: setup
	@rm -rf /tmp/crm-migration-check && mkdir -p /tmp/crm-migration-check
	CRM_ENV=development CRM_DATABASE_URL=sqlite:////tmp/crm-migration-check/check.sqlite3 $(BIN)/crm db upgrade
	CRM_ENV=development CRM_DATABASE_URL=sqlite:////tmp/crm-migration-check/check.sqlite3 $(BIN)/crm db check

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache *.egg-info
