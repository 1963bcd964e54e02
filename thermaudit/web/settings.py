"""Settings of the web service, read from the environment (see docs/web.md).

``THERMAUDIT_DATA_DIR``      data folder: SQLite database, secret key, signing key, workspaces,
                             uploads and assessment outputs (default ``./thermaudit-data``)
``THERMAUDIT_DATABASE_URL``  SQLAlchemy URL; PostgreSQL e.g. ``postgresql+psycopg://u@h/db``
                             (default: SQLite ``DATA_DIR/thermaudit.sqlite``)
``THERMAUDIT_UPLOAD_LIMIT_MB``     largest accepted upload (default 200)
``THERMAUDIT_UNZIP_LIMIT_MB``      largest total uncompressed size of an upload (default 2000)
``THERMAUDIT_COOKIE_SECURE``       ``auto`` (Secure on https requests), ``1`` or ``0``
``THERMAUDIT_JOB_TIMEOUT_S``       longest an import or assessment may run (default 3600)
``THERMAUDIT_JOB_WORKERS``         jobs of different enterprises run at the same time (default 2)
``THERMAUDIT_TRUSTED_PROXIES``     addresses of reverse proxies whose ``X-Forwarded-For`` and
                                   ``X-Forwarded-Proto`` are believed, comma-separated
                                   (default none: the connecting address is the client's)
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from thermaudit.errors import ThermauditError

MB = 1 << 20


class SettingsError(ThermauditError, ValueError):
    """An environment variable of the web service holds a value it cannot use."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str = ""
    upload_limit: int = 200 * MB
    unzip_limit: int = 2000 * MB
    unzip_max_files: int = 500
    #: largest uncompressed/compressed ratio of one zip member
    unzip_max_ratio: float = 200.0
    cookie_secure: str = "auto"
    session_hours: float = 12.0
    #: failed sign-ins per address (any account), and per account from one address, in
    #: ``login_window`` seconds before a 429 (docs/web.md, *Sign-in limits*)
    login_attempts: int = 5
    login_window: float = 300.0
    #: longest wait the per-account slow-down imposes on a new address [s]
    login_delay_max: float = 60.0
    #: seconds between polls of the jobs table by the worker
    poll_seconds: float = 0.5
    #: run the background worker (tests of the restart behaviour turn it off)
    worker: bool = True
    #: longest run of one job before it is stopped and ends ``failed`` [s]
    job_timeout: float = 3600.0
    #: jobs (of different enterprises) running at the same time
    job_workers: int = 2
    #: reverse proxies whose forwarded headers are honoured ("" = none)
    trusted_proxies: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'thermaudit.sqlite'}"

    @classmethod
    def from_env(
        cls, data_dir: Path | str | None = None, env: Mapping[str, str] | None = None
    ) -> Settings:
        env = os.environ if env is None else env
        folder = Path(data_dir or env.get("THERMAUDIT_DATA_DIR") or "thermaudit-data")
        return cls(
            data_dir=folder.absolute(),
            database_url=env.get("THERMAUDIT_DATABASE_URL", ""),
            upload_limit=int(_number(env, "THERMAUDIT_UPLOAD_LIMIT_MB", 200, 0.001) * MB),
            unzip_limit=int(_number(env, "THERMAUDIT_UNZIP_LIMIT_MB", 2000, 0.001) * MB),
            cookie_secure=env.get("THERMAUDIT_COOKIE_SECURE", "auto"),
            job_timeout=_number(env, "THERMAUDIT_JOB_TIMEOUT_S", 3600, 1),
            job_workers=int(_number(env, "THERMAUDIT_JOB_WORKERS", 2, 1, integer=True)),
            trusted_proxies=_proxies(env.get("THERMAUDIT_TRUSTED_PROXIES", "")),
        )

    def secret(self) -> bytes:
        """The server secret (``DATA_DIR/secret.key``), created with mode 0600 on first use."""
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return path.read_bytes()
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_hex(32).encode())
        return path.read_bytes()


def _number(
    env: Mapping[str, str], name: str, default: float, minimum: float, *, integer: bool = False
) -> float:
    text = env.get(name, "").strip()
    if not text:
        return float(default)
    kind = "a whole number" if integer else "a number"
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < minimum or (integer and value != int(value)):
        raise SettingsError(
            f"{name}: expected {kind} of at least {minimum:g}, found {text!r}",
            hint=f"unset {name} for the default ({default:g})",
        )
    return value


def _proxies(text: str) -> str:
    """The comma-separated list of trusted proxy addresses or networks, checked."""
    import ipaddress

    items = [x.strip() for x in text.split(",") if x.strip()]
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise SettingsError(
                "THERMAUDIT_TRUSTED_PROXIES: expected IP addresses or networks separated by "
                f"commas (e.g. 127.0.0.1,10.0.0.0/8), found {item!r}"
            ) from None
    return ",".join(items)
