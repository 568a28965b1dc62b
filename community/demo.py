"""Demo accounts: a programme team account, four ambassadors, members and pending sign-ups.

Idempotent: accounts that exist are left as they are. Every account shares the
demo password (listed in the README); the accounts that moderate (the programme team and
the ambassadors) also share one authenticator secret, ``DEMO_TOTP_SECRET``, so that a
newcomer can pass their second step with any authenticator app or ``oathtool``.
``manage.py seed_demo`` uses this.
"""

from __future__ import annotations

from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from community import actions
from community.models import Group, Member, Membership, Municipality
from community.twofactor.actions import enrol_second_factor
from community.twofactor.devices import has_second_factor, key_from_base32

DEMO_PASSWORD = "samenleven-demo"
DEMO_DOMAIN = "demo.samenleven.nl"
#: The authenticator secret (base32) of the demo accounts that moderate. Demo data only:
#: it lives here and in the README, never in settings, and no account has it unless
#: ``seed_demo`` made it (tests/community/test_twofactor.py holds that).
DEMO_TOTP_SECRET = "SAMENLEVENDEMOTOTPGEHEIMCODE2345"

STAFF = ("Programmateam Samenleven", "programmateam", None, "other")

# (name, handle, municipality code, position, regional group slug)
AMBASSADORS = [
    ("Esther Bakker", "esther_bakker", "GM0034", "wethouder", "flevoland"),  # Almere
    ("Martijn de Vries", "martijn_de_vries", "GM0307", "burgemeester", "utrecht"),  # Amersfoort
    ("Samira Haddou", "samira_haddou", "GM0503", "wethouder", "zuid-holland"),  # Delft
    ("Joost van den Berg", "joost_van_den_berg", "GM0772", "raadslid", "noord-brabant"),  # Eindhoven
]

MEMBERS = [
    ("Fatima el Amrani", "fatima_el_amrani", "GM0518", "wethouder"),  # 's-Gravenhage
    ("Pieter Jansen", "pieter_jansen", "GM0518", "beleidsmedewerker"),
    ("Anouk Visser", "anouk_visser", "GM1992", "wethouder"),  # Voorne aan Zee
    ("Kees Mulder", "kees_mulder", "GM1992", "raadslid"),
    ("Lotte de Boer", "lotte_de_boer", "GM0363", "beleidsmedewerker"),  # Amsterdam
    ("Daan Smit", "daan_smit", "GM0599", "wethouder"),  # Rotterdam
    ("Noor Hendriks", "noor_hendriks", "GM0344", "raadslid"),  # Utrecht
    ("Bram Dekker", "bram_dekker", "GM0362", "wethouder"),  # Amstelveen
    ("Sanne Vermeulen", "sanne_vermeulen", "GM0014", "beleidsmedewerker"),  # Groningen
    ("Yusuf Kaya", "yusuf_kaya", "GM0153", "raadslid"),  # Enschede
    ("Marieke Peters", "marieke_peters", "GM0983", "burgemeester"),  # Venlo
    ("Thijs Willems", "thijs_willems", "GM1783", "wethouder"),  # Westland
    ("Iris Kok", "iris_kok", "GM0935", "beleidsmedewerker"),  # Maastricht
    ("Ruben Bos", "ruben_bos", "GM0080", "wethouder"),  # Leeuwarden
    ("Eva Meijer", "eva_meijer", "GM0546", "raadslid"),  # Leiden
    ("Hamza Ouali", "hamza_ouali", "GM0855", "beleidsmedewerker"),  # Tilburg
    ("Femke Schouten", "femke_schouten", "GM0034", "raadslid"),  # Almere
    ("Wouter Brouwer", "wouter_brouwer", "GM0193", "wethouder"),  # Zwolle
    ("Lisa van Dijk", "lisa_van_dijk", "GM0202", "beleidsmedewerker"),  # Arnhem
    ("Milan de Graaf", "milan_de_graaf", "GM0718", "gemeentesecretaris"),  # Vlissingen
]

PENDING = [
    ("Sara Bouzid", "sara_bouzid", "GM0518", "beleidsmedewerker"),  # 's-Gravenhage, in Zuid-Holland's queue
    ("Tom Hermans", "tom_hermans", "GM0034", "raadslid"),  # Almere, in Flevoland's queue
    ("Ingrid Postma", "ingrid_postma", "GM0303", "wethouder"),  # Dronten, in Flevoland's queue
]


def demo_email(handle: str) -> str:
    return f"{handle.replace('_', '.')}@{DEMO_DOMAIN}"


def ensure_demo_accounts() -> dict[str, Member]:
    """Create the demo accounts that are missing; return them all by handle."""
    if not Municipality.objects.exists():
        call_command("import_municipalities", verbosity=0)
    # Demo accounts are made through the real sign-up actions, without sending mail.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), transaction.atomic():
        staff = _ensure_staff()
        _ensure_second_factor(staff)
        accounts = {staff.handle: staff}
        for name, handle, code, position, region_slug in AMBASSADORS:
            member = _ensure_member(name, handle, code, position, approver=staff)
            region = Group.objects.get(slug=region_slug)
            if not member.memberships.filter(group=region, role=Membership.Role.MODERATOR).exists():
                actions.make_moderator(member=member, group=region)
            _ensure_second_factor(member)
            accounts[handle] = member
        for name, handle, code, position in MEMBERS:
            accounts[handle] = _ensure_member(name, handle, code, position, approver=staff)
        for name, handle, code, position in PENDING:
            accounts[handle] = _ensure_member(name, handle, code, position, approver=None)
    return accounts


def _ensure_staff() -> Member:
    name, handle, _code, position = STAFF
    email = demo_email(handle)
    staff = Member.objects.filter(email=email).first()
    if staff is None:
        staff = Member.objects.create_superuser(email, DEMO_PASSWORD, name=name, handle=handle, position=position)
    if staff.email_verified_at is None:
        # A verified address: the programme team hears of sign-ups by e-mail too.
        staff = actions.verify_email(member=staff)
    return staff


def _ensure_second_factor(member: Member) -> None:
    """Everyone who moderates logs in with a second factor: the demo's is the shared secret."""
    if not has_second_factor(member):
        enrol_second_factor(member=member, key=key_from_base32(DEMO_TOTP_SECRET))


def _ensure_member(name: str, handle: str, code: str, position: str, *, approver: Member | None) -> Member:
    member = Member.objects.filter(email=demo_email(handle)).first()
    if member is not None:
        return member
    municipality = Municipality.objects.get(code=code)
    member = actions.register_member(
        name=name,
        email=demo_email(handle),
        password=DEMO_PASSWORD,
        municipality=municipality,
        position=position,
        handle=handle,
    )
    member = actions.verify_email(member=member)
    if approver is not None:
        member = actions.approve_member(actor=approver, member=member)
    return member


def login_lines() -> list[str]:
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):", f"  programme team:          {demo_email(STAFF[1])}"]
    for name, handle, _code, _position, region in AMBASSADORS:
        lines.append(f"  ambassador {region:<14} {demo_email(handle)}  ({name})")
    lines.append(f"  member ('s-Gravenhage):  {demo_email(MEMBERS[0][1])}")
    lines.append(f"  member (Voorne aan Zee): {demo_email(MEMBERS[2][1])}")
    lines.append(f"  pending sign-up:         {demo_email(PENDING[0][1])}")
    lines.append(f"Second step for the programme team and the ambassadors: authenticator secret {DEMO_TOTP_SECRET}")
    lines.append(f"  (add it to an authenticator app, or: oathtool --totp -b {DEMO_TOTP_SECRET})")
    return lines
