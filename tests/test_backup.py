"""Backups that restore: deploy/backup.sh dumps the database, deploy/restore.sh restores it
into another one and checks it (manage.py check_consistency), end to end on PostgreSQL.
And check_consistency itself: it agrees with rows made by the actions, and finds a counter or
a post that disagrees."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from community.models import Member
from notifications.consistency import check_consistency
from tests.needs import need_postgres
from tests.threads.conftest import answer, colleague, outsider, plein, question, themes
from threads import actions
from threads.models import Post, Thread

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


@pytest.fixture
def conversation(question, answer, colleague, outsider, member):
    """A question with replies, an edit, a deletion and nuttig marks, and notifications."""
    second = actions.reply_to_thread(author=outsider, thread=question, body="Wij ook, met een **app**.")
    actions.reply_to_thread(author=member, thread=question, body="Dank jullie, @thijs!")
    actions.edit_post(editor=outsider, post=second, body="Wij ook, met een app en een balie.")
    actions.mark_useful(member=member, post=answer)
    actions.mark_useful(member=outsider, post=answer)
    doomed = actions.reply_to_thread(author=colleague, thread=question, body="Per ongeluk geplaatst.")
    actions.delete_post(actor=colleague, post=doomed)
    return question


@pytest.mark.django_db
def test_check_consistency_agrees_with_what_the_actions_wrote(conversation, capsys):
    assert all(finding.ok for finding in check_consistency())
    call_command("check_consistency")
    assert "All 11 checks agree." in capsys.readouterr().out


@pytest.mark.django_db
def test_check_consistency_names_the_counters_that_disagree_and_fails(conversation, member, capsys):
    Thread.objects.filter(pk=conversation.pk).update(reply_count=40)
    Post.objects.filter(thread=conversation, number=2).update(useful_count=0)
    Member.objects.filter(pk=member.pk).update(unread_notifications=7)
    # A post's nuttig count that disagrees with its marks also disagrees with its thread's.
    with pytest.raises(CommandError, match="4 of 11 checks"):
        call_command("check_consistency")
    out = capsys.readouterr().out
    assert "WRONG thread_reply_count" in out and f"{conversation.pk}: reply_count=40, rows say 3" in out
    assert "WRONG post_useful_count" in out and "useful_count=0, rows say 2" in out
    assert "WRONG thread_useful_count" in out
    assert "WRONG member_unread_notifications" in out and "unread_notifications=7" in out
    assert "ok    posts_without_thread" in out


def run(script: str, *args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "SAMENLEVEN_ENV": "", "DEBUG": "1"}
    env.pop("REDIS_URL", None)
    return subprocess.run([str(DEPLOY / script), *args], env=env, capture_output=True, text=True, timeout=300)


def url_of(name: str) -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return (
        f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"
    )


@pytest.fixture
def restore_database():
    """An empty database beside the test database, dropped afterwards."""
    import psycopg

    name = f"{connection.settings_dict['NAME']}_restore"
    admin = url_of("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url_of(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def figures(url: str) -> dict[str, object]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {
            "posts": conn.execute("SELECT count(*), sum(useful_count), max(id) FROM threads_post").fetchone(),
            "threads": conn.execute(
                "SELECT count(*), sum(reply_count), sum(last_post_number) FROM threads_thread"
            ).fetchone(),
            "members": conn.execute("SELECT count(*), sum(unread_notifications) FROM community_member").fetchone(),
            "outbox": conn.execute("SELECT count(*) FROM notifications_outboxmessage").fetchone(),
            "migrations": conn.execute("SELECT count(*) FROM django_migrations").fetchone(),
        }


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_database_whole_and_consistent(conversation, restore_database, tmp_path):
    need_postgres()
    source = url_of(connection.settings_dict["NAME"])

    backup = run("backup.sh", str(tmp_path), database_url=source)
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip().splitlines()[-1])
    assert dump.parent == tmp_path and dump.name.startswith("samenleven-") and dump.suffix == ".dump"
    assert not list(tmp_path.glob("*.partial"))
    assert oct(dump.stat().st_mode & 0o777) == "0o600"

    restore = run("restore.sh", str(dump), database_url=restore_database)
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert "All 11 checks agree." in restore.stdout
    assert figures(restore_database) == figures(source)

    # A database that holds tables is replaced only when asked.
    again = run("restore.sh", str(dump), database_url=restore_database)
    assert again.returncode == 2 and "only with --force" in again.stderr
    forced = run("restore.sh", str(dump), "--force", database_url=restore_database)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert figures(restore_database) == figures(source)


@pytest.mark.django_db(transaction=True)
def test_a_restored_database_with_a_lost_thread_fails_the_check(conversation, restore_database, tmp_path):
    """Posts whose thread is gone (a dump taken around the constraints) are found and named."""
    need_postgres()
    import psycopg

    dump = Path(run("backup.sh", str(tmp_path), database_url=url_of(connection.settings_dict["NAME"])).stdout.strip())
    assert run("restore.sh", str(dump), database_url=restore_database).returncode == 0
    with psycopg.connect(restore_database, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # no foreign-key triggers
        conn.execute("DELETE FROM threads_thread WHERE id = %s", [conversation.pk])
    env = {**os.environ, "DATABASE_URL": restore_database, "SAMENLEVEN_ENV": "", "DEBUG": "1"}
    env.pop("REDIS_URL", None)
    check = subprocess.run(
        [str(DEPLOY / "manage.sh"), "check_consistency"], env=env, capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 1
    assert "WRONG posts_without_thread" in check.stdout and f"-> thread {conversation.pk}" in check.stdout


def test_backup_refuses_a_database_that_is_not_postgresql(tmp_path):
    result = run("backup.sh", str(tmp_path), database_url=f"sqlite:///{tmp_path}/x.sqlite3")
    assert result.returncode == 2 and "PostgreSQL" in result.stderr
