"""WebSocket routes, mounted by community.asgi behind the origin check and the session."""

from django.urls import path

from notifications.consumers import LiveConsumer

websocket_urlpatterns = [path("ws/", LiveConsumer.as_asgi())]
