# Two commands for a newcomer: `make run` (the site with demo data) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Every dependency, pinned with its hashes: generated from pyproject.toml by `make lock`.
LOCK := requirements.lock
LOCK_VENV := .venv-lock
PIP_TOOLS := pip-tools==7.7.0
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run serve test check messages clean lock lock-upgrade

## Installs exactly what the lock file names (pip refuses anything unpinned or with another
## hash), then the project itself without looking at its dependencies again.
$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Regenerate the lock file from pyproject.toml: pins already in it are kept, new
## dependencies are added at their newest version, removed ones dropped. To move pins:
## `make lock-upgrade` (everything) or `make lock LOCK_ARGS="--upgrade-package Django"`.
lock:
	test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install --quiet "$(PIP_TOOLS)"; }
	$(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --extra test \
		--no-emit-index-url --no-emit-find-links --no-emit-trusted-host --newline LF \
		--output-file $(LOCK) $(LOCK_ARGS) pyproject.toml

lock-upgrade:
	$(MAKE) lock LOCK_ARGS=--upgrade

## The embedded default: SQLite, in-memory channel layer, e-mail written to var/mail/.
## The demo runs as production does (DEBUG off), so that it shows the site's own error pages:
## a secret key made once in var/, the hosts and the address it is served on, the SQLite file
## as DATABASE_URL, plain HTTP, and the static files collected for WhiteNoise to serve.
## The mail worker (manage.py deliver_mail) runs next to daphne and stops when daphne stops.
## Links in e-mail lead to this server: SITE_URL is http://HOST:PORT unless it is set.
DEMO_ENV = DEBUG=0 HTTPS=0 SECRET_KEY="$$(cat var/demo-secret-key)" \
	ALLOWED_HOSTS=$(HOST),127.0.0.1,localhost SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} \
	CSRF_TRUSTED_ORIGINS=http://localhost:$(PORT),http://127.0.0.1:$(PORT) \
	DATABASE_URL=sqlite:///$(CURDIR)/var/samenleven.sqlite3 EMAIL_URL=file://$(CURDIR)/var/mail LOG_FORMAT=plain

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
	@export EMAIL_URL=file://$(CURDIR)/var/mail SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)}; \
	$(PY) manage.py deliver_mail & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) community.asgi:application

## The whole test suite, a process per core (TEST_PROCESSES=0: one process), the browser tests
## in one of them (tests/scheduling.py); with DATABASE_URL and REDIS_URL set it runs on
## PostgreSQL and Redis. Compiled modules are kept between runs even where the shell sets
## PYTHONDONTWRITEBYTECODE: each process of each run, and each Python subprocess a test starts,
## would otherwise compile the project again (and rewrite the tests' assertions: collecting
## the suite takes 4 s per process then, 2 s with the compiled files).
TEST_PROCESSES ?= auto
test: install
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(TEST_PROCESSES) --dist load $(PYTEST_ARGS)

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
	rm -rf $(VENV) $(LOCK_VENV) var staticfiles
