"""Writing an export file: whole or not at all (a temporary file renamed into place)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_json(path: Path, doc: Any) -> Path:
    """Write ``doc`` as indented UTF-8 JSON at ``path`` atomically; returns ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", "utf-8")
    tmp.replace(path)
    return path
