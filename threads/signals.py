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
# post, actor
post_deleted = Signal()
# thread, post, actor, previous (the post accepted before, or None)
answer_accepted = Signal()
# thread, post (the post that is no longer the answer), actor
answer_unaccepted = Signal()
# post, member (who marked it)
post_marked_useful = Signal()
# post, actor, reason
post_hidden = Signal()
# post, actor
post_unhidden = Signal()
