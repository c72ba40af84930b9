# After-sales service portal. `make run` serves the portal, `make test` runs the suite.
# GNU make; every recipe runs under /bin/sh. See README.md.

SHELL := /bin/sh

VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
TRANSLATIONS := portal/translations
# Interpreter used to create .venv; empty means python3.11, else python3.
PYTHON ?=
HOST ?= 127.0.0.1
PORT ?= 5000
# Extra pytest arguments, e.g. make test PYTEST_ARGS='-m "not browser"'
PYTEST_ARGS ?=

# The system packages must be in place before .venv is built: keep prerequisites in order.
.NOTPARALLEL:
.DEFAULT_GOAL := help

.PHONY: help venv translations babel-extract babel-update run serve test bench audit clean \
	system-run system-serve system-test

help:
	@echo "make run      serve the portal on http://$(HOST):$(PORT)/ (first run loads demo data)"
	@echo "make serve    production: gunicorn on $(HOST):$(PORT), no demo data (README: Production)"
	@echo "make test     run the test suite on SQLite and on a throwaway PostgreSQL, side by side"
	@echo "make bench    run bench/run.py"
	@echo "make audit    check installed packages for known vulnerabilities (pip-audit)"
	@echo "make translations | babel-extract | babel-update | clean"

# --- internal ---------------------------------------------------------------------------------

system-run:
	@bash scripts/ensure-system.sh run

system-serve:
	@bash scripts/ensure-system.sh serve

system-test:
	@bash scripts/ensure-system.sh test

venv: $(VENV)/.installed

# Re-installed only when pyproject.toml is newer than the stamp.
$(VENV)/.installed: pyproject.toml
	@if [ ! -x $(BIN)/python ]; then \
		py="$(PYTHON)"; \
		[ -n "$$py" ] || py=$$(command -v python3.11 || command -v python3) || { \
			echo "python3.11 (or python3) not found" >&2; exit 1; }; \
		echo "Creating $(VENV) with $$py"; \
		"$$py" -m venv $(VENV) || exit 1; \
	fi
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

# --- translations -----------------------------------------------------------------------------

# .mo files are not in git. Old ones are removed first so that a catalogue pybabel skips
# (a header marked fuzzy, which -q would hide) fails here instead of serving stale text.
translations: venv
	@set -e; \
	pos=$$(find $(TRANSLATIONS) -path '*/LC_MESSAGES/messages.po' 2>/dev/null | sort); \
	if [ -z "$$pos" ]; then \
		echo "translations: no catalogues under $(TRANSLATIONS)/ yet, nothing to compile"; \
		exit 0; \
	fi; \
	for po in $$pos; do rm -f "$${po%.po}.mo"; done; \
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS); \
	for po in $$pos; do \
		[ -f "$${po%.po}.mo" ] || { \
			echo "translations: $$po was not compiled (header marked fuzzy?)" >&2; exit 1; }; \
	done

babel-extract: venv
	@mkdir -p $(TRANSLATIONS)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -o $(TRANSLATIONS)/messages.pot .

# fill-en-catalogue.py makes the en catalogue translate every message to itself.
babel-update: venv
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching
	$(BIN)/python scripts/fill-en-catalogue.py

# --- run --------------------------------------------------------------------------------------

# The demo data is loaded on the first run only: `demo load --if-empty` writes nothing once the
# database has any user (so a real department's database never gets the published demo logins).
# Later runs upgrade the schema and print the demo logins.
run: system-run venv translations
	@set -e; \
	$(FLASK) db upgrade; \
	$(FLASK) demo load --if-empty; \
	echo "Serving the portal on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"; \
	exec $(FLASK) run --host $(HOST) --port $(PORT)

# Production: the schema is upgraded first, then gunicorn replaces the recipe's shell.
# Workers come from deploy/gunicorn.conf.py (2 x CPU count + 1 synchronous workers; WEB_CONCURRENCY
# overrides). Never loads demo data.
serve: system-serve venv translations
	@set -e; \
	$(FLASK) db upgrade; \
	echo "Serving the portal with gunicorn on http://$(HOST):$(PORT)/"; \
	HOST=$(HOST) PORT=$(PORT) exec $(BIN)/gunicorn -c deploy/gunicorn.conf.py app:app

# --- test -------------------------------------------------------------------------------------

test: system-test venv translations
	bash scripts/test-both.sh $(BIN)/python $(PYTEST_ARGS)

# --- bench ------------------------------------------------------------------------------------

# Benchmarks print `name: value` lines; each issue adds its own under bench/.
bench: system-test venv translations
	@if [ -f bench/run.py ]; then $(BIN)/python bench/run.py; else echo "bench: no benchmarks yet"; fi

# --- clean ------------------------------------------------------------------------------------

# Leaves .venv itself and instance/ (database, secret key, archive) alone.
clean:
	rm -f $(VENV)/.installed .stamp-*
	find . \( -path ./.venv -o -path ./.git -o -path ./instance \) -prune -o \
		-type d -name __pycache__ -exec rm -rf {} +
	find $(TRANSLATIONS) -name '*.mo' -type f -delete 2>/dev/null || true
	rm -rf test-artifacts .pytest_cache build *.egg-info

# pip-audit of the installed packages; an unreachable advisory service is reported, not a failure.
audit: venv
	bash scripts/audit.sh
