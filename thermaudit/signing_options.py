"""The choices the signing commands offer, without cryptography: ``thermaudit keygen --help``
lists them before any key code loads. :mod:`thermaudit.signing_keys` re-exports both."""

from __future__ import annotations

from typing import Final

#: ``keygen --algorithm`` choices
KEY_ALGORITHMS: Final = ("ecdsa-p256", "rsa-3072")
#: environment variable read for the password of an encrypted key or PKCS#12 file
PASSWORD_ENV: Final = "THERMAUDIT_KEY_PASSWORD"
