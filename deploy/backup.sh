#!/usr/bin/env bash
# `make backup`: the portal's PostgreSQL database as a custom-format dump (pg_dump -Fc: compressed,
# restorable table by table, in parallel) and, with filesystem media, the uploaded files as a
# tarball beside it. Prints the dump's path. docs/operations.md "Backups and restore".
#
#   DATABASE_URL  the database to dump (postgres://…); required
#   BACKUP_DIR    where to write (default var/backups)
#   MEDIA_ROOT    uploaded files to archive when they are on this machine (default var/media;
#                 skipped when absent, e.g. with S3 storage, which keeps its own versions)
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database to back up}"
case "$DATABASE_URL" in
    postgres://* | postgresql://*) ;;
    *) echo "backup: DATABASE_URL is not PostgreSQL ($DATABASE_URL); nothing to dump" >&2; exit 2 ;;
esac
backup_dir=${BACKUP_DIR:-var/backups}
media_root=${MEDIA_ROOT:-var/media}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$backup_dir"
dump="$backup_dir/portal-$stamp.dump"

# --no-owner/--no-acl: the dump restores into a database owned by whoever restores it.
pg_dump --format=custom --no-owner --no-acl --file="$dump.partial" "$DATABASE_URL"
mv "$dump.partial" "$dump"   # a dump that is there is a whole one
if [ -d "$media_root" ] && [ -n "$(ls -A "$media_root")" ]; then
    tar -czf "$backup_dir/portal-$stamp-media.tar.gz" -C "$media_root" .
fi
echo "$dump"
