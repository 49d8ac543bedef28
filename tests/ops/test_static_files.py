"""Under production settings the pages link static files by hashed names, and the app serves
them itself (whitenoise), compressed, with a year-long cache.

The files are those `collectstatic` wrote once for the run under production settings (DEBUG off:
the storage that hashes and compresses; tests/ops/conftest.py, static_root), which every app
server of the operations tests serves. A fresh interpreter with a production environment asks
the app (through Django's WSGI handler, all middleware included) for the files the base template
links.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json
import django
django.setup()
from django.template import Context, Template
from django.test import Client
names = ["css/app.css", "vendor/htmx.min.js"]
urls = Template(
    "{% load static %}" + "|".join("{% static '" + n + "' %}" for n in names)
).render(Context()).split("|")
client = Client(headers={"accept-encoding": "gzip"})
out = []
for url in urls:
    response = client.get(url)
    out.append({
        "url": url,
        "status": response.status_code,
        "encoding": response.get("Content-Encoding", ""),
        "cache": response.get("Cache-Control", ""),
    })
print(json.dumps(out))
"""


def test_static_files_are_served_under_hashed_names_with_production_settings(static_root):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env = base | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "production",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_AUDIT_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_STATIC_ROOT": str(static_root),
        # Never connected to: static files are answered before anything reads the database.
        "DATABASE_URL": "postgres://app@127.0.0.1:5432/itb",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    linked = json.loads(done.stdout.strip().splitlines()[-1])

    for served, name in zip(linked, ["app", "htmx.min"], strict=True):
        url = served["url"]
        stem = url.rsplit("/", 1)[1]
        # app.3f2a9c1b0d4e.css: the content's hash between the name and the extension
        assert stem.startswith(name + ".") and len(stem.split(".")[-2]) == 12, url
        assert served["status"] == 200, served
        assert served["encoding"] in {"gzip", "br"}, served
        assert "immutable" in served["cache"] and "max-age=315360000" in served["cache"], served
    assert (static_root / "staticfiles.json").exists()
