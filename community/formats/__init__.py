"""The site's date formats per language (``FORMAT_MODULE_PATH``), where Django's differ from
how the language writes them: Dutch abbreviates months in lower case ("29 nov 2026")."""
