"""Synonyms for the word forms the Dutch stemmer keeps apart, and the SQLite search too.

Found by running the words of the demo data and of ``seed_large`` (and the queries of
``bench/search.py``) through PostgreSQL's ``dutch_stem``: a noun and its verb
(spreiding/spreiden, evaluatie/evalueren, organisatie/organiseren, integratie/integreren,
participatie/participeren), plurals with a doubled consonant or an accent
(taalles/taallessen, taalcafé/taalcafés) and two words for the same people
(sleutelpersoon/sleutelfiguur). The stemmer does join huisvesting/huisvesten,
inburgering/inburgeren, begeleiding/begeleiden, samenwerking/samenwerken and
inschrijving/inschrijven, but the search without PostgreSQL (whole words with plural
and verb endings) does not: they are listed as well. All work both ways; staff curate
the list further in the admin.
"""

from django.db import migrations

SYNONYMS = [
    ("huisvesten", "huisvesting", True),
    ("inburgeren", "inburgering", True),
    ("begeleiden", "begeleiding", True),
    ("samenwerken", "samenwerking", True),
    ("inschrijven", "inschrijving", True),
    ("spreiden", "spreiding", True),
    ("evalueren", "evaluatie", True),
    ("organiseren", "organisatie", True),
    ("integreren", "integratie", True),
    ("participeren", "participatie", True),
    ("taalles", "taallessen", True),
    ("taalcafé", "taalcafés", True),
    ("sleutelpersoon", "sleutelfiguur", True),
]


def create_synonyms(apps, schema_editor):
    Synonym = apps.get_model("threads", "Synonym")
    for term, synonyms, mutual in SYNONYMS:
        if not Synonym.objects.filter(term__iexact=term).exists():
            Synonym.objects.create(term=term, synonyms=synonyms, mutual=mutual)


def remove_synonyms(apps, schema_editor):
    apps.get_model("threads", "Synonym").objects.filter(term__in=[term for term, _synonyms, _mutual in SYNONYMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("threads", "0007_search_folding")]
    operations = [migrations.RunPython(create_synonyms, remove_synonyms)]
