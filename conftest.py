"""Suite-wide test set-up shared by every app's tests."""

pytest_plugins = ["zhengtong.testing.browser"]
