"""Store stage: the workspace that keeps every imported dataset, as received and normalized.

See :mod:`thermaudit.store.workspace` for the layout and its guarantees.
"""

from thermaudit.store.workspace import (
    ImportRecord,
    ImportResult,
    MeterSpan,
    Workspace,
    init_workspace,
    open_workspace,
)

__all__ = [
    "ImportRecord",
    "ImportResult",
    "MeterSpan",
    "Workspace",
    "init_workspace",
    "open_workspace",
]
