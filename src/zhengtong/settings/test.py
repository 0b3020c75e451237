"""Test settings: the base settings with fast hashing and synchronous tasks."""

from zhengtong.settings.base import *  # noqa: F403

# Argon2 at full cost would dominate the suite; production hashing is tested
# explicitly in identity's tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S105
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
