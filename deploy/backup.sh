#!/bin/sh
# deploy/backup.sh [DIRECTORY]: a pg_dump of DATABASE_URL (custom format: compressed, restored
# table by table) into DIRECTORY (default $BACKUP_DIR, else /var/backups/samenleven), named
# samenleven-<UTC time>.dump. Written under a temporary name, read back (pg_restore --list),
# then renamed: a file with the final name is a whole dump. Dumps older than
# $BACKUP_KEEP_DAYS (default 14) days are deleted. Prints the file's path.
# pg_dump reads one consistent snapshot: the site keeps running meanwhile.
set -eu
. "$(dirname "$0")/env.sh"
: "${DATABASE_URL:?DATABASE_URL is not set}"
case $DATABASE_URL in
    postgres://* | postgresql://*) ;;
    *) echo "backup.sh dumps PostgreSQL; DATABASE_URL is no postgres:// address" >&2 && exit 2 ;;
esac
directory=${1:-${BACKUP_DIR:-/var/backups/samenleven}}
mkdir -p "$directory"
target="$directory/samenleven-$(date -u +%Y%m%dT%H%M%SZ).dump"
partial="$target.partial"
trap 'rm -f "$partial"' EXIT
umask 077
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$partial" --dbname="$DATABASE_URL"
pg_restore --list "$partial" >/dev/null
mv "$partial" "$target"
trap - EXIT
find "$directory" -maxdepth 1 -name 'samenleven-*.dump' -mtime +"${BACKUP_KEEP_DAYS:-14}" -delete
echo "$target"
