"""The starting list of themes; staff curate it further in the admin."""

from django.db import migrations
from django.utils.text import slugify

THEMES = [
    "wonen",
    "werk",
    "taal",
    "onderwijs",
    "zorg",
    "veiligheid",
    "participatie",
    "inburgering",
    "arbeidsmigratie",
    "expats",
    "internationale studenten",
    "statushouders",
]


def create_themes(apps, schema_editor):
    Theme = apps.get_model("threads", "Theme")
    for name in THEMES:
        Theme.objects.get_or_create(slug=slugify(name), defaults={"name": name})


def remove_themes(apps, schema_editor):
    apps.get_model("threads", "Theme").objects.filter(slug__in=[slugify(name) for name in THEMES], thread_links__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("threads", "0001_initial")]
    operations = [migrations.RunPython(create_themes, remove_themes)]
