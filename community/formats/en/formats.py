# "29 Nov 2026, 06:04": day first, as the site's Dutch does, not Django's "Nov. 29, 2026, 6:04 a.m.".
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j M Y, H:i"
