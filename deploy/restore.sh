#!/usr/bin/env bash
# `make restore BACKUP=var/backups/portal-….dump`: put a `make backup` dump back into DATABASE_URL
# (every table of the dump dropped and recreated, in one transaction: a failed restore leaves
# the database as it was) and its media tarball, if there is one, into MEDIA_ROOT. Stop the web
# and worker processes first; run `manage.py migrate` afterwards when restoring into a newer
# release. docs/operations.md "Backups and restore".
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database to restore into}"
: "${BACKUP:?set BACKUP to the .dump file written by make backup}"
if [ ! -f "$BACKUP" ]; then
    echo "restore: no such backup: $BACKUP" >&2
    exit 2
fi
media_root=${MEDIA_ROOT:-var/media}

pg_restore --list "$BACKUP" >/dev/null   # refuse anything that is not a pg_dump archive
pg_restore --clean --if-exists --no-owner --no-acl --single-transaction --exit-on-error \
    --dbname="$DATABASE_URL" "$BACKUP"
media="${BACKUP%.dump}-media.tar.gz"
if [ -f "$media" ]; then
    mkdir -p "$media_root"
    tar -xzf "$media" -C "$media_root"
fi
echo "restored $BACKUP"
