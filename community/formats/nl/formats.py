# "29 nov 2026, 06:04": Django's "M" would capitalise the month ("Nov"), as English does.
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j b Y, H:i"
