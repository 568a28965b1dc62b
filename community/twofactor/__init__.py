"""Two-step verification (SPEC F7): a second factor for everyone who moderates.

A member's second factor is an authenticator app (a django-otp ``TOTPDevice``, enrolled
by scanning a QR code or typing the secret) plus ten single-use recovery codes (a
``StaticDevice``). Staff and the moderators of any group (the ambassadors among them)
must have one; for other members it is optional, and once on, their login asks for it too.

- ``state``: the rule (who needs it) and the session's state. A verified second factor
  lasts for the session (django-otp's ``otp_device_id`` key); every login starts
  unverified. Sessions ended by "log out everywhere", a password change or reset, turning
  the second factor on or off, or a reset by staff take their verified state with them.
- ``middleware.SecondFactorMiddleware``: the one place that enforces it. A session that
  lacks the second factor it needs reaches only the pages marked ``@before_second_factor``
  (enrolment, the code step, recovery, logging out); every other page, forum, moderation
  and admin alike, sends it to enrolment or to the code step and back afterwards.
- ``devices`` reads, ``actions`` writes (enrol, verify, new recovery codes, turn off,
  reset by staff, which the moderation log records), ``permissions`` says who may turn it
  off or reset it, ``limits`` counts wrong codes and passwords like the login does,
  ``receivers`` start every login unverified and erase the devices of a deleted account;
  ``forms``, ``views``, ``urls`` and ``qr`` (the QR code as inline SVG) make the pages.

A password change keeps the verified state of the session it was made in: that session
has just shown both the password and the second factor. Every other session ends.
"""
