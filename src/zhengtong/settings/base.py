"""Settings that run on a clean checkout: SQLite in the data directory, no set-up.

Every setting that differs between installs comes from the environment with a
working default; secrets may come from a file named by ``<NAME>_FILE``.
``production.py`` only hardens these.
"""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from zhengtong.settings.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_matching,
    env_str,
    persistent_secret,
)

PACKAGE_DIR = Path(__file__).resolve().parent.parent

# Where the platform keeps its own files: the SQLite database, generated keys,
# uploads. Relative paths are taken from the directory the platform starts in.
# An empty value means the default too, so that a variable set to nothing
# never scatters the database and keys into the current directory.
DATA_DIR = Path(env_str("ZHENGTONG_DATA_DIR", "") or "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

# The public real-data directory (hotline messages, sentiment corpora) used to
# train and evaluate models. The platform starts without it and says so.
_default_shared = Path("../shared/data")
SHARED_DATA_DIR: Path | None = (
    Path(env_str("ZHENGTONG_SHARED_DATA", "")).resolve()
    if env_str("ZHENGTONG_SHARED_DATA", "")
    else (_default_shared.resolve() if _default_shared.is_dir() else None)
)

SECRET_KEY = env_str("ZHENGTONG_SECRET_KEY", "") or persistent_secret(DATA_DIR / "secret_key")
# Off unless asked for: Django's debug pages list every address and setting,
# which no installation, the demo included, should show its users.
DEBUG = env_bool("ZHENGTONG_DEBUG", False)
ALLOWED_HOSTS = env_list("ZHENGTONG_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("ZHENGTONG_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    # Dependency direction: core <- identity <- ledger <- domain apps <- insight.
    "zhengtong.core",
    "zhengtong.identity",
    "zhengtong.ledger",
    "zhengtong.catalog",
    "zhengtong.exchange",
    "zhengtong.licences",
    "zhengtong.eservices",
    "zhengtong.hotline",
    "zhengtong.regulation",
    "zhengtong.portal",
    "zhengtong.operations",
    "zhengtong.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's session, CSRF, authentication and messages middleware, except
    # that requests under TOKEN_API_PATHS skip them (see core/middleware.py).
    "zhengtong.core.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "zhengtong.core.middleware.CsrfViewMiddleware",
    "zhengtong.core.middleware.AuthenticationMiddleware",
    "zhengtong.core.middleware.MessageMiddleware",
    # After the locale and the user are known, so the 400 page speaks the user's language.
    "zhengtong.core.middleware.RejectNulMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "zhengtong.core.middleware.SecurityHeadersMiddleware",
    # Innermost: django-ninja's plain-text 405 becomes the API's error shape.
    "zhengtong.api.method_not_allowed_as_json",
]

ROOT_URLCONF = "zhengtong.urls"
WSGI_APPLICATION = "zhengtong.wsgi.application"
ASGI_APPLICATION = "zhengtong.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhengtong.portal.context_processors.navigation",
            ],
            # {% colon %} in every template: the label's colon in the reader's language.
            "builtins": ["zhengtong.core.templatetags.punctuation"],
        },
    },
]

