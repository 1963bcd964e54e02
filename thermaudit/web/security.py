"""Passwords (argon2id), session and API tokens, CSRF tokens and the login rate limit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile
#: hashed once so that an unknown e-mail costs as much time as a wrong password
_DUMMY = _hasher.hash("thermaudit-dummy-password")
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; also spends the time when no user exists."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_id(secret: bytes, token: str) -> str:
    """What the database keeps of a token: HMAC-SHA256 with the server secret (hex)."""
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class RateLimiter:
    """At most ``limit`` failures per key in a sliding window of ``window`` seconds.

    Kept in the server process: a restart forgets the count (documented in docs/web.md).
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key: str, t: float) -> deque[float]:
        q = self._events[key]
        while q and q[0] <= t - self.window:
            q.popleft()
        return q

    def blocked(self, *keys: str) -> float:
        """Seconds until every key may try again (0 when none is blocked)."""
        t = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                q = self._trim(key, t)
                if len(q) >= self.limit:
                    wait = max(wait, q[0] + self.window - t)
        return wait

    def fail(self, *keys: str) -> None:
        t = time.monotonic()
        with self._lock:
            for key in keys:
                self._trim(key, t).append(t)

    def reset(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._events.pop(key, None)
