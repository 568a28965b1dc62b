"""Handelingsperspectieven (SPEC F8): curated, versioned guidance for municipalities with
comparable characteristics, built from what members shared in threads.

Above ``threads`` and below ``notifications`` in the one-way order of the apps; it adds
blocks to the pages ``threads`` serves through ``threads.blocks``.
"""
