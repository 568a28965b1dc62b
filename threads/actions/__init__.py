"""Every write to threads and posts, by kind: ``posting`` (threads, replies, edits,
answers, marks, read positions), ``moderation`` and ``flags``. The public names are here,
as before the split."""

from threads.actions.drafts import discard_draft, save_draft
from threads.actions.flags import flag_post, review_flags
from threads.actions.moderation import (
    hide_post,
    hide_thread,
    lock_thread,
    move_thread,
    pin_thread,
    remove_post,
    unhide_post,
    unhide_thread,
    unlock_thread,
    unpin_thread,
)
from threads.actions.posting import (
    MAX_BODY_LENGTH,
    MAX_THEMES,
    MAX_TITLE_LENGTH,
    MIN_THEMES,
    accept_answer,
    create_thread,
    delete_post,
    edit_post,
    ensure_themes,
    mark_read,
    mark_useful,
    render_body,
    reply_to_thread,
    sent_before,
    unaccept_answer,
    unmark_useful,
)

__all__ = [
    "MAX_BODY_LENGTH", "MAX_THEMES", "MAX_TITLE_LENGTH", "MIN_THEMES", "accept_answer", "create_thread", "delete_post",
    "discard_draft", "edit_post", "ensure_themes", "flag_post", "hide_post", "hide_thread", "lock_thread", "mark_read", "mark_useful",
    "move_thread", "pin_thread", "remove_post", "render_body", "reply_to_thread", "review_flags", "sent_before", "unaccept_answer",
    "unhide_post", "unhide_thread", "unlock_thread", "unmark_useful", "unpin_thread", "save_draft",
]  # fmt: skip
