"""Settings for Samenleven, read from environment variables only.

Without any variable set, the site runs as the embedded development default:
SQLite, the in-memory channel layer, a local-memory cache and e-mail to the
console. With ``DEBUG`` off it refuses to start unless ``SECRET_KEY``,
``ALLOWED_HOSTS`` and ``DATABASE_URL`` are given. ``.env.example`` documents
every variable.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
# Earlier keys, comma-separated, still accepted while a new SECRET_KEY is rolled out
# (sessions, links in e-mails): deploy/README.md, "Rotating SECRET_KEY".
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

if not DEBUG:
    missing = [
        name
        for name, value in (
            ("SECRET_KEY", SECRET_KEY),
            ("ALLOWED_HOSTS", ALLOWED_HOSTS),
            ("DATABASE_URL", DATABASE_URL),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured("With DEBUG off these environment variables are required: " + ", ".join(missing))
else:
    # A development key: only ever used with DEBUG on, never in production.
    SECRET_KEY = SECRET_KEY or "development-only-insecure-key-do-not-use-in-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"]

INSTALLED_APPS = [
    "daphne",
    # Before community: community/admin.py takes their devices out of the admin again
    # (a second factor is reset through the site's action, which logs it).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "community",
    "community.meetings",
    "threads",
    "threads.perspectives",
    "threads.dashboard",
    "notifications",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "taggit",
    "csp",
]

MIDDLEWARE = [
    # First: the request id, and every answer counted and timed (community/metrics.py).
    "community.metrics.RequestMetricsMiddleware",
    # The cached fragments a request renders go to the cache in one round trip, at its end.
    "community.performance.fragments.FragmentWritesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "community.middleware.RejectNulMiddleware",
    "community.middleware.AuthenticationMiddleware",
    "community.middleware.MemberLanguageMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "community.twofactor.middleware.SecondFactorMiddleware",
    "community.middleware.ActiveMemberMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "community.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "community.asgi.application"
# Requests running Django code at once per ASGI process, each on a thread of its own that
# is reused (community/performance/handlers.py); more requests wait their turn in the event loop.
HTTP_THREADS = int(os.environ.get("HTTP_THREADS", "2"))

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "community.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# SQLite serves many readers and one writer well in WAL mode; IMMEDIATE transactions
# make a writer wait for the lock (busy_timeout) instead of failing halfway.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
}
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
    elif env_bool("DATABASE_PREPARED_STATEMENTS", True):
        # PostgreSQL: parameters bound by the server, and a query run five times on a
        # connection is prepared there, so it is no longer planned on every request: that
        # planning was most of the database's CPU per page (bench/README.md). Turn off behind
        # a pooler that cannot keep prepared statements (PgBouncer before 1.21 in transaction mode).
        DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "samenleven.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
            # A file, not memory: the browser tests' ASGI server runs in another process.
            # One file per test run, so that two runs side by side do not collide.
            "TEST": {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and channel layer --------------------------------------------------
# A Redis outage costs the live events and the shared counters, never a page
# (community/performance/cache.py, community/sessions.py): short timeouts, so that a Redis that does
# not answer costs a fraction of a second, once per second per process, not every request.
REDIS_SOCKET_OPTIONS = {
    "socket_connect_timeout": float(os.environ.get("REDIS_CONNECT_TIMEOUT", "0.25")),
    "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", "0.5")),
}
# The channel layer's timeouts are timers of the event loop, which fire late and all at once
# when the loop was held up (a busy process): longer, so that only a Redis that really does
# not answer trips them. Without any, a reply would wait forever for a hung Redis.
CHANNEL_LAYER_SOCKET_OPTIONS = {"socket_connect_timeout": 1.0, "socket_timeout": 2.0}


def redis_caches(url: str, *, key_prefix: str) -> dict[str, dict[str, object]]:
    return {
        "default": {
            "BACKEND": "community.performance.cache.SharedPoolRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": key_prefix,
            "OPTIONS": dict(REDIS_SOCKET_OPTIONS),
        }
    }


def redis_channel_layers(url: str, *, prefix: str) -> dict[str, dict[str, object]]:
    # The pub/sub layer: joining a group is a SUBSCRIBE on one shared connection per
    # process, and a group message is one PUBLISH however many sockets listen. Live
    # events are hints (clients catch up from the database), so at-most-once is right.
    return {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": url, **CHANNEL_LAYER_SOCKET_OPTIONS}], "prefix": prefix},
        }
    }


if REDIS_URL:
    CACHES = redis_caches(REDIS_URL, key_prefix=os.environ.get("CACHE_KEY_PREFIX", "samenleven"))
    CHANNEL_LAYERS = redis_channel_layers(REDIS_URL, prefix=os.environ.get("CHANNEL_PREFIX", "samenleven"))
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Accounts -----------------------------------------------------------------
AUTH_USER_MODEL = "community.Member"
AUTHENTICATION_BACKENDS = ["community.auth.EmailBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Sessions are read from the cache (Redis in production) and written through to the
# database, with the member they belong to; a cache that fails is read around.
SESSION_ENGINE = "community.sessions"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# How long an e-mail verification link stays valid, in seconds.
EMAIL_VERIFICATION_MAX_AGE = int(os.environ.get("EMAIL_VERIFICATION_MAX_AGE", str(60 * 60 * 24 * 3)))
# Failed logins allowed per window (community.throttle.login_attempt): for one address from
# one client IP address (the usual lock, which leaves the owner elsewhere free to log in), for
# one address from all clients together (a ceiling against guessing from many addresses), and
# from one client IP address across all addresses. After ``warn_after`` failures for an
# address from all clients (more than one client may make) its owner is mailed, once per window.
LOGIN_THROTTLE = {
    "per_address_and_ip": int(os.environ.get("LOGIN_THROTTLE_PER_ADDRESS_AND_IP", "5")),
    "per_address": int(os.environ.get("LOGIN_THROTTLE_PER_ADDRESS", "50")),
    "per_ip": int(os.environ.get("LOGIN_THROTTLE_PER_IP", "20")),
    "window_seconds": int(os.environ.get("LOGIN_THROTTLE_WINDOW", "900")),
    "warn_after": int(os.environ.get("LOGIN_THROTTLE_WARN_AFTER", "10")),
}
if LOGIN_THROTTLE["warn_after"] <= LOGIN_THROTTLE["per_address_and_ip"]:
    raise ImproperlyConfigured(
        "LOGIN_THROTTLE_WARN_AFTER must be above LOGIN_THROTTLE_PER_ADDRESS_AND_IP: one client alone"
        " (the owner mistyping) must not set off the warning"
    )
# Two-step verification (community/twofactor): TOTP codes from an authenticator app, and
# single-use recovery codes. Wrong codes count like wrong passwords (LOGIN_THROTTLE, per
# member and per IP address), in the cache; django-otp's own per-device delays are off.
OTP_TOTP_ISSUER = "Samenleven"
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
SECOND_FACTOR_RECOVERY_CODES = 10
# Sign-up attempts per client IP address per window, whether or not they created an
# account; an address that already has an account gets at most one notice per window.
SIGNUP_THROTTLE = {
    "per_ip": int(os.environ.get("SIGNUP_THROTTLE_PER_IP", "10")),
    "window_seconds": 3600,
}
# How many proxies in front of the site append to X-Forwarded-For (community.throttle.client_ip).
# 0: none, REMOTE_ADDR is the client. N: the client is the N-th address from the right of
# X-Forwarded-For, the one the outermost trusted proxy saw; addresses further left are the
# client's own claims and never count. With nginx as in README.md ("Deploying"): 1.
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
if TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES must be 0 or more, not {TRUSTED_PROXIES}")

# --- Moderation and rate limits (community.throttle, threads.views) -------------
# A post flagged by this many different members is hidden until a moderator decides.
FLAGS_TO_HIDE = int(os.environ.get("FLAGS_TO_HIDE", "3"))
# RATE_LIMITS=0 switches the posting and flag limits off (load tests, benchmarks).
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS", True)
# Members approved less than this many days ago are "new" and get the stricter limits.
NEW_MEMBER_DAYS = int(os.environ.get("NEW_MEMBER_DAYS", "7"))
# At most ``count`` per ``window_seconds``, counted in the cache (Redis in production).
# Staff and moderators have no limits.
RATE_LIMITS = {
    "thread": {"new": {"count": 1, "window_seconds": 300}, "established": {"count": 5, "window_seconds": 300}},
    "post": {"new": {"count": 10, "window_seconds": 600}, "established": {"count": 30, "window_seconds": 600}},
    "flag": {"new": {"count": 5, "window_seconds": 3600}, "established": {"count": 20, "window_seconds": 3600}},
}

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["community.formats"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- E-mail -------------------------------------------------------------------


def parse_email_url(url: str) -> dict[str, object]:
    """Turn EMAIL_URL into Django e-mail settings.

    ``smtp://user:pass@host:587?tls=1``, ``smtps://...`` (implicit TLS),
    ``console://`` and ``file:///path/to/folder``.
    """
    parsed = urlparse(url)
    query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    if parsed.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parsed.scheme == "file":
        return {
            "EMAIL_BACKEND": "community.mailfiles.EmailBackend",
            "EMAIL_FILE_PATH": unquote(parsed.path),
        }
    if parsed.scheme in {"smtp", "smtps"}:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parsed.hostname or "localhost",
            "EMAIL_PORT": parsed.port or (465 if parsed.scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parsed.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
            "EMAIL_USE_SSL": parsed.scheme == "smtps",
            "EMAIL_USE_TLS": query.get("tls", "0").lower() in {"1", "true", "yes"},
            "EMAIL_TIMEOUT": int(query.get("timeout", "10")),
        }
    raise ImproperlyConfigured(f"EMAIL_URL has an unknown scheme: {parsed.scheme!r}")


globals().update(parse_email_url(os.environ.get("EMAIL_URL", "console://")))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Samenleven <noreply@samenleven.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The public address of the site, used for links in e-mails.
# A cached fragment's template that looks up a value it does not declare (community/performance/fragments.py)
# raises instead of rendering it as empty: on in development and in the tests.
FRAGMENTS_STRICT = env_bool("FRAGMENTS_STRICT", DEBUG)
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "Samenleven"
# The programme team's shared mailbox: hears of sign-ups in provinces without an ambassador
# (and gets the daily reminder), and is the Reply-To of e-mails that invite an answer.
SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "programmateam@samenleven.localhost")

# --- E-mail outbox, digests, unsubscribe (notifications.email) ----------------
# Every e-mail is a database row first; ``manage.py deliver_mail`` sends it over EMAIL_URL.
EMAIL_QUEUE = "notifications.email.outbox.queue_email_message"
OUTBOX = {
    "batch_size": 50,  # rows a worker claims at a time
    "poll_seconds": 2,  # how often an idle worker looks for due rows
    "max_attempts": 8,  # then the row is failed, with its error, in the admin
    "backoff_seconds": 60,  # retry after 1, 2, 4, 8, ... minutes
    "backoff_max_seconds": 6 * 3600,
    "lease_seconds": 900,  # a worker's claim on a row; a crashed worker's rows return after it
    "keep_sent_days": 30,  # sent rows are deleted after this
    # E-mail about replies and mentions waits this long, so that the posts of a busy thread
    # arrive in one e-mail and what the member read on the site meanwhile is not sent.
    "window_seconds": int(os.environ.get("EMAIL_WINDOW_SECONDS", "600")),
}
DIGEST = {
    "batch_size": 500,  # members built and queued per transaction
    "candidates": 2000,  # at most this many new threads and replies of a period are considered
    "threads": 8,  # items per section of one digest
    "replies": 5,
    "questions": 5,
    "notifications": 15,
}
# Meetings' live Q&A (notifications/meetinglive.py): a process sends the votes of a meeting
# together at most this often, in seconds (0: each vote on its own, after its commit).
MEETING_VOTE_WINDOW = float(os.environ.get("MEETING_VOTE_WINDOW", "0.1"))
if MEETING_VOTE_WINDOW < 0:
    raise ImproperlyConfigured(f"MEETING_VOTE_WINDOW must be 0 or more seconds, not {MEETING_VOTE_WINDOW}")
# How long the unsubscribe link in an e-mail keeps working, in seconds.
UNSUBSCRIBE_MAX_AGE = 60 * 60 * 24 * 365

# --- Security -----------------------------------------------------------------
# HTTPS is on by default in production; a deployment behind a TLS-terminating
# proxy sets X-Forwarded-Proto. HTTPS=0 serves plain HTTP (benchmarks on loopback).
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Logging and metrics --------------------------------------------------------
# LOG_FORMAT=json: one JSON object per line, with the request's id (community/requestlog.py);
# plain: text. ACCESS_LOG: a line per answered request (method, path, status, view, time,
# queries, client address).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
ACCESS_LOG = env_bool("ACCESS_LOG", not DEBUG)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "community.requestlog.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s [request %(request_id)s]"},
        "json": {"()": "community.requestlog.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
# Client addresses (community.throttle.client_ip) and networks that may read /metrics,
# comma-separated. Prometheus scrapes each ASGI process on its own loopback port.
METRICS_ALLOWED = env_list("METRICS_ALLOWED") or ["127.0.0.1", "::1"]
try:
    for _entry in METRICS_ALLOWED:
        ipaddress.ip_network(_entry, strict=False)
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED holds something that is no address or network: {error}") from None
# Plain HTTP on the process's own port answers /metrics, for the scraper, also with HTTPS on.
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
CSRF_FAILURE_VIEW = "community.views.csrf_failure"
