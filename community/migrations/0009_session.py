"""Sessions move to community.Session, which records the member of each session.

The rows of django_session that have not expired are copied, with their member read from
the session data, so that nobody is logged out by the upgrade. The old table is left as
it was (processes still running the previous version read it until they restart); it is
no longer read after that, and its rows only expire.
"""

import django.db.models.deletion
from django.conf import settings
from django.core import signing
from django.db import migrations, models
from django.utils import timezone
from django.utils.module_loading import import_string

BATCH = 1000
#: The salt Django's session stores sign their data with (named after the class, SessionStore).
SALT = "django.contrib.sessions.SessionStore"


def decoded_member_id(data: str) -> int | None:
    try:
        decoded = signing.loads(data, salt=SALT, serializer=import_string(settings.SESSION_SERIALIZER))
        return int(decoded["_auth_user_id"])
    except Exception:  # noqa: BLE001 - tampered, signed with an old key, or anonymous
        return None


def copy_sessions(apps, schema_editor):
    OldSession = apps.get_model("sessions", "Session")
    Session = apps.get_model("community", "Session")
    Member = apps.get_model("community", "Member")
    rows = OldSession.objects.filter(expire_date__gt=timezone.now()).order_by("session_key")
    batch = []
    for old in rows.iterator(chunk_size=BATCH):
        batch.append(old)
        if len(batch) == BATCH:
            _copy(batch, Session, Member)
            batch = []
    _copy(batch, Session, Member)


def _copy(batch, Session, Member):
    member_ids = {old.session_key: decoded_member_id(old.session_data) for old in batch}
    existing = set(Member.objects.filter(pk__in={pk for pk in member_ids.values() if pk}).values_list("pk", flat=True))
    Session.objects.bulk_create(
        [
            Session(
                session_key=old.session_key,
                session_data=old.session_data,
                expire_date=old.expire_date,
                member_id=member_ids[old.session_key] if member_ids[old.session_key] in existing else None,
            )
            for old in batch
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):

    dependencies = [
        ("community", "0008_moderation_log_second_factor_reset"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Session",
            fields=[
                ("session_key", models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name="session key")),
                ("session_data", models.TextField(verbose_name="session data")),
                ("expire_date", models.DateTimeField(db_index=True, verbose_name="expire date")),
                (
                    "member",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="member",
                    ),
                ),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "abstract": False,
            },
        ),
        migrations.RunPython(copy_sessions, migrations.RunPython.noop, elidable=True),
    ]
