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
## The demo runs as production does (DEBUG off), so that it shows the site's own error pages:
## a secret key made once in var/, the hosts and the address it is served on, the SQLite file
## as DATABASE_URL, plain HTTP, and the static files collected for WhiteNoise to serve.
## The mail worker (manage.py deliver_mail) runs next to daphne and stops when daphne stops.
DEMO_ENV = DEBUG=0 HTTPS=0 SECRET_KEY="$$(cat var/demo-secret-key)" \
	ALLOWED_HOSTS=$(HOST),127.0.0.1,localhost SITE_URL=http://$(HOST):$(PORT) \
	CSRF_TRUSTED_ORIGINS=http://localhost:$(PORT),http://127.0.0.1:$(PORT) \
	DATABASE_URL=sqlite:///$(CURDIR)/var/samenleven.sqlite3 EMAIL_URL=file://$(CURDIR)/var/mail

run: install
	@mkdir -p var/mail
	@test -s var/demo-secret-key || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > var/demo-secret-key
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py import_municipalities
	$(DEMO_ENV) $(PY) manage.py seed_demo
	$(DEMO_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Serving on http://$(HOST):$(PORT)/  (e-mail is written to var/mail/ by the mail worker)"
	@export $(DEMO_ENV); \
	$(PY) manage.py deliver_mail & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) community.asgi:application

## The same site with DEBUG on (Django's error pages, templates read again on every change).
serve: install
	$(PY) manage.py migrate --noinput
	@mkdir -p var/mail
	@export EMAIL_URL=file://$(CURDIR)/var/mail; \
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
