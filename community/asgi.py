"""ASGI entry point: HTTP through Django, WebSockets at /ws/.

HTTP requests run on ``HTTP_THREADS`` reusable threads per process (community/performance/handlers.py).

WebSocket connections come only from the site's own pages (scheme, host and port
compared with SITE_URL and CSRF_TRUSTED_ORIGINS: community/origins.py) and carry
the session's member; the routes live in ``notifications/routing.py``.
"""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402

from community.performance.handlers import PooledThreadsASGIHandler  # noqa: E402

django_application = PooledThreadsASGIHandler(threads=settings.HTTP_THREADS)

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from community.origins import SiteOriginValidator  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": SiteOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# Everything loaded so far (Django, the apps, the URL patterns) lives as long as the process:
# kept out of the cyclic garbage collector's full collections, which otherwise scan it all and
# stopped the process for up to 100 ms under load (the requests' own garbage is still collected).
gc.collect()
gc.freeze()
