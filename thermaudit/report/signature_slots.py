"""Where the signature slots of the cover lie: one source for the template and the signer.

The cover (``base.typ``, ``cover()``) draws one slot per signing role at the foot of its
page: the role's label at the top, an empty signing area, a rule and the hint "signature /
date" under it. The slots are placed against the bottom margin, so their position does not
depend on how long the cover's texts are; :func:`signing_area` gives the signing area of a
slot in PDF coordinates, where :mod:`thermaudit.signing` puts the signature field.

The page margins are those of ``report-style`` in ``base.typ``; ``tests/report/test_layout.py``
checks the drawn rules against :func:`signing_area`, so the two cannot drift apart unseen.
"""

from __future__ import annotations

from typing import Final

#: the signing roles, in the order of the cover's slots (left to right)
ROLES: Final = ("assessor", "reviewer", "approver")

#: A4 and the margins of base.typ's report-style [mm]
PAGE_WIDTH_MM: Final = 210.0
MARGIN_X_MM: Final = 22.0
MARGIN_BOTTOM_MM: Final = 22.0

#: a slot: total height, signing area above the rule, hint zone under it [mm]
SLOT_HEIGHT_MM: Final = 30.0
SLOT_SIGN_MM: Final = 16.0
SLOT_HINT_MM: Final = 5.0
SLOT_GUTTER_MM: Final = 14.0

_PT_PER_MM: Final = 72.0 / 25.4


def slot_width_mm(n: int = len(ROLES)) -> float:
    """Width of one slot when ``n`` slots share the text width [mm]."""
    return (PAGE_WIDTH_MM - 2 * MARGIN_X_MM - (n - 1) * SLOT_GUTTER_MM) / n


def signing_area(role: str) -> tuple[float, float, float, float]:
    """``(x0, y0, x1, y1)`` of the signing area of ``role``'s slot on the cover [pt].

    PDF user space: origin at the bottom left of the page, y upwards.

    Raises
    ------
    KeyError
        For a role not in :data:`ROLES` (the message lists them).
    """
    if role not in ROLES:
        raise KeyError(f"unknown signing role {role!r}; the roles are {', '.join(ROLES)}")
    i = ROLES.index(role)
    w = slot_width_mm()
    x0 = MARGIN_X_MM + i * (w + SLOT_GUTTER_MM)
    y0 = MARGIN_BOTTOM_MM + SLOT_HINT_MM
    return tuple(  # type: ignore[return-value]
        round(v * _PT_PER_MM, 3) for v in (x0, y0, x0 + w, y0 + SLOT_SIGN_MM)
    )


def typst_slot() -> str:
    """The slot geometry as the Typst dictionary ``cover(slot: …)`` takes."""
    return (
        f"(height: {SLOT_HEIGHT_MM}mm, sign: {SLOT_SIGN_MM}mm, hint: {SLOT_HINT_MM}mm, "
        f"gutter: {SLOT_GUTTER_MM}mm)"
    )
