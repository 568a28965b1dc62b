"""Experiment for bench/http.py --server gunicorn: the site as a WSGI application.

The site is deployed as ASGI (daphne) because of its WebSockets; this module only lets the
benchmark measure what the plain HTTP pages would cost without the ASGI layer (a deployment
could route /ws/ to daphne and everything else to WSGI processes). Not part of the site.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")
application = get_wsgi_application()