# DATABASE_URL: default a SQLite file in the data directory; postgres://... in production.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'zhengtong.sqlite3'}"),
        conn_max_age=env_int("ZHENGTONG_DB_CONN_MAX_AGE", 0, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend, with writers queueing on a file lock instead of
    # sleeping in SQLite's busy handler (core/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "zhengtong.core.sqlite"
    # WAL lets the web server and the task worker read while the other writes;
    # IMMEDIATE transactions avoid the "database is locked" upgrade deadlock.
    # synchronous=FULL: a committed action (and its ledger entry) survives a
    # power cut, not only a process crash; accepted data is never lost.
    # cache_size: SQLite's default page cache is 2 MiB a connection; a
    # long-lived writer such as the HJ 212 receiver re-read index pages it had
    # just evicted (64 MiB: a reading row's insert 6.2 -> 4.6 µs of CPU). The
    # cache grows only as pages are read, so short-lived connections stay small.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;"
            " PRAGMA foreign_keys=ON;"
            f" PRAGMA cache_size=-{env_int('ZHENGTONG_SQLITE_CACHE_MIB', 64, minimum=1) * 1024};"
        ),
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with bulk statements kept under the server's limit on
    # parameters (core/postgresql/base.py). Parameters are bound by the
    # server, and a statement a connection runs again and again is parsed and
    # planned once: psycopg prepares it on its ZHENGTONG_DB_PREPARE_THRESHOLD-th
    # run (0 prepares none, for a pooler in transaction mode that cannot keep
    # them). With the text bound on the client, parsing and planning took half
    # of the server's CPU in the online services' actions (docs/benchmarks.md).
    DATABASES["default"]["ENGINE"] = "zhengtong.core.postgresql"
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("server_side_binding", True)
    threshold = env_int("ZHENGTONG_DB_PREPARE_THRESHOLD", 5, minimum=0)
    options.setdefault("prepare_threshold", threshold if threshold > 0 else None)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "identity.User"
# Passwords are checked by Django's own backend; Django's permission checks
# (the admin site's) are answered from the platform's roles.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "zhengtong.identity.backends.RolePermissionBackend",
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"

# Argon2 first: new and re-saved passwords are hashed with it.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed log-ins allowed per account and per client address within the window.
LOGIN_THROTTLE_ATTEMPTS = env_int("ZHENGTONG_LOGIN_THROTTLE_ATTEMPTS", 5, minimum=1)
LOGIN_THROTTLE_WINDOW_S = env_int("ZHENGTONG_LOGIN_THROTTLE_WINDOW_S", 900, minimum=1)
# Where a trusted reverse proxy puts the client's address (a request.META key,
# e.g. HTTP_X_REAL_IP or HTTP_X_FORWARDED_FOR). Empty: use REMOTE_ADDR. Behind
# nginx it must be set, or every client shares the proxy's throttle bucket.
CLIENT_IP_HEADER = env_str("ZHENGTONG_CLIENT_IP_HEADER", "")

