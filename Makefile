# Two commands for a newcomer: `make run` (the site with demo data) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run serve test check messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## The embedded default: SQLite, in-memory channel layer, e-mail written to var/mail/.
## The mail worker (manage.py deliver_mail) runs next to daphne and stops when daphne stops.
## Links in e-mail lead to this server: SITE_URL is http://HOST:PORT unless it is set.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py import_municipalities
	$(PY) manage.py seed_demo
	@mkdir -p var/mail
	@echo "Serving on http://$(HOST):$(PORT)/  (e-mail is written to var/mail/ by the mail worker)"
	@export EMAIL_URL=file://$(CURDIR)/var/mail SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)}; \
	$(PY) manage.py deliver_mail & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) community.asgi:application

## The whole test suite; with DATABASE_URL and REDIS_URL set it runs on PostgreSQL and Redis.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## Lint, formatting, types (strict on actions, permissions, querysets) and the one-way layers.
check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## Regenerate the message catalogues after changing interface text (needs gettext).
messages: install
	$(PY) manage.py makemessages --locale nl --locale en --ignore ".venv/*" --ignore "var/*" --ignore "bench/*" --ignore "tests/*" --no-obsolete
	$(PY) manage.py compilemessages --ignore ".venv/*"

clean:
	rm -rf $(VENV) var staticfiles
