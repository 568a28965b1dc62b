"""The preferences form: e-mail per notification kind, the digest, the language."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import Member
from notifications.email.preferences import Delivery, EmailSettings, Frequency, Mode, kind_label


class EmailPreferencesForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("How should e-mail about your notifications arrive?"),
        choices=Mode.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Direct: every notification in its own e-mail at once. Bundled: replies in one thread come together "
            "in one e-mail a few minutes after the first, without what you already read on the site; a mention "
            "still gets its own e-mail. Only the summary: nothing at once, everything in your digest. Never: no "
            "e-mail about the forum."
        ),
    )
    digest = forms.ChoiceField(
        label=_("How often do you want the digest?"),
        choices=Frequency.choices,
        widget=forms.RadioSelect,
        help_text=_("New threads, the most useful replies and open questions from municipalities like yours."),
    )
    language = forms.ChoiceField(label=_("Language of the site and your e-mail"), choices=Member.Language.choices)

    def __init__(self, *args: Any, current: EmailSettings, language: str, kinds: list[str], **kwargs: Any) -> None:
        self.kinds = kinds
        initial = {"digest": current.digest, "language": language, "mode": current.mode}
        initial.update({self.field_name(kind): delivery for kind, delivery in current.as_choices(kinds).items()})
        super().__init__(*args, initial=initial, **kwargs)
        for kind in kinds:
            self.fields[self.field_name(kind)] = forms.ChoiceField(
                label=kind_label(kind), choices=Delivery.choices, widget=forms.RadioSelect
            )

    @staticmethod
    def field_name(kind: str) -> str:
        return f"kind_{kind}"

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[self.field_name(kind)] for kind in self.kinds]

    def chosen_kinds(self) -> dict[str, str]:
        return {kind: self.cleaned_data[self.field_name(kind)] for kind in self.kinds}
