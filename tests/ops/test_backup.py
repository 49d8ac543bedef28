"""The backup procedure of README.md (Backups), run as written with this machine's own
PostgreSQL tools: pg_dump → pg_restore into a new database → verify_audit → the same rows.

PostgreSQL only: SQLite is for the demo and development, never production."""

import shutil
import subprocess

import psycopg
import pytest

from tests.ops import live

pytestmark = pytest.mark.skipif(
    not shutil.which("pg_dump") or not shutil.which("pg_restore"),
    reason="needs PostgreSQL's client tools pg_dump and pg_restore",
)


def run(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(args[:2])}: {done.stderr[-2000:]}"
    return done


def row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {
            table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 - names from the catalogue
            for table in tables
        }


def test_a_backup_restores_into_a_new_database_with_its_audit_trail_intact(pg_site, tmp_path):
    dump = tmp_path / "itb.dump"
    run("pg_dump", "--format=custom", f"--file={dump}", f"--dbname={pg_site.database_url}")

    with live.postgres_database(pg_site.database_url, "itb_restore") as (restored, _):
        run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump))

        checked = live.manage(pg_site.env | {"DATABASE_URL": restored}, "verify_audit")
        original, copy = row_counts(pg_site.database_url), row_counts(restored)
        with psycopg.connect(restored) as conn:
            triggers = {row[0] for row in conn.execute("SELECT tgname FROM pg_trigger")}

    assert checked.startswith("Audit trail intact:"), checked
    assert copy == original
    assert original["trials_auditevent"] > 0 and original["trials_trial"] > 0
    assert "trials_auditevent_no_update_delete" in triggers  # still append-only
