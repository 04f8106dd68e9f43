"""rumorcases settings.

Everything that differs between a newcomer's laptop and production is read
from the environment (see `.env.example` and docs/configuration.md). With
nothing set you get the embedded default: SQLite under var/, Celery tasks run
eagerly in-process, files on local disk, DEBUG on.
"""

import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from rumorcases.core.env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("RUMORCASES_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", True)

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from our own static files, no CDN
    "django_fsm",
    "django_htmx",
    "axes",  # login lockout after repeated failures
    "rumorcases.core",
    "rumorcases.platforms",
    "rumorcases.cases",
    "rumorcases.notices",
    "rumorcases.disposal",
    "rumorcases.bulletins",
    "rumorcases.api",
    "rumorcases.staff",
    "rumorcases.public",
    "rumorcases.documents",
    "rumorcases.operations",
]

MIDDLEWARE = [
    # First: every response, and every log line written while answering, carries the request id.
    "rumorcases.core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "rumorcases.core.csp.CSPMiddleware",  # the Content-Security-Policy header (Security, below)
    # Static files before everything else: no session, no language, no database.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rumorcases.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "rumorcases.staff.context_processors.staff",
            ],
        },
    },
]

WSGI_APPLICATION = "rumorcases.wsgi.application"
ASGI_APPLICATION = "rumorcases.asgi.application"

# --- Database -------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "rumorcases.sqlite3",
            # Writers wait for the lock instead of failing at once with "database is locked".
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
if envstr("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": envstr("TEST_DATABASE_NAME")}
# The queue's covering index includes the case id on PostgreSQL; SQLite builds it without, and
# Django's note saying so (models.W040) would print on every command.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Staff sign-in ----------------------------------------------------------
# django-axes checks every password sign-in first: after AXES_FAILURE_LIMIT failures for one
# username from one address, that username is locked there for AXES_COOLOFF_MINUTES (a
# supervisor can lift it sooner in the admin). Username and address together: staff share the
# office's address, and one person's typos must not lock everyone out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "rumorcases.staff.views.auth.locked_out"
AXES_VERBOSE = False
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:my_work"
LOGOUT_REDIRECT_URL = "staff:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages and time ---------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "rumorcases" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True  # stored in UTC, shown in Asia/Shanghai

# --- Files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(VAR_DIR / "static")))
# The front-end libraries come from the npm registry (package.json, `npm ci` in `make setup`)
# and are served from our own static files: the office network has no CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
# WhiteNoise serves the static files. With DEBUG off they carry hashed names (style.3f2a….css,
# from `collectstatic`'s manifest) and are cached by browsers for a year. With DEBUG on — a
# newcomer's checkout, and the test suite, whose settings are read with DEBUG on — the names stay
# plain and WhiteNoise finds the files in place, so nothing needs `collectstatic` first.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Evidence uploads: size cap in bytes, and the content types accepted (checked from the bytes).
EVIDENCE_MAX_BYTES = envint("EVIDENCE_MAX_BYTES", 50 * 1024 * 1024)
EVIDENCE_ALLOWED_TYPES = envlist(
    "EVIDENCE_ALLOWED_TYPES",
    [
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "application/pdf",
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "audio/mpeg",
        "audio/x-wav",
        "audio/ogg",
        "text/plain",
        "text/html",
        "message/rfc822",  # MHTML web captures
    ],
)
# Largest form body Django reads (the admin's forms). The API's JSON bodies have their own
# caps, API_MAX_BODY_BYTES and API_BATCH_MAX_BODY_BYTES, below.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Celery ---------------------------------------------------------------
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL")
# With no broker configured, tasks run in-process right after the transaction commits.
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = envstr("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_BEAT_SCHEDULE = {
    # Re-queues webhook deliveries whose next attempt is due but that no queued message carries
    # (a worker died mid-attempt, a message was lost, the broker was down when it was queued).
    "webhook-retry-due": {"task": "rumorcases.platforms.tasks.requeue_due_webhooks", "schedule": 60.0},
}

# --- Cache ----------------------------------------------------------------
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Public pages (rumorcases/public/cache.py, docs/public.md): how long a rendered page is kept;
# for how long it is served without checking the database (the most a change made in another
# process can take to show with a local-memory cache; 0 with DEBUG on, so a developer — and
# the test suite — sees every change at once); how long browsers and proxies may reuse it.
PUBLIC_PAGE_CACHE_SECONDS = envint("PUBLIC_PAGE_CACHE_SECONDS", 600)
PUBLIC_PAGE_RECHECK_SECONDS = envint("PUBLIC_PAGE_RECHECK_SECONDS", 0 if DEBUG else 5)
PUBLIC_PAGE_MAX_AGE = envint("PUBLIC_PAGE_MAX_AGE", 60)

# --- E-mail ---------------------------------------------------------------
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "rumorcases@localhost")

