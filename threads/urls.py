"""URLs of thread pages and lists. /t/<id>/ is a stable promise (SPEC 5)."""

from django.urls import path

from threads.views import lists, moderation, pages, posts, search, thread

urlpatterns = [
    path("", pages.home, name="home"),
    path("groups/<slug:slug>/", pages.group_detail, name="group"),
    path("groups/<slug:slug>/new/", posts.new_thread, name="new_thread"),
    path("new/", posts.choose_group, name="choose_group"),
    path("municipalities/<str:code>/", pages.municipality_detail, name="municipality"),
    path("members/<str:handle>/", pages.member_detail, name="member"),
    path("t/<int:pk>/", thread.thread_detail, name="thread"),
    path("t/<int:pk>/reply/", posts.reply, name="reply"),
    path("t/<int:pk>/unaccept/", posts.unaccept_answer, name="unaccept_answer"),
    path("t/<int:pk>/pin/", moderation.pin_thread, name="pin_thread"),
    path("t/<int:pk>/unpin/", moderation.unpin_thread, name="unpin_thread"),
    path("t/<int:pk>/lock/", moderation.lock_thread, name="lock_thread"),
    path("t/<int:pk>/unlock/", moderation.unlock_thread, name="unlock_thread"),
    path("t/<int:pk>/hide/", moderation.hide_thread, name="hide_thread"),
    path("t/<int:pk>/unhide/", moderation.unhide_thread, name="unhide_thread"),
    path("t/<int:pk>/move/", moderation.move_thread, name="move_thread"),
    # After the fixed paths above: a thread titled "reply" still reaches its page by id.
    path("t/<int:pk>/<slug:slug>/", thread.thread_detail, name="thread"),
    path("posts/<int:pk>/", posts.post_permalink, name="post_permalink"),
    path("posts/<int:pk>/quote/", posts.post_quote, name="post_quote"),
    path("posts/<int:pk>/edit/", posts.edit_post, name="edit_post"),
    path("posts/<int:pk>/revisions/", posts.post_revisions, name="post_revisions"),
    path("posts/<int:pk>/delete/", posts.delete_post, name="delete_post"),
    path("posts/<int:pk>/accept/", posts.accept_answer, name="accept_answer"),
    path("posts/<int:pk>/useful/", posts.toggle_useful, name="toggle_useful"),
    path("posts/<int:pk>/flag/", moderation.flag_post, name="flag_post"),
    path("posts/<int:pk>/hide/", moderation.hide_post, name="hide_post"),
    path("posts/<int:pk>/unhide/", moderation.unhide_post, name="unhide_post"),
    path("moderation/", moderation.moderation, name="moderation"),
    path("moderation/log/", moderation.moderation_log, name="moderation_log"),
    path("moderation/flags/<int:pk>/", moderation.review_flags, name="review_flags"),
    path("latest/", lists.latest, name="latest"),
    path("unread/", lists.unread, name="unread"),
    path("unanswered/", lists.unanswered, name="unanswered"),
    path("top/", lists.top, name="top"),
    path("themes/", lists.theme_list, name="themes"),
    path("themes/<slug:slug>/", lists.theme, name="theme"),
    path("regions/<slug:slug>/", lists.region, name="region_threads"),
    path("similar/", lists.similar, name="similar_threads"),
    path("search/", search.search, name="search"),
]
