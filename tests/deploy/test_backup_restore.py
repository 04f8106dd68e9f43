"""docs/backup.md, run for real: pg_dump the database, copy the media, restore both into a fresh
database and folder, and check the restored audit trail and evidence files there."""

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from rumorcases.cases import services as case_services
from rumorcases.cases.models import EvidenceItem
from rumorcases.core.models import AuditEvent

BASE_DIR = Path(__file__).resolve().parent.parent.parent

pytestmark = [
    pytest.mark.django_db(transaction=True),  # pg_dump reads over its own connection: data must be committed
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: pg_dump and pg_restore"),
]


def _major(version_text: str) -> int:
    """15 from "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"."""
    return int(re.search(r"\)\s*(\d+)", version_text).group(1))


@pytest.fixture
def pg():
    """The connection's parameters as the PostgreSQL tools take them, once the tools are found fit."""
    for tool in ("pg_dump", "pg_restore", "createdb", "dropdb"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs the PostgreSQL client program {tool}")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        server_major = int(cursor.fetchone()[0]) // 10000
    dump_version = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S607
    if _major(dump_version) < server_major:
        pytest.skip(f"pg_dump ({dump_version.strip()}) is older than the server ({server_major}): it cannot dump it")
    params = connection.settings_dict
    env = {**os.environ}
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = params["PASSWORD"]
    args = ["-h", params.get("HOST") or "127.0.0.1", "-p", str(params.get("PORT") or 5432),
            "-U", params.get("USER") or "postgres"]
    return params, args, env


@pytest.fixture
def restored_db(pg):
    params, args, env = pg
    name = f"rumorcases_restore_{secrets.token_hex(4)}"
    yield name
    subprocess.run(["dropdb", *args, "--if-exists", "--force", name], env=env, check=False,  # noqa: S603, S607
                   capture_output=True)


def manage(command: str, *, database_url: str, media_root: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_NAME", "DATABASE_URL_FILE")}
    env.update(DATABASE_URL=database_url, MEDIA_ROOT=str(media_root), DJANGO_SETTINGS_MODULE="rumorcases.settings")
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", command], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )


def test_a_dump_and_the_media_restore_into_a_fresh_database_that_verifies(build, cast, pg, restored_db,
                                                                          media_root, tmp_path):
    params, args, env = pg
    build.debunking()  # a finding with evidence, transitions, audit events
    case_services.evidence_add(case=build.verifying(),
                               upload=SimpleUploadedFile("capture.txt", "网传截图文字".encode() * 5000),
                               by=cast.verifier)
    evidence, events = EvidenceItem.objects.count(), AuditEvent.objects.count()
    assert evidence == 2

    # Back up (docs/backup.md, "Back up"): the database in PostgreSQL's custom format, then the media.
    dump = tmp_path / "rumorcases.dump"
    subprocess.run(["pg_dump", *args, "-Fc", "--no-owner", "-d", params["NAME"], "-f", str(dump)],  # noqa: S603, S607
                   env=env, check=True, capture_output=True)
    media_copy = tmp_path / "restored-media"
    shutil.copytree(media_root, media_copy)

    # Restore (docs/backup.md, "Restore"): into a new, empty database.
    subprocess.run(["createdb", *args, restored_db], env=env, check=True, capture_output=True)  # noqa: S603, S607
    subprocess.run(["pg_restore", *args, "--no-owner", "--exit-on-error", "-d", restored_db, str(dump)],  # noqa: S603, S607
                   env=env, check=True, capture_output=True)

    user = quote(params.get("USER") or "postgres")
    password = f":{quote(params['PASSWORD'])}" if params.get("PASSWORD") else ""
    url = (f"postgres://{user}{password}@{params.get('HOST') or '127.0.0.1'}:{params.get('PORT') or 5432}/"
           f"{restored_db}")

    audit = manage("audit_verify", database_url=url, media_root=media_copy)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert f"intact: {events} events" in audit.stdout

    hashes = manage("evidence_verify", database_url=url, media_root=media_copy)
    assert hashes.returncode == 0, hashes.stdout + hashes.stderr
    assert f"{evidence} evidence files checked: {evidence} intact" in hashes.stdout

    # A restore whose files do not match the database is caught.
    damaged = EvidenceItem.objects.order_by("id").first()
    (media_copy / damaged.file.name).write_bytes(b"not the evidence")
    hashes = manage("evidence_verify", database_url=url, media_root=media_copy)
    assert hashes.returncode == 1
    assert f"MISMATCH evidence #{damaged.pk} of {damaged.case.reference}" in hashes.stderr
