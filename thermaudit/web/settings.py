"""Settings of the web service, read from the environment (see docs/web.md).

``THERMAUDIT_DATA_DIR``      data folder: SQLite database, secret key, signing key, workspaces,
                             uploads and assessment outputs (default ``./thermaudit-data``)
``THERMAUDIT_DATABASE_URL``  SQLAlchemy URL; PostgreSQL e.g. ``postgresql+psycopg://u@h/db``
                             (default: SQLite ``DATA_DIR/thermaudit.sqlite``)
``THERMAUDIT_UPLOAD_LIMIT_MB``     largest accepted upload (default 200)
``THERMAUDIT_UNZIP_LIMIT_MB``      largest total uncompressed size of an upload (default 2000)
``THERMAUDIT_COOKIE_SECURE``       ``auto`` (Secure on https requests), ``1`` or ``0``
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

MB = 1 << 20


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
    #: failed logins per address and per e-mail in ``login_window`` seconds before a 429
    login_attempts: int = 5
    login_window: float = 300.0
    #: seconds between polls of the jobs table by the worker
    poll_seconds: float = 0.5
    #: run the background worker (tests of the restart behaviour turn it off)
    worker: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'thermaudit.sqlite'}"

    @classmethod
    def from_env(cls, data_dir: Path | str | None = None) -> Settings:
        env = os.environ
        folder = Path(data_dir or env.get("THERMAUDIT_DATA_DIR") or "thermaudit-data")
        return cls(
            data_dir=folder.absolute(),
            database_url=env.get("THERMAUDIT_DATABASE_URL", ""),
            upload_limit=int(float(env.get("THERMAUDIT_UPLOAD_LIMIT_MB", "200")) * MB),
            unzip_limit=int(float(env.get("THERMAUDIT_UNZIP_LIMIT_MB", "2000")) * MB),
            cookie_secure=env.get("THERMAUDIT_COOKIE_SECURE", "auto"),
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
