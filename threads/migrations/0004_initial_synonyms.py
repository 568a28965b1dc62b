"""A starting list of synonyms for this field; staff curate it further in the admin."""

from django.db import migrations

# (term, synonyms, mutual). Mutual: every word finds the others. One-way: the term is
# broader, a search for it also finds the narrower words but not the other way round.
SYNONYMS = [
    ("statushouder", "vergunninghouder, erkend vluchteling", True),
    ("arbeidsmigrant", "arbeidsmigratie, EU-migrant, EU-werknemer, labour migrant", True),
    ("expat", "kennismigrant, internationale werknemer", True),
    ("internationale student", "buitenlandse student, international student", True),
    ("nieuwkomer", "statushouder, vergunninghouder, inburgeraar, nieuwe Nederlander", False),
    ("inburgering", "inburgeraar, inburgeringsplicht, inburgeringstraject, Wet inburgering", False),
    ("asielzoeker", "asielmigrant, vluchteling", True),
    ("AZC", "asielzoekerscentrum, COA-locatie", True),
    ("huisvesting", "woonruimte, onderdak, woonvoorziening", False),
    ("taal", "NT2, taalles, taalonderwijs, taalcafé, taalmaatje", False),
    ("NT2", "Nederlands als tweede taal", True),
    ("ontheemde", "Oekraïner, Oekraïense vluchteling", True),
]


def create_synonyms(apps, schema_editor):
    Synonym = apps.get_model("threads", "Synonym")
    for term, synonyms, mutual in SYNONYMS:
        if not Synonym.objects.filter(term__iexact=term).exists():
            Synonym.objects.create(term=term, synonyms=synonyms, mutual=mutual)


def remove_synonyms(apps, schema_editor):
    apps.get_model("threads", "Synonym").objects.filter(term__in=[term for term, _synonyms, _mutual in SYNONYMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("threads", "0003_search")]
    operations = [migrations.RunPython(create_synonyms, remove_synonyms)]
