"""The deployment kit (deploy/) renders into configuration that nginx and systemd accept:
``nginx -t`` on the site with a real (self-signed) certificate, ``systemd-analyze verify``
on every unit and timer, a daphne instance of the template unit included."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.needs import missing, need_nginx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy"))
import render  # noqa: E402

sys.path.remove(str(ROOT / "deploy"))


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def kit(tmp_path):
    """The kit rendered for samenleven.example.nl with three processes, for an app folder
    whose venv holds this test run's daphne and python (systemd checks that they exist)."""
    app = tmp_path / "app"
    (app / ".venv" / "bin").mkdir(parents=True)
    (app / "var").mkdir()
    (app / "deploy").symlink_to(ROOT / "deploy")
    for program in ("daphne", "python"):
        (app / ".venv" / "bin" / program).symlink_to(Path(sys.executable).parent / program)
    tls = tmp_path / "tls"
    tls.mkdir()
    cert, key = self_signed(tls, "samenleven.example.nl")
    (tmp_path / "logs").mkdir()
    out = tmp_path / "out"
    assert (
        render.main(
            [
                "--out",
                str(out),
                "--server-name",
                "samenleven.example.nl",
                "--app-dir",
                str(app),
                "--ports",
                "8001,8002,8003",
                "--static-root",
                str(app / "static"),
                "--tls-certificate",
                str(cert),
                "--tls-certificate-key",
                str(key),
                "--nginx-log-dir",
                str(tmp_path / "logs"),
                "--env-file",
                str(out / "samenleven.env"),
            ]
        )  # fmt: skip
        == 0
    )
    return out


def test_every_placeholder_is_filled_and_every_process_is_upstream(kit):
    for path in kit.rglob("*"):
        if path.is_file():
            assert "@@" not in path.read_text().replace("noreply@samenleven", ""), path
    site = (kit / "nginx" / "samenleven.conf").read_text()
    for port in (8001, 8002, 8003):
        assert f"server 127.0.0.1:{port} " in site
    env = (kit / "samenleven.env").read_text()
    assert "SECRET_KEY=" in env and len(env.split("SECRET_KEY=")[1].split()[0]) >= 64
    assert oct((kit / "samenleven.env").stat().st_mode & 0o777) == "0o640"


def test_the_nginx_site_passes_nginx_t(kit, tmp_path):
    nginx = need_nginx()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {tmp_path}/client_body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {kit}/nginx/samenleven-log-format.conf;
    include {kit}/nginx/samenleven.conf;
}}
"""
    )
    result = subprocess.run(
        [nginx, "-t", "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "nginx-error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr
    assert "[warn]" not in result.stderr, result.stderr


def test_the_nginx_site_proxies_the_websocket_and_sets_the_forwarding_headers(kit):
    site = (kit / "nginx" / "samenleven.conf").read_text()
    websocket = site[site.index("location /ws/") : site.rindex("location / {")]
    assert "proxy_set_header Upgrade $http_upgrade;" in websocket
    assert "proxy_set_header Connection $samenleven_connection_upgrade;" in websocket
    for block in (websocket, site[site.rindex("location / {") :]):
        # The address nginx saw replaces the client's claim (TRUSTED_PROXIES=1).
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in block
        assert "proxy_set_header X-Request-ID $request_id;" in block
    assert "client_max_body_size" in site and "Strict-Transport-Security" in site


def test_only_the_forms_that_are_safe_to_send_twice_are_sent_again_to_the_other_process(kit):
    """``non_idempotent``: nginx sends a POST again when the process died after it had it.
    Only where the site makes the second send harmless (a reply or new thread with its form
    key, the "nuttig" button that names its state: tests/threads/test_sent_twice.py)."""
    import re

    from django.urls import reverse

    site = (kit / "nginx" / "samenleven.conf").read_text()
    assert site.count("non_idempotent") == 1
    pattern = re.search(
        r"location ~ (\^\S+\$) \{\s*proxy_pass http://samenleven;\s*proxy_next_upstream [^;]*non_idempotent;", site
    )
    assert pattern, "the retried forms have a location of their own"
    retried = re.compile(pattern.group(1))
    for url in (
        reverse("reply", args=[12]),
        reverse("new_thread", args=["het-plein"]),
        reverse("toggle_useful", args=[345]),
    ):
        assert retried.match(url), url
    never = [
        reverse("flag_post", args=[345]), reverse("edit_post", args=[345]), reverse("delete_post", args=[345]),
        reverse("accept_answer", args=[345]), reverse("hide_post", args=[345]), reverse("draft"),
        reverse("preview_post"), reverse("login"), reverse("thread", args=[12]),
    ]  # fmt: skip
    for url in never:
        assert not retried.match(url), url


def systemd_analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        missing("systemd", "needs systemd-analyze (apt-get install systemd)")
    return path


def test_the_systemd_units_and_timers_pass_systemd_analyze_verify(kit):
    analyze = systemd_analyze()
    units = kit / "systemd"
    (units / "samenleven-daphne@8001.service").symlink_to(units / "samenleven-daphne@.service")
    names = sorted(path.name for path in units.iterdir() if path.name != "samenleven-daphne@.service")
    assert {"samenleven-mail.service", "samenleven-digest-daily.timer", "samenleven-digest-weekly.timer",
            "samenleven-signup-reminders.timer", "samenleven-meeting-reminders.timer", "samenleven-backup.timer"} <= set(names)  # fmt: skip
    result = subprocess.run(
        [analyze, "verify", "--man=no", *names],
        cwd=units,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"},
    )
    # verify exits 0 on settings it ignores (an unknown key, a value it cannot parse): any
    # word from it is a finding.
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), (
        result.stdout + result.stderr
    )


def test_each_timer_starts_the_command_it_is_named_for(kit):
    units = kit / "systemd"
    commands = {
        "digest-daily": "send_digests --frequency daily",
        "digest-weekly": "send_digests --frequency weekly",
        "meeting-reminders": "send_meeting_reminders",
        "signup-reminders": "remind_pending_signups",
    }
    for name, command in commands.items():
        assert f"manage.py {command}\n" in (units / f"samenleven-{name}.service").read_text()
        assert "OnCalendar=" in (units / f"samenleven-{name}.timer").read_text()
    assert "manage.py deliver_mail\n" in (units / "samenleven-mail.service").read_text()
    assert "/deploy/backup.sh " in (units / "samenleven-backup.service").read_text()
