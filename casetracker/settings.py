"""Settings for casetracker: one module, every value from the environment.

Defaults are safe: a missing variable never widens exposure (DEBUG off,
ALLOWED_HOSTS local only, no embedded secret outside DEBUG). See the README's
"Configuration" section for every variable.
"""

import copy
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env file is convenient for development; the process environment wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off."
        )
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "django-insecure-local-development-only-key-do-not-deploy-0123456789"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # WhiteNoise serves static files in development too, so runserver and
    # production behave alike.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "accounts",
    "complaints",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "casetracker.middleware.NoStoreForAuthenticatedMiddleware",
    # Last, so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "casetracker.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

WSGI_APPLICATION = "casetracker.wsgi.application"

# Database: PostgreSQL in production and CI; a SQLite file under var/ by default.
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'casetracker.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections: a new PostgreSQL connection per request costs
    # about 8 ms of CPU (DESIGN.md section 10). Health checks drop dead ones.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["NAME"] == str(VAR_DIR / "casetracker.sqlite3"):
    # The embedded default database lives in var/, which git ignores.
    VAR_DIR.mkdir(exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out attempts before any password
    # is checked.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.PhoneOrEmailBackend",
]

# Argon2id first (security checklist item 12); the others verify old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "phone", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "complaints:list"
LOGOUT_REDIRECT_URL = "home"

# Login rate limiting (django-axes): lock the account name, and the name from
# one address, after repeated failures; a successful password reset is not
# blocked by this.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_RESET_ON_SUCCESS = True
# An attempt during a lockout does not restart the cool-off; otherwise one
# guess every few minutes would keep the real owner locked out for good.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.identifiers.axes_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind a proxy, set this to the number of trusted proxies in front of us.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0) or None
AXES_VERBOSE = False

# Internationalisation: Chinese first, English complete.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", "简体中文"),
    ("en", "English"),
]
# One catalogue for the whole project (templates, accounts and complaints).
LOCALE_PATHS = [BASE_DIR / "complaints" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Static files: the project's own (Bootstrap is vendored, never a CDN).
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "staticfiles")
# Production serves hashed, compressed files collected by `collectstatic`;
# development and the test suite serve straight from the source folders.
STATIC_MANIFEST = env.bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
# Uploaded files live outside any public URL; there is deliberately no
# MEDIA_URL route. Files are not world-readable.
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))

# Evidence files: private storage under random names, never served by URL.
# "filesystem" (default, under DJANGO_MEDIA_ROOT/evidence) or "s3" for any
# S3-compatible object store (django-storages).
EVIDENCE_STORAGE_BACKEND = env.str("EVIDENCE_STORAGE_BACKEND", default="filesystem")
if EVIDENCE_STORAGE_BACKEND == "s3":
    from boto3.s3.transfer import TransferConfig

    EVIDENCE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("EVIDENCE_S3_BUCKET"),
            "endpoint_url": env.str("EVIDENCE_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("EVIDENCE_S3_REGION", default=None),
            "access_key": env.str("EVIDENCE_S3_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("EVIDENCE_S3_SECRET_ACCESS_KEY", default=None),
            "location": env.str("EVIDENCE_S3_PREFIX", default="evidence"),
            # Private objects; never overwrite; served only through our view.
            # An empty EVIDENCE_S3_DEFAULT_ACL sends no ACL, for buckets with
            # ACLs disabled (AWS "bucket owner enforced").
            "default_acl": env.str("EVIDENCE_S3_DEFAULT_ACL", default="private")
            or None,
            "file_overwrite": False,
            "querystring_auth": True,
            # "path" (MinIO) or "virtual" (Alibaba OSS); boto3 picks by default.
            "addressing_style": env.str("EVIDENCE_S3_ADDRESSING_STYLE", default=None),
            # Memory per request stays small (scripts/bench_upload.py
            # --storage s3): parts go one at a time, 5 MiB each, not up to ten
            # 8 MiB parts at once; a download spools to disk past 1 MiB
            # instead of holding the whole file in memory.
            "transfer_config": TransferConfig(
                use_threads=False, multipart_chunksize=5 * 1024 * 1024
            ),
            "max_memory_size": 1024 * 1024,
        },
    }