# Session and header security. HTTPS-only cookies are switched on in production.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("ZHENGTONG_SESSION_AGE_S", 8 * 3600, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Without collectstatic (the demo, the tests) WhiteNoise serves from the apps;
# production collects the files once and serves the manifest's names.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "zhengtong.core.storage.DurableFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Background work through Django's task interface; the database backend needs
# nothing but the database. Celery or RQ backends can replace it (docs/operations).
TASKS = {
    "default": {
        "BACKEND": env_str("ZHENGTONG_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Seconds after which leased background work (a 12345 bulk import, a training
# run) whose worker has not reported progress is taken to have been
# interrupted (a killed worker) and is queued again; a running one reports
# every few seconds. See core/leases.py and docs/operations/tasks.md.
WORK_LEASE_S = env_int("ZHENGTONG_WORK_LEASE_S", 600, minimum=1)

# Seconds between the heartbeats a database worker writes for the task it
# runs; a RUNNING task without one for WORK_LEASE_S is marked failed (its
# worker was killed). See operations/task_watch.py.
TASK_HEARTBEAT_S = env_int("ZHENGTONG_TASK_HEARTBEAT_S", 60, minimum=1)

# The ledger's Ed25519 signing key (PEM, PKCS#8). Default: generated once into
# the data directory. Production points ZHENGTONG_LEDGER_SIGNING_KEY_FILE at a
# key kept outside the application's data.
LEDGER_SIGNING_KEY_FILE = Path(
    env_str("ZHENGTONG_LEDGER_SIGNING_KEY_FILE", str(DATA_DIR / "ledger_signing_key.pem"))
)
# Hash used for ledger leaves and nodes: "sha256" (default) or "sm3".
LEDGER_HASH = env_str("ZHENGTONG_LEDGER_HASH", "sha256")
# How often the scheduler asks for a signed tree head, in seconds.
LEDGER_SEAL_INTERVAL_S = env_int("ZHENGTONG_LEDGER_SEAL_INTERVAL_S", 60, minimum=1)

# The Ed25519 key that signs electronic licences (PEM, PKCS#8), kept apart from
# the ledger's key so that either can be rotated alone. Default: generated once
# into the data directory. Public keys of every key that ever signed a licence
# are kept in the database, so licences signed before a rotation still verify.
LICENCE_SIGNING_KEY_FILE = Path(
    env_str("ZHENGTONG_LICENCE_SIGNING_KEY_FILE", str(DATA_DIR / "licence_signing_key.pem"))
)
# The key (32 random bytes) that seals the seeds of announced random-inspection
# draws, so that the database alone (a copy, a backup, its administrator) does
# not tell what a draw will pick before it is made. Default: generated once into
# the data directory; production keeps it outside the data, with the other keys.
INSPECTION_SEED_KEY_FILE = Path(
    env_str("ZHENGTONG_INSPECTION_SEED_KEY_FILE", str(DATA_DIR / "inspection_seed_key"))
)
# The public address of the platform (https://zwfw.example.gov.cn), used where
# an absolute link leaves the platform, such as the verification URL printed in
# a licence's QR code. Empty: taken from the request's own host.
SITE_URL = env_str("ZHENGTONG_SITE_URL", "").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("ZHENGTONG_LOG_LEVEL", "INFO")},
}

# Online services (eservices). The key id of the platform's own SystemClient (of
# the data bureau) that reads the exchange for prefill and credit checks; empty:
# the client named "一网通办申请预填与信用核查", if one was issued.
ESERVICES_EXCHANGE_CLIENT = env_str("ZHENGTONG_ESERVICES_EXCHANGE_CLIENT", "")
# The catalog resource of the serious-dishonesty list (严重失信主体名单).
ESERVICES_CREDIT_RESOURCE = env_str("ZHENGTONG_ESERVICES_CREDIT_RESOURCE", "104000000/000002")
# Working days a department has to answer a bad rating (差评整改).
ESERVICES_RECTIFICATION_WORKING_DAYS = env_int(
    "ZHENGTONG_ESERVICES_RECTIFICATION_WORKING_DAYS", 5, minimum=1
)
# Notification channels, dotted paths of eservices.notifications.Notifier classes.
ESERVICES_NOTIFIERS = env_list(
    "ZHENGTONG_ESERVICES_NOTIFIERS", ["zhengtong.eservices.notifications.InAppNotifier"]
)
# Tries of an SMS or e-mail before it is given up (the waits between them
# double from a minute up to six hours: tries over about eight and a half
# hours at 10).
ESERVICES_NOTIFY_ATTEMPTS = env_int("ZHENGTONG_ESERVICES_NOTIFY_ATTEMPTS", 10, minimum=1)

# 12345 hotline. A message is routed without a dispatcher only when the active
# classifier's calibrated confidence reaches this; below it, it waits in the
# dispatcher queue with the suggestion (see docs/hotline-routing.md).
HOTLINE_CONFIDENCE = env_float("ZHENGTONG_HOTLINE_CONFIDENCE", 0.8, minimum=0, maximum=1)
# Days within which a person's new message on the same matter is merged into
# their open case, and a different person's similar message is linked (并单).
HOTLINE_REPEAT_DAYS = env_int("ZHENGTONG_HOTLINE_REPEAT_DAYS", 30, minimum=0)
# The centre's own area code, given to a local landline written without one (88881234).
HOTLINE_AREA_CODE = env_matching(
    "ZHENGTONG_HOTLINE_AREA_CODE", "0731", r"0[1-9][0-9]{1,2}", "an area code such as 0731"
)
# The Flag version bits (V5..V0) that devices of the 2025 edition of HJ 212 send
# and are answered with; 2017-edition devices use 1. See docs/regulation-hj212.md.
HJ212_FLAG_VERSION_2025 = env_int("ZHENGTONG_HJ212_FLAG_VERSION_2025", 2, minimum=0, maximum=63)
# Photos and documents sent with a message: at most this many, each this large.
HOTLINE_MAX_ATTACHMENTS = env_int("ZHENGTONG_HOTLINE_MAX_ATTACHMENTS", 6, minimum=0)
HOTLINE_MAX_ATTACHMENT_BYTES = env_int(
    "ZHENGTONG_HOTLINE_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024, minimum=1
)
# Working days a department has to reply again after a 不满意 rating reopens a case.
HOTLINE_REOPEN_WORKING_DAYS = env_int("ZHENGTONG_HOTLINE_REOPEN_WORKING_DAYS", 5, minimum=1)
# Working days a replied case waits for its callback (回访); unrated by then, it
# closes, and counts neither as satisfied nor as dissatisfied.
HOTLINE_CALLBACK_WORKING_DAYS = env_int("ZHENGTONG_HOTLINE_CALLBACK_WORKING_DAYS", 5, minimum=1)

# The key for the keyed hashes (HMAC-SHA256) that stand for looked-up 身份证号
# and other keys in the exchange's access log, so that the log never holds a
# key in clear and a hash cannot be reversed by trying every ID number. It must
# stay the same for the life of the log: citizens find their records by it.
EXCHANGE_PSEUDONYM_KEY = env_str("ZHENGTONG_EXCHANGE_PSEUDONYM_KEY", "") or persistent_secret(
    DATA_DIR / "exchange_pseudonym_key"
)
# Working days a provider has to answer an access application.
EXCHANGE_ANSWER_WORKING_DAYS = env_int("ZHENGTONG_EXCHANGE_ANSWER_WORKING_DAYS", 10, minimum=1)
# Calls a minute a provider department's own system may make on one of that
# department's resources, which it reads without a grant (docs/exchange-access.md).
EXCHANGE_OWN_RATE_PER_MINUTE = env_int("ZHENGTONG_EXCHANGE_OWN_RATE_PER_MINUTE", 600, minimum=1)
# Calls a minute any other system may make on one resource's 无条件共享 items
# when it holds no grant in force for them (docs/exchange-access.md); a grant
# brings its own rate.
EXCHANGE_OPEN_RATE_PER_MINUTE = env_int("ZHENGTONG_EXCHANGE_OPEN_RATE_PER_MINUTE", 600, minimum=1)
# Group commit of governed calls' audit records: concurrent calls in one web
# process share one transaction (and one disk flush); each call still answers
# only after its own ledger entry and access-log row have committed. Off: one
# transaction per call.
EXCHANGE_GROUP_COMMIT = env_bool("ZHENGTONG_EXCHANGE_GROUP_COMMIT", True)
# How long (milliseconds) a batch waits for calls already under way in the same
# process before it commits; it never waits when no other call is under way.
EXCHANGE_GROUP_COMMIT_WAIT_MS = env_int(
    "ZHENGTONG_EXCHANGE_GROUP_COMMIT_WAIT_MS", 2, minimum=0, maximum=1000
)
# PostgreSQL: the web processes' group commits take turns on an advisory lock
# before each takes its batch, so calls that arrive meanwhile join it
# (docs/benchmarks.md, Exchange). Off: each batch waits on the row locks.
EXCHANGE_PG_WRITE_TURN = env_bool("ZHENGTONG_EXCHANGE_PG_WRITE_TURN", True)
# For bench/exchange.py only: mount an ungoverned look-up (no authentication,
# grant or ledger) so that a governed look-up can be compared with a bare read
# of the same row through the same stack. Never switch it on in production.
EXCHANGE_BENCH_BARE_LOOKUP = env_bool("ZHENGTONG_BENCH_BARE_LOOKUP", False)
# Paths that only department systems call, with bearer tokens: the session,
# CSRF, authentication and messages middleware let them through untouched.
# The bench's bare look-up is listed so that it runs on the same stack as the
# governed one it is compared with.
TOKEN_API_PATHS = ("/api/exchange/shared/", "/api/exchange/bench/")
