"""Latency of the web service under concurrent clients on loopback.

The script prepares a data folder with the real commands and the real server, then measures:

1. ``thermaudit user-add`` creates an administrator and an enterprise member (the enterprise
   "Bench Die Casting" with it);
2. ``thermaudit serve`` starts in its own process on a free loopback port (SQLite in the data
   folder, or ``THERMAUDIT_DATABASE_URL`` when set);
3. the member uploads the zipped demo plant (``--days`` days) through ``POST
   /api/enterprises/{id}/datasets``, waits for the import, starts an assessment and waits for
   it (report and signing included), so the dashboard shows six metrics;
4. for each endpoint and each number of concurrent clients, every client (a thread with its
   own keep-alive HTTP/1.1 connection) sends requests back to back for ``--seconds`` seconds
   after a short warm-up; each request's wall time, from sending to the last byte of the body,
   is one sample.

Endpoints: ``dashboard`` is ``GET /`` with the browser's session cookie (server-rendered
page with the latest metrics of every visible enterprise); ``api`` is ``GET
/api/enterprises/{id}/assessments`` with a bearer token (the assessment history as JSON).

The clients run in this process and share the machine's cores with the server, as a load
generator on the same host does; the ``load`` column is the 1-minute load average before
each run.

Usage::

    python benchmarks/bench_web.py [--clients 1 10 50] [--seconds 10] [--days 7] [--json FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

PASSWORD = "bench-password-123"
ENTERPRISE = "Bench Die Casting"


def log(msg: str) -> None:
    print(f"[{dt.datetime.now(dt.UTC):%H:%M:%S}] {msg}", flush=True)


def thermaudit_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "thermaudit", *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Client:
    """One keep-alive connection; ``headers`` go with every request."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.headers = dict(headers or {})
        self.con = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        h = {**self.headers, **(headers or {})}
        for attempt in (1, 2):
            try:
                self.con.request(method, path, body=body, headers=h)
                r = self.con.getresponse()
                headers = {k.lower(): v for k, v in r.getheaders()}
                # every cookie set, by name (a response may set several)
                for v in r.msg.get_all("set-cookie") or []:
                    pair = v.split(";", 1)[0]
                    headers[f"cookie:{pair.split('=', 1)[0]}"] = pair
                return r.status, headers, r.read()
            except (ConnectionError, http.client.HTTPException):
                self.con.close()
                self.con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        data = None if body is None else json.dumps(body).encode()
        status, _h, out = self.request(
            method, path, data, {"Content-Type": "application/json"} if data else None
        )
        if status != expect:
            raise RuntimeError(f"{method} {path}: {status} {out[:300]!r}")
        return json.loads(out)

    def close(self) -> None:
        self.con.close()


# ---------------------------------------------------------------------------------------------
# preparation


def create_users(data: Path) -> None:
    env = {**os.environ, "THERMAUDIT_PASSWORD": PASSWORD}
    for args in (
        ("admin@bench.example", "--role", "admin"),
        (
            "member@bench.example",
            "--role",
            "enterprise_member",
            "--organization",
            ENTERPRISE,
        ),
    ):
        subprocess.run(
            thermaudit_cmd("user-add", *args, "--data", str(data)),
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def start_server(data: Path, port: int) -> subprocess.Popen[bytes]:
    log_file = (data / "server.log").open("wb")
    proc = subprocess.Popen(
        thermaudit_cmd("serve", "--port", str(port), "--data", str(data)),
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    end = time.monotonic() + 60
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}, see {log_file.name}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"the server did not listen on port {port} in 60 s")


