"""Handelingsperspectieven in a real browser: an ambassador drafts one from a solved thread,
a second ambassador reviews and publishes it, the cited author hears of it live, the page of
a matching municipality shows it; every new page has no accessibility violations on a
desktop and a phone; and the print view is a clean A4 document.

Elements are found by id, URL, form action and data attribute, not by text (except where
the text is the point: the notification, the heading on the municipality page).

``UPDATE_SCREENSHOTS=1`` writes the print view to ``docs/perspective-print.png`` (committed).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse

from community.models import Group, Typology
from notifications.models import Notification
from tests.browser.test_accessibility import PHONE, assert_no_violations
from tests.threads.conftest import colleague
from threads import actions as thread_actions
from threads.models import Theme
from threads.perspectives import actions
from threads.perspectives.models import Perspective

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs"
A4_POINTS = (595.3, 841.9)  # 210 x 297 mm


def solved_question(member, colleague):
    """Fatima's question on Het Plein, answered by Thijs from Westland; the answer accepted."""
    themes = list(Theme.objects.filter(slug__in=["arbeidsmigratie", "wonen"])) or thread_actions.ensure_themes(
        ["arbeidsmigratie", "wonen"]
    )
    thread = thread_actions.create_thread(
        author=member,
        group=Group.objects.get(slug="het-plein"),
        title="Hoe registreren jullie arbeidsmigranten?",
        kind="question",
        body="Wie heeft een aanpak die **werkt**?",
        themes=themes,
    )
    answer = thread_actions.reply_to_thread(
        author=colleague,
        thread=thread,
        body="Bij ons in Westland met een inschrijfbalie op de plek waar de mensen wonen. Uitzendbureaus melden nieuwe medewerkers vooraf.",
    )
    thread_actions.accept_answer(actor=member, thread=thread, post=answer)
    return thread, answer


def test_an_ambassador_drafts_from_a_solved_thread_and_a_second_one_publishes(
    asgi_live_server, new_context, log_in, member, colleague, ambassador, flevoland_ambassador
):
    from playwright.sync_api import expect

    thread, answer = solved_question(member, colleague)

    # Thijs (the cited author) has a page open: he hears of the publication live.
    colleague.refresh_from_db()
    unread = colleague.unread_notifications  # his accepted answer told him already
    thijs = new_context().new_page()
    log_in(thijs, colleague)
    thijs.goto("/")

    # Samira uses Thijs's answer in a new perspective, straight from the thread.
    samira = new_context().new_page()
    log_in(samira, ambassador)
    samira.goto(f"/t/{thread.pk}/?page=1")
    use = samira.locator(f"a[href='{reverse('perspective_use_thread', args=[thread.pk])}']")
    expect(use).to_be_visible()
    with samira.expect_navigation():
        use.click()
    expect(samira.locator(f"input[name=post][value='{answer.pk}']")).to_be_checked()
    expect(samira.locator("#id_perspective")).to_have_value("new")
    samira.locator("#id_new_title").fill("Arbeidsmigranten inschrijven: wat werkt")
    samira.locator("#id_name_consent").check()
    samira.locator("#id_note").fill("Een aanpak die andere gemeenten kunnen overnemen.")
    with samira.expect_navigation():
        samira.locator("main form [type=submit]").click()
    perspective = Perspective.objects.get(title="Arbeidsmigranten inschrijven: wat werkt")
    assert samira.url.endswith(reverse("perspective_draft", args=[perspective.slug]) + "#examples")
    expect(samira.locator(".example__quote")).to_contain_text("inschrijfbalie op de plek")

    # She writes the text and chooses the typologies, then sends it for review.
    with samira.expect_navigation():
        samira.locator(f"a[href='{reverse('perspective_edit', args=[perspective.slug])}']").click()
    samira.locator("#id_summary").fill(
        "Een inschrijfbalie op locatie en afspraken met uitzendbureaus brengen de BRP op orde."
    )
    samira.locator("#id_situation").fill("Veel arbeidsmigranten staan niet of op een oud adres in de **BRP**.")
    samira.locator("#id_options").fill("# Een balie op locatie\nInschrijving in één keer, maar het vraagt mensen.")
    for slug in ("expatgemeenten", "arbeidsmigranten"):
        samira.locator(f"input[name=typologies][value='{Typology.objects.get(slug=slug).pk}']").check()
    with samira.expect_navigation():
        samira.locator("main form [type=submit]").click()
    with samira.expect_navigation():
        samira.locator(f"form[action='{reverse('perspective_submit', args=[perspective.slug])}'] [type=submit]").click()
    perspective.refresh_from_db()
    assert perspective.status == "review"
    # She wrote it: she cannot publish it herself.
    assert samira.locator(f"form[action='{reverse('perspective_publish', args=[perspective.slug])}']").count() == 0

    # Esther (another ambassador) finds it on the editors' page and publishes it.
    esther = new_context().new_page()
    log_in(esther, flevoland_ambassador)
    esther.goto("/perspectives/editors/")
    with esther.expect_navigation():
        esther.locator(f"#main a.button[href='{reverse('perspective_draft', args=[perspective.slug])}']").click()
    with esther.expect_navigation():
        esther.locator(
            f"form[action='{reverse('perspective_publish', args=[perspective.slug])}'] [type=submit]"
        ).click()
    perspective.refresh_from_db()
    assert perspective.status == "published" and perspective.current_version.published_by == flevoland_ambassador

    # Thijs hears it live (a toast and the bell), and finds it in his notifications.
    expect(thijs.locator(".toast")).to_contain_text("Arbeidsmigranten inschrijven: wat werkt")
    expect(thijs.locator("[data-bell-number]")).to_have_text(str(unread + 1))
    assert Notification.objects.filter(recipient=colleague, kind="perspective_cited").count() == 1
    thijs.goto("/notifications/")
    expect(thijs.locator("main")).to_contain_text("Je bericht is een voorbeeld in het handelingsperspectief")

    # The thread shows it is used; the page of a matching municipality shows it.
    thijs.goto(f"/t/{thread.pk}/?page=1")
    expect(thijs.locator(f".perspective-thread a[href='{perspective.get_absolute_url()}']")).to_be_visible()
    fatima = new_context().new_page()
    log_in(fatima, member)
    fatima.goto("/municipalities/GM0518/")  # 's-Gravenhage: an expat municipality
    block = fatima.locator("#perspectives-heading")
    expect(block).to_have_text("Handelingsperspectieven voor gemeenten zoals de uwe")
    expect(fatima.locator(f".perspective-block a[href='{perspective.get_absolute_url()}']")).to_be_visible()


