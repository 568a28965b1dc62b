"""Domain signals of the community app, sent by its actions inside their transaction."""

from django.dispatch import Signal

# member, actor (None when approved by e-mail domain)
member_approved = Signal()
# member, actor, reason
member_rejected = Signal()
# member: verified their address and now waits for an ambassador or staff
signup_pending = Signal()
# member, actor, until, reason
member_suspended = Signal()
# member (already anonymised), former (FormerIdentity: the name, handle and e-mail
# address they had). Receivers erase what their app holds about the member, in
# the same transaction, using ``former`` to find the places that named them.
account_deleted = Signal()
# member. Receivers return ``{section name: JSON-ready data}`` with what their app
# holds about the member, for the member's data export (community.privacy).
collect_personal_data = Signal()

# --- Access -------------------------------------------------------------------------
# Sent by every action that changes what a member may read or moderate (memberships,
# moderator roles, staff rights, status), inside its transaction: member. The
# notifications app re-decides that member's open sockets after commit.
member_access_changed = Signal()
# group: who may read the group changed (opened to every member, or closed to its
# members). The notifications app re-decides every socket following a thread in it.
group_access_changed = Signal()
# member, session_keys (list of str): these stored sessions of the member were ended
# (password change or reset, "log out everywhere"); the sockets opened in them close.
sessions_ended = Signal()
