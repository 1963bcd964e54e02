"""The web service over the library (``thermaudit serve``); see docs/web.md."""

from thermaudit.web.app import create_app
from thermaudit.web.settings import Settings

__all__ = ["Settings", "create_app"]
