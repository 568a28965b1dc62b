"""Domain signals of handelingsperspectieven, sent by the actions inside their transaction
(``sender=None``, keyword arguments only). The notifications app listens."""

from django.dispatch import Signal

# perspective, version (the new PerspectiveVersion), actor (the editor who reviewed and
# published it), cited_member_ids (sorted ids of the members whose posts are examples in
# this version and in none before it)
perspective_published = Signal()
