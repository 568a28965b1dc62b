#!/bin/sh
# deploy/restore.sh DUMP [--force]: restore a dump of backup.sh into DATABASE_URL, in one
# transaction (all or nothing), then check it with manage.py check_consistency (exit 1 if a
# counter or a post's thread disagrees with the rows).
# A database that already holds tables is refused unless --force: then its objects are
# dropped and replaced by the dump's. Stop the site first (systemctl stop samenleven.target).
set -eu
dump=${1:?usage: restore.sh DUMP [--force]}
force=${2:-}
. "$(dirname "$0")/env.sh"
: "${DATABASE_URL:?DATABASE_URL is not set}"
pg_restore --list "$dump" >/dev/null
tables=$(psql "$DATABASE_URL" --no-psqlrc -At -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
clean=""
if [ "$tables" != 0 ]; then
    if [ "$force" != "--force" ]; then
        echo "The database holds $tables tables: restore.sh replaces them only with --force." >&2
        exit 2
    fi
    clean="--clean --if-exists"
fi
# shellcheck disable=SC2086
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction $clean --dbname="$DATABASE_URL" "$dump"
psql "$DATABASE_URL" --no-psqlrc -q -c "ANALYZE"
echo "Restored $dump; checking it:"
"$deploy_dir/manage.sh" check_consistency
