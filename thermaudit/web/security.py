"""Passwords (argon2id), session and API tokens, CSRF tokens and the login rate limit."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

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


class LoginLimits:
    """Failed sign-ins, counted in the server process (a restart forgets them; documented
    in docs/web.md, *Sign-in limits*).

    - **Per address**, whatever the account: ``limit`` failures in ``window`` seconds and
      the address is refused (429) until the oldest of them is ``window`` old, even with the
      right password.
    - **Per account and address**: the same, for that pair only. Nobody can lock an account
      by failing it from elsewhere: locks are never per account alone.
    - **Per account, slowed down**: after ``limit`` failures of the account in
      ``account_window`` seconds, from any addresses, each further attempt from an address
      the account has not signed in from must wait ``2 ** (n - limit)`` seconds (at most
      ``delay_max``) after the last failure; earlier attempts are refused (429, Retry-After)
      without the password being checked. An address the account signed in from within
      ``known_for`` seconds is not slowed, so the account's owner signs in while someone
      elsewhere guesses.

    ``clock`` gives seconds (monotonic); tests pass their own.
    """

    #: entries kept per account of addresses it signed in from
    KNOWN_MAX = 20
    #: keys kept before old ones are pruned
    KEYS_MAX = 20_000

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        delay_max: float = 60.0,
        account_window: float = 3600.0,
        known_for: float = 30 * 86400.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.delay_max = delay_max
        self.account_window = account_window
        self.known_for = known_for
        self.clock = clock
        self._fails: dict[tuple[str, ...], deque[float]] = defaultdict(deque)
        self._known: dict[str, dict[str, float]] = defaultdict(dict)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, ...], span: float, t: float) -> deque[float]:
        q = self._fails[key]
        while q and q[0] <= t - span:
            q.popleft()
        return q

    def refused(self, account: str, address: str) -> tuple[float, str]:
        """``(seconds, why)`` until this attempt may be made, ``why`` "address" or
        "account"; ``(0.0, "")`` when it may be made now."""
        t = self.clock()
        with self._lock:
            wait = 0.0
            for key in (("ip", address), ("pair", account, address)):
                q = self._recent(key, self.window, t)
                if len(q) >= self.limit:
                    wait = max(wait, q[0] + self.window - t)
            if wait > 0:
                return wait, "address"
            known = self._known.get(account, {})
            if t - known.get(address, -math.inf) < self.known_for:
                return 0.0, ""
            q = self._recent(("account", account), self.account_window, t)
            if len(q) >= self.limit:
                delay = min(self.delay_max, 2.0 ** (len(q) - self.limit))
                left = q[-1] + delay - t
                if left > 0:
                    return left, "account"
        return 0.0, ""

    def failed(self, account: str, address: str) -> None:
        t = self.clock()
        with self._lock:
            if len(self._fails) > self.KEYS_MAX:
                self._prune(t)
            for key in (("ip", address), ("pair", account, address), ("account", account)):
                self._fails[key].append(t)

    def succeeded(self, account: str, address: str) -> None:
        """A right password: the pair's failures are forgotten and the address is known."""
        t = self.clock()
        with self._lock:
            self._fails.pop(("pair", account, address), None)
            known = self._known[account]
            known[address] = t
            if len(known) > self.KNOWN_MAX:
                del known[min(known, key=known.__getitem__)]

    def reset(self) -> None:
        """Forget every count (tests; an operator restarting the server does the same)."""
        with self._lock:
            self._fails.clear()
            self._known.clear()

    def _prune(self, t: float) -> None:
        span = max(self.window, self.account_window)
        for key in [k for k, q in self._fails.items() if not q or q[-1] <= t - span]:
            del self._fails[key]
