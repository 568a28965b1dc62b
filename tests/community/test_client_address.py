"""Whose address a limit counts: the client's as the trusted proxy saw it, never an
X-Forwarded-For entry the client wrote itself (community.throttle.client_ip)."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.urls import reverse

from community import throttle
from tests.factories import PASSWORD
from tests.notifications.test_processes import database_url

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def address_of(trusted_proxies: int, settings, **meta) -> str:
    settings.TRUSTED_PROXIES = trusted_proxies
    return throttle.client_ip(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_the_address_is_the_peer_whatever_the_header_says(settings):
    assert address_of(0, settings, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1") == "203.0.113.7"


def test_behind_one_proxy_the_address_is_the_one_that_proxy_appended(settings):
    meta = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.1, 10.0.0.1, 203.0.113.7"}
    assert address_of(1, settings, **meta) == "203.0.113.7"


def test_behind_two_proxies_the_address_is_the_second_from_the_right(settings):
    meta = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.7, 10.0.0.2"}
    assert address_of(2, settings, **meta) == "203.0.113.7"


def test_a_header_shorter_than_the_proxy_chain_gives_the_address_the_nearest_proxy_wrote(settings):
    meta = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.7"}
    assert address_of(3, settings, **meta) == "203.0.113.7"


def test_without_a_header_or_with_something_else_than_an_address_the_peer_counts(settings):
    assert address_of(1, settings, REMOTE_ADDR="10.0.0.9") == "10.0.0.9"
    assert address_of(1, settings, REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4, iets-anders") == "10.0.0.9"


def test_ports_and_brackets_are_taken_off_and_ipv6_is_written_one_way(settings):
    assert address_of(1, settings, HTTP_X_FORWARDED_FOR="203.0.113.7:51234") == "203.0.113.7"
    assert address_of(1, settings, HTTP_X_FORWARDED_FOR="[2001:DB8:0::1]:443") == "2001:db8::1"
    assert address_of(1, settings, HTTP_X_FORWARDED_FOR="2001:0db8::0001") == "2001:db8::1"


# --- Through the login form ------------------------------------------------------------


def login_error(response) -> str:
    """The code of the login form's error: ``invalid_login`` or ``throttled``; "" when logged in."""
    if response.status_code == 302:
        return ""
    return response.context["form"].non_field_errors().as_data()[0].code


def forwarded_for(trusted_proxies: int, claimed: str, seen: str) -> str:
    """The header as it reaches the site: the client's own claim, and behind a proxy
    that appends (``$proxy_add_x_forwarded_for``) the address the proxy saw."""
    return f"{claimed}, {seen}" if trusted_proxies else claimed


@pytest.mark.django_db
@pytest.mark.parametrize("trusted_proxies", [0, 1])
def test_thirty_wrong_logins_with_a_rotating_forwarded_for_header_are_throttled(client, settings, trusted_proxies):
    settings.TRUSTED_PROXIES = trusted_proxies
    codes = [
        login_error(
            client.post(
                reverse("login"),
                {"username": f"iemand{number}@gemeente.example", "password": "fout"},
                REMOTE_ADDR="127.0.0.1",
                HTTP_X_FORWARDED_FOR=forwarded_for(trusted_proxies, f"198.51.100.{number}", "203.0.113.7"),
            )
        )
        for number in range(30)
    ]
    assert codes == ["invalid_login"] * 20 + ["throttled"] * 10


