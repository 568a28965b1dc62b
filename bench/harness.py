"""What the load benchmarks share: their child processes, ports, and a member's browser.

Imported by ``bench/faults.py``, ``bench/redis_outage.py`` and ``bench/http.py`` as
``bench.harness`` (each puts the project's folder on ``sys.path`` and keeps ``bench/`` off it,
whose ``http.py`` would otherwise hide the standard library's ``http``). Everything here talks to 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import re
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "samenleven-bench"  # of every member seed_large makes


class Processes:
    """Every child a benchmark starts, stopped by PID (never by name)."""

    def __init__(self, grace: float = 15) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.grace = grace

    def start(self, name: str, args: list[str], *, env: dict[str, str] | None = None, log: Path) -> subprocess.Popen:
        """Start ``args`` in the project's folder, its output appended to ``log``."""
        with open(log, "ab") as handle:
            proc = subprocess.Popen(
                args, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self.children.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def stop_all(self) -> None:
        """SIGTERM to every child still running, newest first; SIGKILL to those still there
        after the grace period."""
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for name, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"  {name} (pid {proc.pid}) did not stop; killing it", file=sys.stderr)
                proc.kill()
                proc.wait(timeout=5)
        self.children.clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def wait_for_port(port: int, proc: subprocess.Popen | None, log: Path, timeout: float = 60) -> float:
    """Seconds until something listens on ``port``; stops the benchmark, with the end of
    ``log``, when ``proc`` exits first or nothing listens within ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(
                f"process {proc.pid} exited ({proc.returncode}); its log {log}:\n{log.read_text()[-3000:]}"
            )
        if port_open(port):
            return time.monotonic() - started
        time.sleep(0.05)
    raise SystemExit(f"nothing listened on port {port} within {timeout}s; log {log}:\n{log.read_text()[-3000:]}")


class Browser:
    """One member's cookies and a kept-alive connection to each of ``ports``, used in turn
    (one port: nginx; several: daphne processes without a proxy)."""

    def __init__(self, ports: int | list[int], email: str) -> None:
        self.ports = [ports] if isinstance(ports, int) else list(ports)
        self.email = email
        self.cookies: dict[str, str] = {}
        self.connections: dict[int, http.client.HTTPConnection] = {}
        self.turn = 0
        self.location = ""  # of the last answer

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, str]:
        """(status, text) of the answer; (0, "") when there was none (refused, reset, timeout)."""
        port = self.ports[self.turn % len(self.ports)]
        self.turn += 1
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        encoded = None
        if method == "POST":
            encoded = urlencode(body or {})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            headers["Origin"] = f"http://127.0.0.1:{port}"
            headers["Referer"] = f"http://127.0.0.1:{port}/"
        for attempt in (1, 2):
            conn = self.connections.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            self.connections[port] = conn
            try:
                conn.request(method, path, body=encoded, headers=headers)
                response = conn.getresponse()
                text = response.read().decode(errors="replace")
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                self.connections.pop(port, None)
                closed = isinstance(error, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError))
                if closed and attempt == 1:
                    continue  # the server closed a kept-alive connection before this request: once more
                return 0, ""
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value:
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            self.location = response.getheader("Location", "")
            return response.status, text
        return 0, ""

    def log_in(self) -> int:
        """The status of the login form's answer (302 when it took), 0 without one."""
        self.cookies.clear()
        status, page = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            return status
        status, _page = self.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token.group(1), "username": self.email, "password": PASSWORD},
        )
        return status

    @property
    def logged_in(self) -> bool:
        return "sessionid" in self.cookies

    def close(self) -> None:
        for conn in self.connections.values():
            conn.close()
        self.connections.clear()
