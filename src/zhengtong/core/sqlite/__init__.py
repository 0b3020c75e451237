"""The SQLite database backend: Django's, with writers queueing on a file lock (base.py)."""
