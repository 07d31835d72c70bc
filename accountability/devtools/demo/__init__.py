"""The demo organisation that `manage.py seed_demo` loads (see that command for what it contains)."""
