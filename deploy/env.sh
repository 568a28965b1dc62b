# Sourced by the scripts in deploy/: loads the site's environment file the way systemd's
# EnvironmentFile= reads it (KEY=value per line, # comments, one pair of surrounding double
# quotes dropped, nothing expanded). SAMENLEVEN_ENV names it (default
# /etc/samenleven/samenleven.env; a missing default file is skipped, an empty SAMENLEVEN_ENV
# means none: the environment as it is).
env_file=${SAMENLEVEN_ENV-/etc/samenleven/samenleven.env}
if [ -n "$env_file" ]; then
    if [ -r "$env_file" ]; then
        while IFS= read -r line || [ -n "$line" ]; do
            case $line in '' | '#'*) continue ;; esac
            key=${line%%=*}
            value=${line#*=}
            case $key in '' | *[!A-Za-z0-9_]*) continue ;; esac
            case $value in \"*\") value=${value#\"} value=${value%\"} ;; esac
            export "$key=$value"
        done <"$env_file"
    elif [ -n "${SAMENLEVEN_ENV-}" ]; then
        echo "cannot read the environment file $env_file" >&2
        exit 2
    fi
fi
deploy_dir=$(cd "$(dirname "$0")" && pwd)
app_dir=$(dirname "$deploy_dir")
