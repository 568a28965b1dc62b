"""URLs of meetings. /meetings/, /meetings/<id>/, /meetings/<id>/live/, /meetings/<id>/ics and
/meetings/feed/<token>.ics are stable promises (SPEC 5)."""

from django.urls import path

from community.meetings import views

urlpatterns = [
    path("", views.agenda, name="meetings"),
    path("new/", views.new_meeting, name="new_meeting"),
    path("feed/renew/", views.renew_feed, name="renew_meeting_feed"),
    path("feed/<str:token>.ics", views.feed, name="meeting_feed"),
    path("<int:pk>/", views.meeting_detail, name="meeting"),
    path("<int:pk>/live/", views.live, name="meeting_live"),
    path("<int:pk>/ics", views.meeting_ics, name="meeting_ics"),
    path("<int:pk>/edit/", views.edit_meeting, name="edit_meeting"),
    path("<int:pk>/invite/", views.invite, name="meeting_invite"),
    path("<int:pk>/register/", views.register, name="meeting_register"),
    path("<int:pk>/cancel/", views.cancel, name="meeting_cancel"),
    path("<int:pk>/attendance/", views.attendance, name="meeting_attendance"),
    path("<int:pk>/report/", views.report, name="meeting_report"),
    path("<int:pk>/questions/", views.ask, name="meeting_ask"),
    path("questions/<int:pk>/vote/", views.vote, name="question_vote"),
    path("questions/<int:pk>/hide/", views.hide_question, name="question_hide"),
    path("questions/<int:pk>/merge/", views.merge_question, name="question_merge"),
    path("questions/<int:pk>/<slug:step>/", views.question_step, name="question_step"),
]
