"""WebSocket routes, mounted under /ws/ by community.asgi."""

websocket_urlpatterns: list = []
