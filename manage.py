#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # A checkout with neither a secret key nor a database URL is a developer's machine on the
    # embedded SQLite file: development settings apply. Production sets both (and DJANGO_DEBUG=0),
    # and wsgi.py never takes this default.
    if not os.environ.get("DJANGO_SECRET_KEY") and not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("DJANGO_DEBUG", "1")
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Are you sure it's installed and "
            "available on your PYTHONPATH environment variable? Did you "
            "forget to activate a virtual environment?"
        ) from exc
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
