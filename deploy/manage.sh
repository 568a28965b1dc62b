#!/bin/sh
# deploy/manage.sh ARGS: manage.py of this checkout with the site's environment file loaded
# (deploy/env.sh), as the units run it.
set -eu
. "$(dirname "$0")/env.sh"
cd "$app_dir"
exec "$app_dir/.venv/bin/python" manage.py "$@"
