"""Factories for test data. Members are created through the sign-up actions
where the state matters (see the fixtures in conftest.py)."""

from __future__ import annotations

import factory
from django.utils import timezone

from community.models import Group, Member, Membership, Municipality, Region, Typology

PASSWORD = "correct-horse-battery"


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"provincie-{n}")
    name = factory.Sequence(lambda n: f"Provincie {n}")
    kind = Region.Kind.PROVINCE


class TypologyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Typology
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"typologie-{n}")
    name_nl = factory.Sequence(lambda n: f"Typologie {n}")
    name_en = factory.Sequence(lambda n: f"Typology {n}")


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"GM{9000 + n:04d}")
    name = factory.Sequence(lambda n: f"Gemeente {n}")
    region = factory.SubFactory(RegionFactory)
    population = 50_000
    population_year = 2024


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"groep-{n}")
    name = factory.Sequence(lambda n: f"Groep {n}")
    kind = Group.Kind.THEME
    description = "Een groep om over dit thema te praten."


class MemberFactory(factory.django.DjangoModelFactory):
    """An approved member; pass status='pending' (and email_verified_at) for sign-ups."""

    class Meta:
        model = Member
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"lid{n}@gemeente.example")
    handle = factory.Sequence(lambda n: f"lid{n}")
    name = factory.Sequence(lambda n: f"Lid {n}")
    position = Member.Position.BELEIDSMEDEWERKER
    municipality = factory.SubFactory(MunicipalityFactory)
    status = Member.Status.ACTIVE
    email_verified_at = factory.LazyFunction(timezone.now)
    approved_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    member = factory.SubFactory(MemberFactory)
    group = factory.SubFactory(GroupFactory)
    role = Membership.Role.MEMBER