def web_session(port: int, email: str) -> Client:
    """A client signed in through the sign-in form (session cookie)."""
    c = Client(port)
    status, headers, body = c.request("GET", "/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', body)
    login_cookie = headers["cookie:thermaudit_login_csrf"]
    assert status == 200 and token, status
    form = f"email={email}&password={PASSWORD}&csrf_token={token.group(1).decode()}"
    status, headers, body = c.request(
        "POST",
        "/login",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": login_cookie},
    )
    if status != 303:
        raise RuntimeError(f"sign-in failed: {status} {body[:200]!r}")
    c.headers["Cookie"] = headers["cookie:thermaudit_session"]
    return c


def api_client(port: int, email: str) -> Client:
    c = Client(port)
    token = c.json("POST", "/api/token", {"email": email, "password": PASSWORD})["token"]
    c.headers["Authorization"] = f"Bearer {token}"
    return c


def wait_job(c: Client, job_id: int, timeout: float = 600) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job: dict[str, Any] = c.json("GET", f"/api/jobs/{job_id}")
        if job["state"] in ("done", "failed"):
            if job["state"] == "failed":
                raise RuntimeError(f"job {job_id} failed: {job['message']}")
            return job
        time.sleep(0.5)
    raise RuntimeError(f"job {job_id} did not end in {timeout} s")


def prepare(port: int, data: Path, days: int) -> int:
    """Upload, import and assess the demo plant; returns the enterprise id."""
    from thermaudit.demo import write_demo

    api = api_client(port, "member@bench.example")
    enterprise = api.json("GET", "/api/enterprises")[0]["id"]
    demo = data / "demo"
    log(f"writing the demo plant ({days} days)")
    write_demo(demo, days=days)
    archive = data / "demo.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(demo.iterdir()):
            zf.write(p, f"dataset/{p.name}")
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="demo.zip"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        + archive.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, _h, out = api.request(
        "POST",
        f"/api/enterprises/{enterprise}/datasets",
        body,
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    if status != 202:
        raise RuntimeError(f"upload: {status} {out[:300]!r}")
    t0 = time.perf_counter()
    wait_job(api, json.loads(out)["job"]["id"])
    log(f"imported in {time.perf_counter() - t0:.1f} s; assessing")
    start = api.json(
        "POST", f"/api/enterprises/{enterprise}/assessments", {"lang": "zh+en"}, expect=202
    )
    t0 = time.perf_counter()
    wait_job(api, start["job"]["id"])
    log(f"assessed, reported and signed in {time.perf_counter() - t0:.1f} s")
    api.close()
    return int(enterprise)


# ---------------------------------------------------------------------------------------------
# measurement


def measure(
    port: int, headers: dict[str, str], path: str, clients: int, seconds: float, check: bytes
) -> dict[str, Any]:
    """``clients`` threads send ``GET path`` back to back for ``seconds``, each on its own
    connection; a sample is one request's wall time in ms, an error a status other than 200
    or a body without ``check``."""
    conns = [Client(port, headers) for _ in range(clients)]
    for c in conns:  # warm-up: connect, first request of each connection
        c.request("GET", path)
    samples: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    barrier = threading.Barrier(clients + 1)
    stop = threading.Event()

    def run(i: int) -> None:
        c = conns[i]
        barrier.wait()
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                status, _h, body = c.request("GET", path)
            except OSError:
                errors[i] += 1
                continue
            dt_ms = (time.perf_counter() - t0) * 1000
            if status != 200 or check not in body:
                errors[i] += 1
            else:
                samples[i].append(dt_ms)

    load = os.getloadavg()[0]
    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(120)
    wall = time.perf_counter() - t0
    for c in conns:
        c.close()
    flat = sorted(x for s in samples for x in s)
    q = statistics.quantiles(flat, n=100, method="inclusive") if len(flat) >= 2 else None
    return {
        "clients": clients,
        "requests": len(flat),
        "p50_ms": q[49] if q else None,
        "p95_ms": q[94] if q else None,
        "max_ms": flat[-1] if flat else None,
        "rps": len(flat) / wall,
        "errors": sum(errors),
        "load": load,
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    def f(x: float | None, fmt: str) -> str:
        return "—" if x is None else format(x, fmt)

    header = ["endpoint", "clients", "requests", "p50 ms", "p95 ms", "max ms", "req/s", "errors"]
    header += ["load"]
    body = [
        [
            r["endpoint"],
            str(r["clients"]),
            str(r["requests"]),
            f(r["p50_ms"], ".1f"),
            f(r["p95_ms"], ".1f"),
            f(r["max_ms"], ".1f"),
            f(r["rps"], ".0f"),
            str(r["errors"]),
            f(r["load"], ".1f"),
        ]
        for r in rows
    ]
    title = f"thermaudit web latency on loopback ({dt.date.today()}, {os.cpu_count()} cores)"
    try:
        from rich.console import Console
        from rich.table import Table

        t = Table(title=title)
        for i, h in enumerate(header):
            t.add_column(h, justify="left" if i == 0 else "right")
        for b in body:
            t.add_row(*b)
        Console(width=120).print(t)
    except ImportError:  # plain aligned text
        print(title)
        widths = [max(len(x) for x in col) for col in zip(header, *body, strict=True)]
        for line in (header, *body):
            print("  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", nargs="+", type=int, default=[1, 10, 50])
    ap.add_argument("--seconds", type=float, default=10.0, help="measuring time per run")
    ap.add_argument("--days", type=int, default=7, help="days of the demo plant")
    ap.add_argument("--data", type=Path, default=None, help="data folder (default: temporary)")
    ap.add_argument("--json", type=Path, default=None, help="also write the table as JSON")
    args = ap.parse_args(argv)
    if any(c < 1 for c in args.clients):
        ap.error("--clients: expected positive numbers of clients")
    own = args.data is None
    data = Path(tempfile.mkdtemp(prefix="bench-web-")) if own else args.data.resolve()
    if not own and data.exists() and any(data.iterdir()):
        ap.error(f"--data: expected an empty or new folder, found files in {data}")
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    rows: list[dict[str, Any]] = []
    log(f"data folder {data}; server on http://127.0.0.1:{port}/")
    create_users(data)
    server = start_server(data, port)
    try:
        enterprise = prepare(port, data, args.days)
        # one sign-in each, shared by every client connection (as browser tabs share one)
        web = web_session(port, "member@bench.example")
        api = api_client(port, "member@bench.example")
        endpoints = {
            "dashboard  GET /": (web.headers, "/", b'href="/assessments/'),
            f"api  GET /api/enterprises/{enterprise}/assessments": (
                api.headers,
                f"/api/enterprises/{enterprise}/assessments",
                b'"unit_product_energy"',
            ),
        }
        web.close()
        api.close()
        for name, (headers, path, check) in endpoints.items():
            for clients in args.clients:
                log(f"{name}: {clients} client(s) for {args.seconds:g} s")
                r = measure(port, headers, path, clients, args.seconds, check)
                rows.append({"endpoint": name, **r})
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        if own:
            shutil.rmtree(data, ignore_errors=True)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    failed = [f"{r['endpoint']} × {r['clients']}" for r in rows if r["errors"] or not r["requests"]]
    if failed:
        print("errors (a status other than 200 or an unexpected body) in:", "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
