from django.urls import path

from notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read-all/", views.mark_all_read, name="mark_all_read"),
    path("notifications/<int:pk>/open/", views.open_notification, name="open_notification"),
    path("notifications/since/<int:last_id>/", views.since, name="notifications_since"),
    path("watch/<str:target>/<int:pk>/", views.set_watch, name="set_watch"),
]

urlpatterns += [
    path("settings/", views.email_settings, name="email_settings"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
