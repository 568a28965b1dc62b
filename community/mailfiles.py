"""The developer's mail folder (``EMAIL_URL=file:///path``): one file per message.

Django's file backend writes all the messages of one connection to one file, named after
the second and the backend's ``id()``; a new backend in the same second can get the id of
one just freed and append to its file. Here every message gets a file of its own with a
name that cannot repeat.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from datetime import datetime

from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.message import EmailMessage


class EmailBackend(FileBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            self._fname = None  # type: ignore[assignment]
            sent += super().send_messages([message])
        return sent

    def _get_filename(self) -> str:
        if self._fname is None:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            self._fname = os.path.join(self.file_path, f"{stamp}-{uuid.uuid4().hex[:12]}.eml")
        return self._fname
