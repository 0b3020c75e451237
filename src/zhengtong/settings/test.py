"""Test settings: the base settings with fast hashing and synchronous tasks."""

from zhengtong.settings.base import *  # noqa: F403

# Argon2 at full cost would dominate the suite; production hashing is tested
# explicitly in identity's tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Serialized rollback (browser tests) reloads the rows migrations made, such as
# the built-in roles, after each flush. Content types and auth permissions are
# left out of that snapshot: a flush after a transactional test recreates them
# under new ids and reloading the old rows would collide. Django recreates
# missing content types on demand.
TEST_NON_SERIALIZED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
