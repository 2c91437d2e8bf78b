"""`make backup` and `make restore` round trip (docs/operations.md "Backups and restore"): the
dump of a portal database, restored into an empty database, holds the same tables, the same
rows and the migrations record; a restore of something that is not a dump is refused and
leaves the target as it was."""

import os
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.factories.cases import CaseFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="backups are pg_dump archives"
)


def _url(database: str) -> str:
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{database}"


def _make(target: str, tmp_path: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=ROOT,
        env={
            **os.environ,
            "BACKUP_DIR": str(tmp_path),
            "MEDIA_ROOT": str(tmp_path / "media"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def empty_database():
    name = f"restore_check_{uuid.uuid4().hex[:10]}"
    admin_url = _url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _facts(url: str) -> dict:
    with psycopg.connect(url) as db:
        tables = {
            row[0]
            for row in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        }
        return {
            "tables": tables,
            "cases": db.execute(
                "SELECT number, short_description FROM cases_case ORDER BY number"
            ).fetchall(),
            "migrations": db.execute("SELECT count(*) FROM django_migrations").fetchone()[0],
        }


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_an_empty_database_gives_the_same_data(
    tmp_path, empty_database, org_user
):
    CaseFactory.create_batch(3, caller=org_user)
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "evidence.txt").write_text("DIP rejection log")
    source = _url(connection.settings_dict["NAME"])

    backup = _make("backup", tmp_path, DATABASE_URL=source)
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip().splitlines()[-1])
    assert dump.is_file() and dump.suffix == ".dump"
    assert Path(str(dump).removesuffix(".dump") + "-media.tar.gz").is_file()

    (tmp_path / "media" / "evidence.txt").unlink()
    target = _url(empty_database)
    restore = _make("restore", tmp_path, DATABASE_URL=target, BACKUP=str(dump))
    assert restore.returncode == 0, restore.stderr

    before, after = _facts(source), _facts(target)
    assert after == before
    assert len(after["cases"]) == 3 and after["migrations"] > 50
    assert (tmp_path / "media" / "evidence.txt").read_text() == "DIP rejection log"


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_file_that_is_not_a_backup_and_changes_nothing(tmp_path, org_user):
    CaseFactory.create_batch(2, caller=org_user)
    source = _url(connection.settings_dict["NAME"])
    junk = tmp_path / "portal-junk.dump"
    junk.write_text("not a pg_dump archive")

    refused = _make("restore", tmp_path, DATABASE_URL=source, BACKUP=str(junk))

    assert refused.returncode != 0
    assert len(_facts(source)["cases"]) == 2


def test_backup_needs_a_postgresql_database(tmp_path):
    refused = _make("backup", tmp_path, DATABASE_URL="sqlite:///var/db.sqlite3")
    assert refused.returncode != 0
    assert "not PostgreSQL" in refused.stderr
    assert not list(tmp_path.glob("*.dump"))
