"""Addresses in account e-mail: a member's name never breaks the To header."""

from __future__ import annotations

import pytest
from django.core.mail.message import sanitize_address

from community.emails import format_address

NAMES = [
    "Vries, Jan de",
    "Jan de Vries; gemeente Delft",
    "Wethouder: Jan",
    "jan@delft",
    "Jan <de> Vries",
    'Jan "JJ" de Vries',
    "Jan \\ de Vries",
    "J. de Vries (wethouder)",
    "[Jan] de Vries",
    "Zoë, van der Berg",
    "Fatima el Amrani",
    "Noor 👩\u200d💻",
]


@pytest.mark.parametrize("name", NAMES)
def test_a_name_with_any_special_character_makes_one_address_that_parses_back_to_the_name(name):
    from email.headerregistry import Address
    from email.policy import default

    header = default.header_factory("To", format_address(name, "jan@example.nl"))
    [address] = header.addresses
    assert address == Address(display_name=name, addr_spec="jan@example.nl")
    # Django accepts it for sending, as one address.
    sanitize_address(format_address(name, "jan@example.nl"), "utf-8")


def test_a_plain_name_is_not_quoted_and_a_special_one_is():
    assert format_address("Fatima el Amrani", "f@example.nl") == "Fatima el Amrani <f@example.nl>"
    assert format_address("Vries, Jan de", "jan@example.nl") == '"Vries, Jan de" <jan@example.nl>'
    assert format_address('Jan "JJ" Vries', "jan@example.nl") == '"Jan \\"JJ\\" Vries" <jan@example.nl>'


def test_line_breaks_and_control_characters_in_a_name_never_reach_the_header():
    assert (
        format_address("Jan\r\nBcc: iedereen@example.nl", "jan@example.nl")
        == '"Jan Bcc: iedereen@example.nl" <jan@example.nl>'
    )
    assert format_address("Jan\x00\x1b de  Vries\t", "jan@example.nl") == "Jan de Vries <jan@example.nl>"
    assert format_address(" \n", "jan@example.nl") == "jan@example.nl"