@pytest.fixture
def a_published_perspective(member, colleague, ambassador, flevoland_ambassador):
    """A rich published, public perspective with examples from an open and a closed group, and sources."""
    thread, answer = solved_question(member, colleague)
    regional = thread_actions.create_thread(
        author=member,
        group=Group.objects.get(slug="zuid-holland"),
        title="Ervaring met een convenant",
        kind="experience",
        body="Ons convenant met tien uitzendbureaus werkt: nieuwe medewerkers worden vooraf gemeld.",
        themes=list(Theme.objects.all()[:1]),
    )
    perspective = actions.create_perspective(
        actor=ambassador,
        title="Arbeidsmigranten goed inschrijven in de BRP",
        summary="Gemeenten met veel arbeidsmigranten krijgen de inschrijving op orde met een balie op locatie en afspraken met uitzendbureaus.",
        situation="Veel arbeidsmigranten staan niet of op een oud adres in de BRP. De gemeente mist zicht op overbewoning en bereikt mensen niet met informatie.",
        dilemmas="- Controleren op huisvesting, of eerst goed bereikbaar zijn?\n- Afspraken met uitzendbureaus vastleggen, of vrijwillig houden?",
        options="# Een inschrijfbalie op locatie\n**Voordeel:** inschrijving in één keer. **Nadeel:** vraagt mensen en een plek.\n\n"
        "# Een convenant met de grootste uitzendbureaus\n**Voordeel:** nieuwe medewerkers worden vooraf gemeld. **Nadeel:** kleine bureaus doen niet vanzelf mee.",
        typologies=list(Typology.objects.filter(slug__in=["arbeidsmigranten", "tuinbouwgemeenten"])),
        themes=list(Theme.objects.all()[:2]),
    )
    actions.cite_post(
        actor=ambassador, perspective=perspective, post=answer, name_consent=True, note="De aanpak van Westland."
    )
    actions.cite_post(
        actor=ambassador,
        perspective=perspective,
        post=regional.posts.get(number=1),
        note="Uit de regionale groep Zuid-Holland.",
    )
    actions.add_source(
        actor=ambassador,
        perspective=perspective,
        title="Registratie van arbeidsmigranten in de BRP",
        publisher="Rijksdienst voor Identiteitsgegevens",
        year=2023,
        url="https://www.rvig.nl/",
    )
    actions.add_source(
        actor=ambassador,
        perspective=perspective,
        title="Roemer-rapport: Geen tweederangsburgers",
        publisher="Aanjaagteam Bescherming Arbeidsmigranten",
        year=2020,
    )
    actions.submit_perspective(actor=ambassador, perspective=perspective)
    actions.publish_perspective(actor=flevoland_ambassador, perspective=perspective)
    actions.set_perspective_public(actor=flevoland_ambassador, perspective=perspective, public=True)
    actions.suggest_thread(member=colleague, thread=thread, note="Past bij het perspectief over inschrijven.")
    perspective.refresh_from_db()
    return perspective, thread


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_every_perspective_page_has_no_accessibility_violations(
    asgi_live_server, new_context, log_in, a_published_perspective, ambassador, colleague, viewport
):
    perspective, thread = a_published_perspective
    slug = perspective.slug
    options = {"viewport": viewport} if viewport else {}
    visitor = new_context(**options).new_page()
    for path in ("/perspectives/", perspective.get_absolute_url(), f"/perspectives/{slug}/v/1/"):
        assert_no_violations(visitor, path)
    editor = new_context(**options).new_page()
    log_in(editor, ambassador)
    for path in (
        "/perspectives/",
        perspective.get_absolute_url(),
        f"/perspectives/{slug}/v/1/",
        f"/perspectives/{slug}/?view=public",
        "/perspectives/editors/",
        "/perspectives/new/",
        f"/perspectives/{slug}/draft/",
        f"/perspectives/{slug}/edit/",
        f"/perspectives/{slug}/revisions/",
        f"/perspectives/{slug}/revisions/4/",
        f"/perspectives/{slug}/supersede/",
        f"/perspectives/use/{thread.pk}/",
        f"/t/{thread.pk}/?page=1",
        "/municipalities/GM1783/",
        "/groups/tuinbouwgemeenten/",
        "/search/?q=uitzendbureaus",
    ):
        assert_no_violations(editor, path)
    member = new_context(**options).new_page()
    log_in(member, colleague)
    assert_no_violations(member, f"/perspectives/suggest/{thread.pk}/")