elif EVIDENCE_STORAGE_BACKEND == "filesystem":
    EVIDENCE_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": MEDIA_ROOT / "evidence",
            "file_permissions_mode": 0o640,
            "directory_permissions_mode": 0o750,
        },
    }
else:
    raise ImproperlyConfigured(
        "EVIDENCE_STORAGE_BACKEND must be 'filesystem' or 's3', "
        f"not {EVIDENCE_STORAGE_BACKEND!r}."
    )

# Generated letters (immutable PDFs) use the same backend as evidence, in
# their own folder or prefix.
LETTER_STORAGE = copy.deepcopy(EVIDENCE_STORAGE)
if EVIDENCE_STORAGE_BACKEND == "s3":
    LETTER_STORAGE["OPTIONS"]["location"] = env.str(
        "LETTERS_S3_PREFIX", default="letters"
    )
else:
    LETTER_STORAGE["OPTIONS"]["location"] = MEDIA_ROOT / "letters"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "evidence": EVIDENCE_STORAGE,
    "letters": LETTER_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
# Every upload streams to a temporary file (never whole into memory) and is
# hashed (SHA-256) while it streams; bytes past the per-file limit are
# counted but not written.
FILE_UPLOAD_HANDLERS = ["complaints.evidence.HashingUploadHandler"]
FILE_UPLOAD_TEMP_DIR = env.str("DJANGO_FILE_UPLOAD_TEMP_DIR", default=None)

# Evidence limits.
EVIDENCE_MAX_FILE_BYTES = env.int("EVIDENCE_MAX_FILE_BYTES", default=25 * 1024 * 1024)
EVIDENCE_MAX_COMPLAINT_BYTES = env.int(
    "EVIDENCE_MAX_COMPLAINT_BYTES", default=300 * 1024 * 1024
)
EVIDENCE_MAX_FILES = env.int("EVIDENCE_MAX_FILES", default=50)
# Images are opened to check them; more pixels than this is refused
# (decompression bombs). 50 MP covers any phone camera.
EVIDENCE_MAX_IMAGE_PIXELS = env.int("EVIDENCE_MAX_IMAGE_PIXELS", default=50_000_000)

# Letters: how many cases one admin export may cover (each ready channel's
# letter is made or reused, about 150 ms a PDF).
LETTER_EXPORT_MAX_CASES = env.int("LETTER_EXPORT_MAX_CASES", default=20)

# Deadline reminders (manage.py send_deadline_reminders, daily from cron):
# how many days before an answer is due the first reminder goes out.
REMINDER_DAYS_BEFORE = env.int("REMINDER_DAYS_BEFORE", default=3)

# Forms
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# A complaint form with many loss rows stays well under this.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Email: console by default; SMTP (or any backend) from the environment.
EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("DJANGO_EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str(
    "DJANGO_DEFAULT_FROM_EMAIL", default="casetracker <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Sessions: 30 minutes idle, renewed on each request; cookies are HttpOnly
# and SameSite=Lax. Secure flags and __Host- names come with HTTPS below.
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# HTTPS. On by default outside DEBUG: a production deploy must not forget it.
SECURE_HTTPS = env.bool("DJANGO_SECURE", default=not DEBUG)
if SECURE_HTTPS:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    if env.bool("DJANGO_BEHIND_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies: Secure, Path=/, no Domain (security checklist item 5).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Caches: Redis when configured (shared across workers), else local memory.
CACHES = {"default": env.cache_url("DJANGO_CACHE_URL", default="locmemcache://")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # Every login is an INFO line from django-axes; failures still show.
        "axes": {"level": "WARNING"},
        # WeasyPrint logs each rendering step at INFO; refused URLs and
        # layout problems are warnings.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Domain settings.
# Public address of the site, for links in emails.
CASETRACKER_SITE_URL = env.str("CASETRACKER_SITE_URL", default="http://127.0.0.1:8000")
# Complaint list page size.
COMPLAINTS_PER_PAGE = env.int("COMPLAINTS_PER_PAGE", default=20)
# Version of the privacy notice users consent to; recorded with each consent.
PRIVACY_POLICY_VERSION = env.str("PRIVACY_POLICY_VERSION", default="2026-11")
