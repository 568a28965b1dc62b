#!/usr/bin/env python3
"""Render the deployment kit (nginx site, systemd units, environment file) for one site.

    python3 deploy/render.py --out /tmp/samenleven-deploy --server-name samenleven.example.nl \
        [--app-dir /srv/samenleven] [--user samenleven] [--ports 8001,8002] \
        [--env-file /etc/samenleven/samenleven.env] [--static-root /srv/samenleven/static] \
        [--tls-certificate PATH] [--tls-certificate-key PATH] [--nginx-log-dir /var/log/nginx]

Writes OUT/nginx/ (the site and its log format), OUT/systemd/ (the units and timers) and
OUT/samenleven.env (with a new SECRET_KEY) and prints where each goes. Standard library
only: it runs before the site's own venv exists. deploy/README.md is the runbook.
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLACEHOLDER = re.compile(r"@@([A-Z_]+)@@")


def render(text: str, values: dict[str, str], name: str) -> str:
    missing = sorted({key for key in PLACEHOLDER.findall(text) if key not in values})
    if missing:
        raise SystemExit(f"{name}: no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--server-name", required=True)
    parser.add_argument("--app-dir", default="/srv/samenleven")
    parser.add_argument("--user", default="samenleven")
    parser.add_argument("--ports", default="8001,8002", help="one daphne process per port (per core)")
    parser.add_argument("--env-file", default="/etc/samenleven/samenleven.env")
    parser.add_argument("--static-root", default=None, help="default: APP_DIR/static")
    parser.add_argument("--tls-certificate", default=None, help="default: Let's Encrypt's path for the name")
    parser.add_argument("--tls-certificate-key", default=None)
    parser.add_argument("--nginx-log-dir", default="/var/log/nginx")
    return parser.parse_args(argv)


def values_of(args: argparse.Namespace) -> dict[str, str]:
    ports = [int(port) for port in args.ports.split(",") if port.strip()]
    if not ports:
        raise SystemExit("--ports: at least one")
    app_dir = args.app_dir.rstrip("/")
    return {
        "SERVER_NAME": args.server_name,
        "APP_DIR": app_dir,
        "USER": args.user,
        "ENV_FILE": args.env_file,
        "STATIC_ROOT": (args.static_root or f"{app_dir}/static").rstrip("/"),
        "TLS_CERTIFICATE": args.tls_certificate or f"/etc/letsencrypt/live/{args.server_name}/fullchain.pem",
        "TLS_CERTIFICATE_KEY": args.tls_certificate_key or f"/etc/letsencrypt/live/{args.server_name}/privkey.pem",
        "NGINX_LOG_DIR": args.nginx_log_dir.rstrip("/"),
        "UPSTREAM_SERVERS": "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in ports),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "PORTS": " ".join(str(port) for port in ports),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    values = values_of(args)
    out: Path = args.out
    written: list[tuple[Path, str]] = []
    for source, target, destination in [
        (
            HERE / "nginx" / "samenleven.conf",
            out / "nginx" / "samenleven.conf",
            "/etc/nginx/sites-available/samenleven",
        ),
        (
            HERE / "nginx" / "log-format.conf",
            out / "nginx" / "samenleven-log-format.conf",
            "/etc/nginx/conf.d/samenleven-log-format.conf",
        ),
        *(
            (unit, out / "systemd" / unit.name, f"/etc/systemd/system/{unit.name}")
            for unit in sorted((HERE / "systemd").iterdir())
        ),
        (HERE / "samenleven.env", out / "samenleven.env", args.env_file),
    ]:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(source.read_text(), values, source.name))
        written.append((target, destination))
    (out / "samenleven.env").chmod(0o640)
    for target, destination in written:
        print(f"{target}  ->  {destination}")
    print(
        f"daphne processes: systemctl enable --now {' '.join(f'samenleven-daphne@{p}' for p in values['PORTS'].split())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
