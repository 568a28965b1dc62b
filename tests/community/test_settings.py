"""Settings come from the environment and fail fast in production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from community.settings import parse_email_url

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 30 + "-production-key-with-enough-entropy-1234567890",
    "ALLOWED_HOSTS": "samenleven.example.nl",
    "DATABASE_URL": "sqlite:////tmp/samenleven-settings-test.sqlite3",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without_its_required_variables(missing):
    env = {key: value for key, value in PRODUCTION.items() if key != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_the_deployment_check_is_clean_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_a_bad_boolean_is_refused():
    result = manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TRUSTED_PROXIES": "-1"}, "TRUSTED_PROXIES must be 0 or more"),
        (
            {"LOGIN_THROTTLE_PER_ADDRESS_AND_IP": "5", "LOGIN_THROTTLE_WARN_AFTER": "5"},
            "LOGIN_THROTTLE_WARN_AFTER must be above",
        ),
    ],
    ids=["negative-proxy-count", "warning-within-one-clients-reach"],
)
def test_limits_that_cannot_work_are_refused(env, message):
    result = manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("console://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        ("file:///var/mail/samenleven", {"EMAIL_FILE_PATH": "/var/mail/samenleven"}),
        (
            "smtp://user%40gemeente.nl:geheim%21@smtp.gemeente.nl:587?tls=1",
            {
                "EMAIL_HOST": "smtp.gemeente.nl",
                "EMAIL_PORT": 587,
                "EMAIL_HOST_USER": "user@gemeente.nl",
                "EMAIL_HOST_PASSWORD": "geheim!",
                "EMAIL_USE_TLS": True,
                "EMAIL_USE_SSL": False,
            },
        ),
        ("smtps://smtp.gemeente.nl", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True}),
    ],
)
def test_email_url_becomes_django_settings(url, expected):
    settings = parse_email_url(url)
    for key, value in expected.items():
        assert settings[key] == value


def test_an_unknown_email_scheme_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        parse_email_url("pigeon://roof")


def test_the_example_environment_file_documents_every_variable_the_settings_read():
    import re

    source = (ROOT / "community" / "settings.py").read_text()
    read = set(re.findall(r'env(?:_bool|_list)?\(\s*"([A-Z_]+)"', source)) | set(
        re.findall(r'os\.environ\.get\(\s*"([A-Z_]+)"', source)
    )
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read - documented == set()


SHOW_DATABASE_OPTIONS = "from django.conf import settings; o = settings.DATABASES['default']['OPTIONS']; print(o.get('server_side_binding'), o.get('prepare_threshold'))"


@pytest.mark.parametrize(("value", "expected"), [(None, "True 5"), ("1", "True 5"), ("0", "None None")])
def test_postgresql_prepares_queries_unless_turned_off(value, expected):
    env = {**PRODUCTION, "DATABASE_URL": "postgres://samenleven@127.0.0.1:5432/samenleven"}
    if value is not None:
        env["DATABASE_PREPARED_STATEMENTS"] = value
    result = manage("shell", "-c", SHOW_DATABASE_OPTIONS, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


@pytest.mark.django_db
def test_a_query_run_again_and_again_is_prepared_once_on_the_server(member):
    """Not planned again on every request: PostgreSQL keeps the statement."""
    from django.db import connection

    from community.auth import load_member
    from tests.needs import need_postgres

    need_postgres()
    for _ in range(6):
        load_member(member.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    assert any(
        'FROM "community_member" m LEFT JOIN' in statement and "WHERE m.id = $1" in statement
        for statement in statements
    ), statements
