#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys
from pathlib import Path

LOCAL_ENV = Path(__file__).resolve().parent / ".env"


def load_local_env(path=LOCAL_ENV):
    """On a developer's machine, `make` writes .env (never committed) with a random
    SECRET_KEY so that management commands run without extra typing. Variables already
    in the environment win; production sets its own environment and has no .env."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            os.environ.setdefault(name.strip(), value.strip())


def main():
    load_local_env()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