def test_the_print_view_is_a_clean_a4_document(
    asgi_live_server, new_context, log_in, a_published_perspective, tmp_path
):
    """Printed (or saved as PDF) for a council: A4 pages with the title, version and date,
    typologies, the examples with their municipalities and the sources; no site header,
    navigation, buttons or forms."""
    perspective, _thread = a_published_perspective
    page = new_context(viewport={"width": 794, "height": 1123}).new_page()  # A4 at 96 dpi
    page.goto(perspective.get_absolute_url())
    page.emulate_media(media="print")
    hidden = page.evaluate(
        """() => ['.site-header', '.site-footer', '.no-print', 'main form', '[data-print]']
            .map(s => Array.from(document.querySelectorAll(s)).every(e => getComputedStyle(e).display === 'none'))"""
    )
    assert all(hidden), hidden
    text = page.locator("main").inner_text()
    for expected in (
        "Arbeidsmigranten goed inschrijven in de BRP",
        "Versie",
        "gepubliceerd op",
        "Arbeidsmigranten",
        "Tuinbouwgemeenten",
        "Westland",
        "Thijs Willems",
        "Uit een besloten groep",
        "Rijksdienst voor Identiteitsgegevens",
        "https://www.rvig.nl/",
    ):
        assert expected in text, expected
    assert "Ons convenant met tien uitzendbureaus" not in text  # a visitor's print: never a closed group's text
    pdf = page.pdf(format="A4", print_background=False)
    boxes = {
        tuple(float(n) for n in box.decode().split()[2:]) for box in re.findall(rb"/MediaBox\s*\[\s*([\d.\s]+)\]", pdf)
    }
    assert boxes and all(abs(w - A4_POINTS[0]) < 2 and abs(h - A4_POINTS[1]) < 2 for w, h in boxes), (
        boxes
    )  # every page A4
    target = (
        DOCS / "perspective-print.png" if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path / "perspective-print.png"
    )
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
