"""Domain signals: what happened to threads and posts.

Sent by the actions inside their transaction, so receivers (the notifications
app) write their rows in that same transaction and schedule pushes on commit.
Every signal is sent with ``sender=None`` and keyword arguments only.
"""

from django.dispatch import Signal

# thread, post (the opening post), mentioned (list of Member), quoted (list of Post)
thread_created = Signal()
# post, mentioned (list of Member), quoted (list of Post)
post_created = Signal()
# post, revision (the PostRevision holding the earlier text), editor, mentioned (newly mentioned Members)
post_edited = Signal()
# post, actor (the author, or a moderator who removed it)
post_deleted = Signal()
# thread, post, actor, previous (the post accepted before, or None)
answer_accepted = Signal()
# thread, post (the post that is no longer the answer), actor
answer_unaccepted = Signal()
# post, member (who marked it)
post_marked_useful = Signal()
# member, thread, number: the member's read position in the thread moved forward to post ``number``
read_position_moved = Signal()
# post, actor (None when flags from three members hid it), reason
post_hidden = Signal()
# post, actor
post_unhidden = Signal()
# post, actor, reason: a moderator removed the post (after ``post_deleted``)
post_removed = Signal()

# --- Moderation -------------------------------------------------------------------
# thread, actor, reason
thread_locked = Signal()
# thread, actor, reason
thread_hidden = Signal()
# thread, actor
thread_unhidden = Signal()
# thread, actor, source (the group it left), reason
thread_moved = Signal()
# flag, post, hidden (bool: this flag made the post hidden until a moderator decides)
post_flagged = Signal()
# post, flags (the flags closed, list), outcome ("hide", "remove" or "dismiss"), actor, reason
flags_reviewed = Signal()
