"""URLs of handelingsperspectieven, under /perspectives/. The index, a perspective's current
version, its frozen versions and the feed are stable promises (SPEC 5)."""

from django.urls import path

from threads.perspectives.views import editing, feed, reading

urlpatterns = [
    path("", reading.index, name="perspectives"),
    path("feed/", feed.feed, name="perspectives_feed"),
    path("editors/", editing.editors, name="perspectives_editors"),
    path("new/", editing.new, name="perspective_new"),
    path("use/<int:thread_id>/", editing.use_thread, name="perspective_use_thread"),
    path("suggest/<int:thread_id>/", editing.suggest, name="perspective_suggest"),
    path("suggestions/<int:pk>/dismiss/", editing.dismiss_suggestion, name="perspective_dismiss_suggestion"),
    path("<slug:slug>/", reading.detail, name="perspective"),
    path("<slug:slug>/v/<int:number>/", reading.version, name="perspective_version"),
    path("<slug:slug>/draft/", editing.draft, name="perspective_draft"),
    path("<slug:slug>/edit/", editing.edit, name="perspective_edit"),
    path("<slug:slug>/submit/", editing.submit, name="perspective_submit"),
    path("<slug:slug>/publish/", editing.publish, name="perspective_publish"),
    path("<slug:slug>/return/", editing.send_back, name="perspective_return"),
    path("<slug:slug>/public/", editing.make_public, name="perspective_public"),
    path("<slug:slug>/supersede/", editing.supersede, name="perspective_supersede"),
    path("<slug:slug>/sources/", editing.add_source, name="perspective_add_source"),
    path("<slug:slug>/sources/<int:pk>/remove/", editing.remove_source, name="perspective_remove_source"),
    path("<slug:slug>/examples/<int:pk>/remove/", editing.remove_citation, name="perspective_remove_citation"),
    path("<slug:slug>/revisions/", editing.revisions, name="perspective_revisions"),
    path("<slug:slug>/revisions/<int:number>/", editing.revision, name="perspective_revision"),
]