@pytest.mark.django_db
def test_behind_a_proxy_clients_are_told_apart_by_the_address_the_proxy_saw(client, settings, member):
    """One client's failures do not lock out the others behind the same proxy."""
    settings.TRUSTED_PROXIES = 1
    for number in range(20):
        client.post(
            reverse("login"),
            {"username": f"iemand{number}@gemeente.example", "password": "fout"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{number}, 203.0.113.7",
        )
    response = client.post(
        reverse("login"),
        {"username": member.email, "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.8",
    )
    assert login_error(response) == ""


# --- The documented deployment: nginx and daphne as README.md has them --------------------


def documented_forwarded_for_line() -> str:
    """The line of README.md's nginx site that sets X-Forwarded-For."""
    lines = [line.strip() for line in README.read_text().splitlines() if "proxy_set_header X-Forwarded-For" in line]
    assert len(lines) == 1, lines
    return lines[0].split("#", 1)[0].strip()


def documented_daphne_options() -> list[str]:
    """The options of README.md's daphne command, without the address and port."""
    line = next(
        line
        for line in README.read_text().splitlines()
        if "bin/daphne" in line and "community.asgi:application" in line
    )
    words = shlex.split(line)
    start = next(index for index, word in enumerate(words) if word.endswith("bin/daphne")) + 1
    options, rest = [], words[start : words.index("community.asgi:application")]
    while rest:
        word = rest.pop(0)
        if word in {"-b", "--bind", "-p", "--port"}:
            rest.pop(0)
        else:
            options.append(word)
    return options


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


NGINX_SITE = """
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
            {forwarded_for}
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@pytest.fixture
def deployment(transactional_db, tmp_path):
    """Start daphne with README's options behind nginx with the given X-Forwarded-For line,
    on the test database; yield the site's URL. The limit per IP address is 3, so that
    few wrong logins cost the slow production password hashing."""
    from tests.needs import need_nginx

    nginx = need_nginx()
    started: list[subprocess.Popen] = []

    def start(*, trusted_proxies: int, forwarded_for: str) -> str:
        upstream, port = free_port(), free_port()
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "REDIS_URL": "",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "EMAIL_URL": "console://",
            "TRUSTED_PROXIES": str(trusted_proxies),
            "LOGIN_THROTTLE_PER_IP": "3",
        }
        daphne_log = tmp_path / f"daphne-{upstream}.log"
        daphne = subprocess.Popen(
            [sys.executable, "-m", "daphne", *documented_daphne_options(), "-b", "127.0.0.1", "-p", str(upstream), "community.asgi:application"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=daphne_log.open("w"),
        )  # fmt: skip
        started.append(daphne)
        wait_for(f"http://127.0.0.1:{upstream}/accounts/login/", daphne, daphne_log)
        site = tmp_path / f"nginx-{port}"
        site.mkdir()
        (site / "nginx.conf").write_text(
            NGINX_SITE.format(tmp=site, port=port, upstream=upstream, forwarded_for=forwarded_for)
        )
        proxy = subprocess.Popen(
            [nginx, "-c", str(site / "nginx.conf"), "-p", str(site), "-e", str(site / "nginx.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        started.append(proxy)
        wait_for(f"http://127.0.0.1:{port}/accounts/login/", proxy, site / "nginx.log")
        return f"http://127.0.0.1:{port}"

    try:
        yield start
    finally:
        for process in reversed(started):
            stop(process)


def wrong_logins_through(site: str, count: int) -> list[str]:
    """``count`` wrong logins, each for another address and with another X-Forwarded-For
    header; for each: "throttled" or "refused"."""
    jar = CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = browser.open(f"{site}/accounts/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    outcomes = []
    for number in range(count):
        data = urllib.parse.urlencode(
            {"username": f"iemand{number}@gemeente.example", "password": "fout", "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(
            f"{site}/accounts/login/",
            data=data,
            headers={"X-Forwarded-For": f"198.51.100.{number}", "Accept-Language": "en"},
        )
        body = browser.open(request, timeout=30).read().decode()
        outcomes.append("throttled" if "Too many failed login attempts" in body else "refused")
    return outcomes


@pytest.mark.parametrize(
    ("trusted_proxies", "forwarded_for"),
    [
        (0, None),
        (1, None),
        # The setting holds even when the proxy keeps the client's header and appends to it.
        (1, "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"),
    ],
    ids=["readme-nginx-trusting-none", "readme-nginx-trusting-one", "appending-nginx-trusting-one"],
)
def test_thirty_wrong_logins_with_a_rotating_header_are_throttled_behind_the_documented_proxy(
    deployment, trusted_proxies, forwarded_for
):
    site = deployment(trusted_proxies=trusted_proxies, forwarded_for=forwarded_for or documented_forwarded_for_line())
    assert wrong_logins_through(site, 30) == ["refused"] * 3 + ["throttled"] * 27