# --- Security -------------------------------------------------------------
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    # Health probes ask gunicorn directly, over plain HTTP on the host (docs/deploy/README.md).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    # Subdomains of the site's own host name (rumorcases.example.gov.cn), not of the office's domain.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preload is off by default: the preload list takes only a registrable domain (example.gov.cn)
    # and would force HTTPS on every site under it, for months after a change of mind. An office
    # that owns its domain and wants it turns SECURE_HSTS_PRELOAD on; until then Django's reminder
    # (security.W021) is silenced, so `check --deploy --fail-level WARNING` stays meaningful.
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS += ["security.W021"]
    # nginx terminates TLS and says so in X-Forwarded-Proto (docs/deploy/nginx.conf).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy (django-csp 4): everything from our own origin, no inline script or
# style, no framing. The staff UI and public site need nothing more (htmx's indicator style is
# off, see templates/staff/base.html; the dashboard's data sits in non-executed JSON script tags).
# The API's Swagger UI and ReDoc pages get inline script and style on top, the admin inline style
# (rumorcases/core/csp.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    },
}

# --- REST framework -------------------------------------------------------
# DRF serves only the platform API (/api/v1/, docs/api.md): platform bearer tokens, never a
# staff session; JSON only; every error in the one shape of `api_exception_handler`.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rumorcases.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rumorcases.api.permissions.TokenHasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["rumorcases.api.throttling.PlatformTokenThrottle"],
    "DEFAULT_PARSER_CLASSES": ["rumorcases.api.parsers.CappedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rumorcases.api.parsers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "rumorcases.core.exceptions.api_exception_handler",
}
# Requests per platform token: N/second, N/minute, N/hour or N/day, counted in the default
# cache (Redis with REDIS_URL, so across all workers and hosts).
API_RATE = envstr("API_RATE", "600/min")
if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", API_RATE):
    raise ImproperlyConfigured(f"API_RATE must look like 600/min, not {API_RATE!r}")
# Largest request body the API reads, in bytes: the batch endpoint (1,000 reports) and the others.
API_BATCH_MAX_BODY_BYTES = envint("API_BATCH_MAX_BODY_BYTES", 32 * 1024 * 1024)
API_MAX_BODY_BYTES = envint("API_MAX_BODY_BYTES", 1024 * 1024)

SPECTACULAR_SETTINGS = {
    "TITLE": "rumorcases platform API",
    "DESCRIPTION": "Platforms submit reports of suspected rumours, follow their cases, and pull and answer "
                   "the office's disposal orders. Guide: docs/api.md.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No validator badge: Swagger UI would fetch it from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "PATH_CONVERTER_OVERRIDES": {  # rumorcases/api/urls.py
        "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999},
        "case_ref": {"type": "string", "pattern": "^RC-[0-9]{4}-[0-9]{1,12}$"},
    },
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "rumorcases.cases.choices.CaseStatus",
        "CaseResolutionEnum": "rumorcases.cases.choices.Resolution",
        "ContentTypeEnum": "rumorcases.cases.choices.ContentType",
        "CategoryEnum": "rumorcases.cases.choices.Category",
        "ReportSourceEnum": "rumorcases.api.serializers.PLATFORM_SOURCES",
        "SubmitOutcomeEnum": "rumorcases.api.serializers.SUBMIT_OUTCOMES",
        "BatchOutcomeEnum": "rumorcases.api.serializers.BATCH_OUTCOMES",
        "AccountTypeEnum": "rumorcases.disposal.choices.AccountType",
        "MeasureEnum": "rumorcases.disposal.choices.Measure",
        "OrderStatusEnum": "rumorcases.disposal.choices.OrderStatus",
        "OrderItemKindEnum": "rumorcases.disposal.choices.OrderItemKind",
        "OrderItemOutcomeEnum": "rumorcases.disposal.choices.OrderItemOutcome",
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "rumorcases.api.schema.postprocess"],
}

# --- The office -----------------------------------------------------------
OFFICE_NAME = envstr("OFFICE_NAME", "上海市互联网信息办公室")
OFFICE_NAME_EN = envstr("OFFICE_NAME_EN", "Shanghai Internet Information Office")
# Prefix of debunk notices' document numbers, e.g. 沪网信辟〔2026〕12号.
NOTICE_NUMBER_PREFIX = envstr("NOTICE_NUMBER_PREFIX", "沪网信辟")
# The office's own published hotline numbers and mailboxes: the privacy gate lets them through.
PRIVACY_PUBLIC_CONTACTS = envlist("PRIVACY_PUBLIC_CONTACTS", [])
# A case closed less than this many days ago still receives matching reports.
MATCH_RECENTLY_CLOSED_DAYS = envint("MATCH_RECENTLY_CLOSED_DAYS", 30)
# Near-duplicate matching (MinHash band keys in the database, docs/matching.md). Off only to
# trade matching for intake speed; turning it on later needs `manage.py rematch --fingerprints`.
MATCH_NEAR_DUPLICATES = envbool("MATCH_NEAR_DUPLICATES", True)
# A report this similar (0–1, `fingerprints.similarity`) to a candidate's joins its case as a near
# duplicate. Lower finds more rewordings and merges more different rumours (docs/matching.md).
try:
    MATCH_NEAR_THRESHOLD = float(envstr("MATCH_NEAR_THRESHOLD", "0.70"))
