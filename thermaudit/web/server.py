"""How uvicorn serves the application: one place for ``thermaudit serve`` and the tests.

- Forwarded headers (``X-Forwarded-For``, ``X-Forwarded-Proto``) are believed only from the
  proxies the operator names in ``THERMAUDIT_TRUSTED_PROXIES``; by default none, so the
  address a sign-in is counted against is the connecting one and a client cannot choose it
  (uvicorn's own default trusts 127.0.0.1, which any local reverse proxy or SSH tunnel
  would turn into "every client may name its address").
- No ``Server`` header: the answer does not advertise the server software.
"""

from __future__ import annotations

from typing import Any

from thermaudit.web.settings import Settings


def uvicorn_config(app: Any, settings: Settings, *, host: str, port: int, **kw: Any) -> Any:
    """The :class:`uvicorn.Config` that serves ``app`` under ``settings``."""
    import uvicorn

    trusted = settings.trusted_proxies
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=bool(trusted),
        # never None: uvicorn would fall back to $FORWARDED_ALLOW_IPS or 127.0.0.1
        forwarded_allow_ips=trusted.split(",") if trusted else [],
        server_header=False,
        **kw,
    )
