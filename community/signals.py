"""Domain signals of the community app, sent by its actions inside their transaction."""

from django.dispatch import Signal

# member, actor (None when approved by e-mail domain)
member_approved = Signal()
# member, actor, reason
member_rejected = Signal()