except ValueError as exc:
    raise ImproperlyConfigured("MATCH_NEAR_THRESHOLD must be a number") from exc
if not 0 < MATCH_NEAR_THRESHOLD <= 1:
    raise ImproperlyConfigured("MATCH_NEAR_THRESHOLD must be above 0 and at most 1")

# Logs go to standard error (journald under systemd). LOG_FORMAT=json writes one JSON object a
# line, for a log collector (production, docs/deploy/); plain is for a person at a terminal. Both
# carry the request id (rumorcases/core/request_id.py): of the web request, or in a Celery task,
# of the request that queued it.
LOG_FORMAT = envstr("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "rumorcases.core.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools report every step of a PDF at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# --- Deadline sweeps and escalation ----------------------------------------
# The sweep (operations.tasks.sweep_deadlines) finds cases past their stage deadline, platform
# orders past their due time and consultations past their due date (docs/operations.md).
# Level 1 (the assignee, else the stage's role) when the deadline passes; level 2 (supervisors)
# this many hours later; level 3 (the "office_head" group) this many hours after level 2.
ESCALATE_SUPERVISOR_AFTER_HOURS = envint("ESCALATE_SUPERVISOR_AFTER_HOURS", 4)
ESCALATE_HEAD_AFTER_HOURS = envint("ESCALATE_HEAD_AFTER_HOURS", 24)
if ESCALATE_SUPERVISOR_AFTER_HOURS < 0 or ESCALATE_HEAD_AFTER_HOURS < 0:
    raise ImproperlyConfigured("ESCALATE_SUPERVISOR_AFTER_HOURS and ESCALATE_HEAD_AFTER_HOURS must not be negative")
# Links in notification e-mails start with this, e.g. https://rumorcases.example.gov.cn (no slash at
# the end); unset, e-mails carry the path only.
EMAIL_LINK_BASE_URL = envstr("EMAIL_LINK_BASE_URL").rstrip("/")
CELERY_BEAT_SCHEDULE["deadline-sweep"] = {
    "task": "rumorcases.operations.tasks.sweep_deadlines",
    "schedule": float(envint("DEADLINE_SWEEP_SECONDS", 300)),
}

# --- Task queues and reliability --------------------------------------------
# One queue per kind of work, so a flood of one cannot starve the others (docs/background.md):
# PDF rendering, webhook deliveries, sweeps (deadlines, lost webhook deliveries), everything else.
# A worker started without -Q consumes all four; on busier hosts run one worker per queue:
#   celery -A rumorcases worker -Q documents      (CPU-heavy: WeasyPrint)
#   celery -A rumorcases worker -Q webhooks       (waits on platforms' servers: more concurrency)
#   celery -A rumorcases worker -Q sweeps,default
from kombu import Queue  # noqa: E402

CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ("default", "documents", "webhooks", "sweeps")]
CELERY_TASK_ROUTES = {
    "rumorcases.documents.tasks.*": {"queue": "documents"},
    "rumorcases.platforms.tasks.deliver_webhook": {"queue": "webhooks"},
    "rumorcases.platforms.tasks.requeue_due_webhooks": {"queue": "sweeps"},
    "rumorcases.operations.tasks.*": {"queue": "sweeps"},
}
# With Redis as broker, a message a worker took but did not acknowledge (acks_late: the worker died)
# goes back on its queue after this many seconds. It must be longer than the longest ETA a message
# waits for (a webhook retry, up to 72 minutes), or a waiting retry is handed to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 2 * 3600)}

# --- Production: request ids in Celery, read replica, media storage -------
# Celery workers and beat log through LOGGING above (JSON lines, request ids, LOG_LEVEL), not Celery's
# own setup: rumorcases/core/request_id.py answers Celery's setup_logging signal.
# A PostgreSQL streaming replica for the dashboard's reads (rumorcases/core/db_router.py).
DATABASE_REPLICA_URL = envstr("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))
    # The test suite reads the test database through the "replica" alias instead.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["rumorcases.core.db_router.ReplicaRouter"]
# Uploaded and generated files: local disk under MEDIA_ROOT (one host, or a shared mount), or an
# S3-compatible object store (MinIO, Ceph, a cloud's) for several hosts (docs/deploy/README.md).
MEDIA_STORAGE = envstr("MEDIA_STORAGE", "local")
if MEDIA_STORAGE == "s3":
    if not envstr("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": envstr("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": envstr("AWS_S3_ENDPOINT_URL") or None,  # unset: Amazon S3 itself
            "region_name": envstr("AWS_S3_REGION_NAME") or None,
            # Unset: boto3's own chain (instance role, ~/.aws/credentials).
            "access_key": envstr("AWS_ACCESS_KEY_ID") or None,
            "secret_key": envstr("AWS_SECRET_ACCESS_KEY") or None,
            "location": envstr("AWS_LOCATION"),  # a key prefix inside the bucket
            # Evidence is private: no public ACL, never overwritten; files reach people only
            # through the access-checked views, which stream them from the bucket.
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
elif MEDIA_STORAGE != "local":
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be local or s3, not {MEDIA_STORAGE!r}")
