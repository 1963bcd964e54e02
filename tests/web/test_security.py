"""The sign-in limits (:class:`thermaudit.web.security.LoginLimits`) on a clock the test
turns: per address, per account and address, and the per-account slow-down that never
locks the account's owner out."""

from __future__ import annotations

from pathlib import Path

import pytest

from thermaudit.web.security import LoginLimits


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def limits(clock: Clock) -> LoginLimits:
    return LoginLimits(5, 300.0, delay_max=60.0, account_window=3600.0, clock=clock)


def test_an_address_is_refused_after_five_failures_whatever_the_accounts() -> None:
    clock = Clock()
    lim = limits(clock)
    for i in range(5):
        assert lim.refused(f"user{i}@x", "10.0.0.1") == (0.0, "")
        lim.failed(f"user{i}@x", "10.0.0.1")
        clock.t += 1
    wait, why = lim.refused("someone-else@x", "10.0.0.1")
    assert why == "address" and wait == 300.0 - 5  # until the oldest failure is 300 s old
    clock.t += wait
    assert lim.refused("someone-else@x", "10.0.0.1") == (0.0, "")


def test_failures_elsewhere_never_lock_the_owner_out() -> None:
    """Five wrong passwords for the account from an attacker's address: that address is
    refused; the owner's usual address is not slowed at all; a new address of the owner
    waits at most a second, not the window."""
    clock = Clock()
    lim = limits(clock)
    lim.succeeded("victim@x", "192.0.2.10")  # the owner signed in from here before
    for _ in range(5):
        lim.failed("victim@x", "203.0.113.66")
    assert lim.refused("victim@x", "203.0.113.66")[1] == "address"
    assert lim.refused("victim@x", "192.0.2.10") == (0.0, "")
    wait, why = lim.refused("victim@x", "198.51.100.1")
    assert why == "account" and 0 < wait <= 1.0


def test_the_account_slow_down_grows_and_is_capped() -> None:
    """Failures from always new addresses (a botnet): after 5, each next attempt waits
    1, 2, 4, … s after the last failure, never more than 60 s."""
    clock = Clock()
    lim = limits(clock)
    waits = []
    for i in range(14):
        wait, why = lim.refused("target@x", f"198.51.100.{i}")
        if wait:
            assert why == "account"
            waits.append(wait)
            clock.t += wait
            assert lim.refused("target@x", f"198.51.100.{i}") == (0.0, "")
        lim.failed("target@x", f"198.51.100.{i}")
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
    # an hour without failures: no slow-down
    clock.t += 3600
    assert lim.refused("target@x", "198.51.100.200") == (0.0, "")


def test_the_pair_lock_and_the_owners_success() -> None:
    clock = Clock()
    lim = LoginLimits(3, 300.0, clock=clock)
    for _ in range(3):
        lim.failed("a@x", "10.0.0.2")
    assert lim.refused("a@x", "10.0.0.2")[1] == "address"
    lim.succeeded("a@x", "10.0.0.3")
    assert lim.refused("a@x", "10.0.0.3") == (0.0, "")
    lim.reset()
    assert lim.refused("a@x", "10.0.0.2") == (0.0, "")


def test_settings_from_the_environment_refuse_what_they_cannot_use(tmp_path: Path) -> None:
    from thermaudit.web.settings import Settings, SettingsError

    s = Settings.from_env(
        tmp_path,
        env={
            "THERMAUDIT_JOB_TIMEOUT_S": "90",
            "THERMAUDIT_JOB_WORKERS": "3",
            "THERMAUDIT_UPLOAD_LIMIT_MB": "0.5",
        },
    )
    assert (s.job_timeout, s.job_workers, s.upload_limit, s.trusted_proxies) == (
        90.0,
        3,
        1 << 19,
        "",
    )
    for name, value, words in (
        ("THERMAUDIT_JOB_TIMEOUT_S", "soon", "expected a number of at least 1, found 'soon'"),
        ("THERMAUDIT_JOB_TIMEOUT_S", "nan", "found 'nan'"),
        ("THERMAUDIT_JOB_WORKERS", "1.5", "expected a whole number of at least 1"),
        ("THERMAUDIT_TRUSTED_PROXIES", "10.0.0.1, proxy.local", "found 'proxy.local'"),
    ):
        with pytest.raises(SettingsError) as info:
            Settings.from_env(tmp_path, env={name: value})
        assert str(info.value).startswith(name) and words in str(info.value), str(info.value)
