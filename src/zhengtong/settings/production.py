"""Production settings: the base settings, hardened. Secrets must be given."""

from django.core.exceptions import ImproperlyConfigured

from zhengtong.settings.base import *  # noqa: F403
from zhengtong.settings.env import env_bool, env_int, env_str

DEBUG = False
WHITENOISE_USE_FINDERS = False
if not env_str("ZHENGTONG_SECRET_KEY", ""):
    raise ImproperlyConfigured("Set ZHENGTONG_SECRET_KEY or ZHENGTONG_SECRET_KEY_FILE.")

SESSION_COOKIE_SECURE = env_bool("ZHENGTONG_HTTPS", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = False  # nginx terminates TLS and redirects.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("ZHENGTONG_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
STORAGES = {
    "default": {"BACKEND": "zhengtong.core.storage.DurableFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# `zhengtong check --deploy` should report nothing, so that a new warning
# stands out. These three are decisions, not oversights:
SILENCED_SYSTEM_CHECKS = [
    # CSRF is checked by core.middleware.CsrfViewMiddleware, a subclass of
    # Django's that lets only the bearer-token API through.
    "security.W003",
    # nginx terminates TLS and redirects plain HTTP (deploy.md).
    "security.W008",
    # The browser preload list takes public internet domains only; a
    # government intranet's host names cannot be on it.
    "security.W021",
]
