"""What the pages and the API do, in one place: access control, uploads, assessments, grants,
the audit log. Routes only parse requests and render answers (no logic lives only in a route).

Access
------
- ``admin`` sees and manages everything (organizations, users, every enterprise).
- ``enterprise_member`` sees the enterprises they are a member of; uploads, runs assessments
  and grants or revokes access of assessment bodies.
- ``assessor`` sees the enterprises that granted access to an assessment body they are a
  member of; uploads and runs assessments there; cannot grant.

An enterprise a user may not see is answered exactly as one that does not exist (404), so
ids cannot be probed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from thermaudit.metrics import result as metric_result
from thermaudit.report.labels import LANGS as REPORT_LANGS
from thermaudit.web.i18n import translate
from thermaudit.web.models import (
    FINDING_STATES,
    Assessment,
    AuditEntry,
    Dataset,
    FindingTrack,
    Grant,
    Job,
    Membership,
    Organization,
    User,
    name_key,
    now,
)
from thermaudit.web.security import MIN_PASSWORD, hash_password

MB = 1 << 20

#: report languages offered, the default (Chinese with English) first
LANGS = ("zh+en", *(x for x in REPORT_LANGS if x != "zh+en"))
#: downloadable files of an assessment: kind → (file in the signed folder, media type)
FILES: dict[str, tuple[str, str]] = {
    "pdf": ("report.pdf", "application/pdf"),
    "html": ("report.html", "text/html; charset=utf-8"),
    "xlsx": (
        "report.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "json": ("assessment.json", "application/json"),
    # the exports for buyers and the EU (thermaudit export), signed with the folder
    "pcf": ("product-footprints.json", "application/json"),
    "cbam": (
        "cbam-communication.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "cbam-json": ("cbam-communication.json", "application/json"),
    "esrs": ("esrs-e1.json", "application/json"),
    "esrs-xbrl": ("esrs-e1.xbrl.json", "application/json"),
    "vsme": ("vsme-b3.json", "application/json"),
    "vsme-xbrl": ("vsme-b3.xbrl.json", "application/json"),
    "kesg": (
        "k-esg.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "pact": ("pact-footprints.json", "application/json"),
    "bundle": ("bundle.zip", "application/zip"),
}
_EMAIL = re.compile(r"^[^@\s\x00]{1,100}@[^@\s\x00]{1,100}$")


class Refusal(Exception):
    """A request the service refuses. ``str()`` is the English message (the API's
    ``detail``); :meth:`say` is the message in a page's language when ``key`` names it in
    :data:`thermaudit.web.i18n.WORDS` (with ``params``)."""

    def __init__(self, message: str, *, key: str = "", **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = params

    def say(self, lang: str) -> str:
        return translate(self.key, lang, **self.params) if self.key else str(self)


class NotFound(Refusal, LookupError):
    """Absent, or not visible to this user (the two are answered alike)."""


class Forbidden(Refusal, PermissionError):
    """Visible, but this user's role may not do this."""


class Conflict(Refusal, ValueError):
    """The request contradicts the state (a signed assessment, a duplicate e-mail, …)."""


class BadRequest(Refusal, ValueError):
    """A value the user entered is not acceptable; the message says what is expected."""


class UploadTooLarge(BadRequest):
    def __init__(self, limit: int) -> None:
        size = size_text(limit)
        super().__init__(
            f"the upload is larger than the limit of {size}", key="too_large", limit=size
        )


class Tampered(Conflict):
    """A file of a signed assessment differs from what its signed manifest lists."""


def size_text(n: int) -> str:
    """A byte count as an operator configured it: whole MB as "200 MB", anything else
    with its exact number of bytes ("0.5 MB (524,288 bytes)")."""
    if n % MB == 0:
        return f"{n // MB} MB"
    return f"{n / MB:.6g} MB ({n:,} bytes)"


# ---------------------------------------------------------------------------------------------
# Paths: every name below the data folder is generated here, never taken from a request


@dataclass(frozen=True)
class Paths:
    root: Path

    def workspace(self, enterprise_id: int) -> Path:
        return self.root / "enterprises" / str(int(enterprise_id)) / "workspace"

    def upload(self, dataset_id: int, kind: str) -> Path:
        return self.root / "uploads" / f"{int(dataset_id)}.{'xlsx' if kind == 'xlsx' else 'zip'}"

    def assessment(self, assessment_id: int) -> Path:
        return self.root / "assessments" / str(int(assessment_id))

    def signed(self, assessment_id: int) -> Path:
        return self.assessment(assessment_id) / "signed"

    def bundle(self, assessment_id: int) -> Path:
        return self.assessment(assessment_id) / "bundle.zip"

    def key(self) -> Path:
        return self.root / "keys" / "server.key"

    def tmp(self) -> Path:
        return self.root / "tmp"


# ---------------------------------------------------------------------------------------------
# Audit


def audit(
    s: Session,
    user: User | None,
    action: str,
    *,
    enterprise_id: int | None = None,
    target: str = "",
    address: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    s.add(
        AuditEntry(
            user_id=user.id if user else None,
            action=action,
            enterprise_id=enterprise_id,
            target=target,
            address=address[:60],
            detail=detail,
        )
    )


# ---------------------------------------------------------------------------------------------
# Visibility


def member_org_ids(s: Session, user: User) -> list[int]:
    return list(
        s.scalars(sa.select(Membership.organization_id).where(Membership.user_id == user.id))
    )


def visible_enterprises_query(user: User) -> sa.Select[Organization]:
    q = sa.select(Organization).where(Organization.kind == "enterprise")
    if user.role == "admin":
        return q.order_by(Organization.name)
    mine = sa.select(Membership.organization_id).where(Membership.user_id == user.id)
    if user.role == "enterprise_member":
        return q.where(Organization.id.in_(mine)).order_by(Organization.name)
    granted = sa.select(Grant.enterprise_id).where(Grant.body_id.in_(mine))
    return q.where(Organization.id.in_(granted)).order_by(Organization.name)


def enterprises(s: Session, user: User) -> list[Organization]:
    return list(s.scalars(visible_enterprises_query(user)))


def enterprise(s: Session, user: User, enterprise_id: int) -> Organization:
    org = s.scalars(visible_enterprises_query(user).where(Organization.id == enterprise_id)).first()
    if org is None:
        raise NotFound(f"no enterprise {enterprise_id}")
    return org


def may_grant(user: User) -> bool:
    return user.role in ("admin", "enterprise_member")


def require_admin(user: User) -> None:
    if user.role != "admin":
        raise Forbidden("only an administrator may do this")


_Owned = TypeVar("_Owned", Assessment, Dataset, Job)


def _visible(s: Session, user: User, model: type[_Owned], row_id: int, noun: str) -> _Owned:
    """The row, when its enterprise is visible to ``user``; otherwise the same 404 as a row
    that does not exist (an id says nothing about another body's enterprises)."""
    row = s.get(model, row_id)
    if row is None:
        raise NotFound(f"no {noun} {row_id}")
    try:
        enterprise(s, user, row.enterprise_id)
    except NotFound:
        raise NotFound(f"no {noun} {row_id}") from None
    return row


def assessment(s: Session, user: User, assessment_id: int) -> Assessment:
    return _visible(s, user, Assessment, assessment_id, "assessment")


def dataset(s: Session, user: User, dataset_id: int) -> Dataset:
    return _visible(s, user, Dataset, dataset_id, "dataset")


def job(s: Session, user: User, job_id: int) -> Job:
    return _visible(s, user, Job, job_id, "job")


# ---------------------------------------------------------------------------------------------
# Organizations, users, grants


def create_organization(s: Session, admin: User, kind: str, name: str) -> Organization:
    require_admin(admin)
    name = name.strip()
    if kind not in ("enterprise", "assessment_body"):
        raise BadRequest(f"kind: expected enterprise or assessment_body, found {kind!r}")
    if not name or len(name) > 200 or "\x00" in name:
        raise BadRequest("name: expected 1 to 200 characters (no NUL)")
    same = s.scalar(sa.select(Organization.name).where(Organization.name_key == name_key(name)))
    if same is not None:  # a concurrent twin is caught by the unique index (IntegrityError)
        raise Conflict(
            f"an organization named {same!r} exists already (names are compared ignoring "
            "case and spacing)",
            key="org_exists",
            name=same,
        )
    org = Organization(kind=kind, name=name)
    s.add(org)
    s.flush()
    audit(s, admin, "organization.create", target=f"organization:{org.id}", detail={"kind": kind})
    return org


def create_user(
    s: Session,
    admin: User | None,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    organization_id: int | None = None,
) -> User:
    """A new user; ``admin=None`` only from the command line (the first administrator)."""
    if admin is not None:
        require_admin(admin)
    # lower() may lengthen a string ("İ" → "i̇"): the limits apply to the stored form
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 200:
        raise BadRequest(
            f"email: expected an e-mail address of at most 200 characters, found {email!r}"
        )
    name = name.strip()
    if len(name) > 200 or "\x00" in name:
        raise BadRequest("name: expected at most 200 characters (no NUL)")
    if role not in ("enterprise_member", "assessor", "admin"):
        raise BadRequest(f"role: expected enterprise_member, assessor or admin, found {role!r}")
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"password: expected at least {MIN_PASSWORD} characters")
    if s.scalars(sa.select(User).where(User.email == email)).first() is not None:
        raise Conflict(f"a user with e-mail {email} exists already", key="user_exists", email=email)
    org = None
    if role != "admin":
        org = s.get(Organization, organization_id) if organization_id is not None else None
        want = "enterprise" if role == "enterprise_member" else "assessment_body"
        if org is None or org.kind != want:
            raise BadRequest(f"organization: a {role} belongs to an organization of kind {want}")
    user = User(email=email, name=name or email, password_hash=hash_password(password), role=role)
    s.add(user)
    s.flush()
    if org is not None:
        s.add(Membership(user_id=user.id, organization_id=org.id))
    audit(s, admin, "user.create", target=f"user:{user.id}", detail={"role": role, "email": email})
    return user


def grants(s: Session, enterprise_id: int) -> list[Organization]:
    return list(
        s.scalars(
            sa.select(Organization)
            .join(Grant, Grant.body_id == Organization.id)
            .where(Grant.enterprise_id == enterprise_id)
            .order_by(Organization.name)
        )
    )


def bodies(s: Session) -> list[Organization]:
    return list(
        s.scalars(
            sa.select(Organization)
            .where(Organization.kind == "assessment_body")
            .order_by(Organization.name)
        )
    )


def grant(s: Session, user: User, enterprise_id: int, body_id: int, *, address: str = "") -> None:
    ent = enterprise(s, user, enterprise_id)
    if not may_grant(user):
        raise Forbidden("only the enterprise's members or an administrator may grant access")
    body = s.get(Organization, body_id)
    if body is None or body.kind != "assessment_body":
        raise BadRequest(f"body: expected the id of an assessment body, found {body_id}")
    if s.get(Grant, (ent.id, body.id)) is not None:
        # the same answer whether the twin was committed before (here) or at the same moment
        # (the primary key's IntegrityError, a 409 too)
        raise Conflict(
            f"{body.name!r} has access to this enterprise already",
            key="grant_exists",
            name=body.name,
        )
    s.add(Grant(enterprise_id=ent.id, body_id=body.id, granted_by=user.id))
    audit(
        s,
        user,
        "grant.create",
        enterprise_id=ent.id,
        target=f"organization:{body.id}",
        address=address,
    )


def revoke(s: Session, user: User, enterprise_id: int, body_id: int, *, address: str = "") -> None:
    ent = enterprise(s, user, enterprise_id)
    if not may_grant(user):
        raise Forbidden("only the enterprise's members or an administrator may revoke access")
    row = s.get(Grant, (ent.id, body_id))
    if row is None:
        raise NotFound(f"no grant to organization {body_id}")
    s.delete(row)
    audit(
        s,
        user,
        "grant.revoke",
        enterprise_id=ent.id,
        target=f"organization:{body_id}",
        address=address,
    )


# ---------------------------------------------------------------------------------------------
# Uploads and assessments (the work itself runs in thermaudit.web.jobs)


def add_upload(
    s: Session,
    paths: Paths,
    user: User,
    enterprise_id: int,
    *,
    filename: str,
    stored: Path,
    replace: bool = False,
    address: str = "",
) -> tuple[Dataset, Job]:
    """Register an upload already written to ``stored`` (a server-named temporary file) and
    queue its import."""
    ent = enterprise(s, user, enterprise_id)
    filename = display_name(filename)
    low = filename.lower()
    if low.endswith(".xlsx"):
        kind = "xlsx"
    elif low.endswith(".zip"):
        kind = "zip"
    else:
        raise BadRequest(
            f"file: expected a .zip of the dataset folder or an .xlsx workbook, found {filename!r}",
            key="upload_not_dataset",
            file=filename,
        )
    h = hashlib.sha256()
    with stored.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    ds = Dataset(
        enterprise_id=ent.id,
        uploaded_by=user.id,
        original_name=filename,
        kind=kind,
        size=stored.stat().st_size,
        sha256=h.hexdigest(),
        status="queued",
        replace=replace,
    )
    s.add(ds)
    s.flush()
    target = paths.upload(ds.id, kind)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(stored), target)
    j = _queue(
        s,
        user,
        "dataset.upload",
        Job(kind="import", enterprise_id=ent.id, dataset_id=ds.id),
        address=address,
        detail={"name": ds.original_name, "size": ds.size, "sha256": ds.sha256},
    )
    return ds, j


def display_name(filename: str) -> str:
    """The client's file name as shown in lists: its last path component (some browsers send
    a whole path), without control or unprintable characters (PostgreSQL refuses NUL in
    text), at most 300 characters. It never names a file on the server."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[-300:]


def start_assessment(
    s: Session,
    user: User,
    enterprise_id: int,
    *,
    lang: str = "zh+en",
    previous: Assessment | None = None,
    address: str = "",
) -> tuple[Assessment, Job]:
    """Queue a new assessment version of the enterprise's current data (version n+1)."""
    ent = enterprise(s, user, enterprise_id)
    if lang not in LANGS:
        raise BadRequest(f"lang: expected one of {', '.join(LANGS)}, found {lang!r}")
    imported = s.scalars(
        sa.select(Dataset.id).where(
            Dataset.enterprise_id == ent.id, Dataset.status.in_(("imported", "unchanged"))
        )
    ).first()
    if imported is None:
        raise Conflict("the enterprise has no imported dataset yet; upload one first")
    pending = s.scalar(
        sa.select(Assessment.version).where(
            Assessment.enterprise_id == ent.id, Assessment.status.in_(("queued", "running"))
        )
    )
    if pending is not None:  # a double submission; a concurrent twin hits (enterprise, version)
        raise Conflict(
            f"an assessment of this enterprise is already queued or running (version "
            f"{pending}); wait until it has finished",
            key="assessment_busy",
            v=pending,
        )
    last = s.scalar(
        sa.select(sa.func.max(Assessment.version)).where(Assessment.enterprise_id == ent.id)
    )
    a = Assessment(
        enterprise_id=ent.id,
        version=(last or 0) + 1,
        previous_id=previous.id if previous is not None else None,
        created_by=user.id,
        lang=lang,
        status="queued",
        signed=False,
    )
    s.add(a)
    s.flush()
    j = _queue(
        s,
        user,
        "assessment.rerun" if previous is not None else "assessment.start",
        Job(kind="assess", enterprise_id=ent.id, assessment_id=a.id),
        address=address,
        detail={"version": a.version, "previous": a.previous_id},
    )
    return a, j


def rerun(
    s: Session, user: User, assessment_id: int, *, address: str = ""
) -> tuple[Assessment, Job]:
    """A signed assessment is never changed: running it again makes version n+1."""
    old = assessment(s, user, assessment_id)
    return start_assessment(
        s, user, old.enterprise_id, lang=old.lang, previous=old, address=address
    )


def retry_import(
    s: Session, paths: Paths, user: User, dataset_id: int, *, address: str = ""
) -> tuple[Dataset, Job]:
    """Queue the import of a failed dataset again (interrupted, timed out, crashed), from
    the upload the server kept."""
    ds = dataset(s, user, dataset_id)
    if ds.status != "failed":
        raise Conflict(
            f"only a failed import can be run again; dataset {ds.id} is {ds.status}",
            key="retry_refused",
        )
    if not paths.upload(ds.id, ds.kind).is_file():
        raise Conflict(
            f"the upload of dataset {ds.id} is no longer on the server; upload it again",
            key="upload_gone",
        )
    queued = s.execute(
        sa.update(Dataset)
        .where(Dataset.id == ds.id, Dataset.status == "failed")
        .values(status="queued", problems=None)
        .returning(Dataset.id)
    ).all()
    if not queued:  # a concurrent retry took it
        raise Conflict(f"dataset {ds.id} is queued already", key="conflict_concurrent")
    s.refresh(ds)
    j = _queue(
        s,
        user,
        "dataset.retry",
        Job(kind="import", enterprise_id=ds.enterprise_id, dataset_id=ds.id),
        address=address,
    )
    return ds, j


def _queue(
    s: Session,
    user: User,
    action: str,
    j: Job,
    *,
    address: str,
    detail: dict[str, Any] | None = None,
) -> Job:
    """Queue job ``j`` (an import of a dataset or a run of an assessment) created by
    ``user``, and audit ``action`` on its dataset or assessment with the job's id."""
    j.created_by = user.id
    j.message = "queued"
    s.add(j)
    s.flush()
    target = f"dataset:{j.dataset_id}" if j.dataset_id else f"assessment:{j.assessment_id}"
    audit(
        s,
        user,
        action,
        enterprise_id=j.enterprise_id,
        target=target,
        address=address,
        detail={**(detail or {}), "job": j.id},
    )
    return j


def last_job(
    s: Session, *, dataset_id: int | None = None, assessment_id: int | None = None
) -> Job | None:
    """The newest job of a dataset or an assessment (its state says how it went)."""
    q = sa.select(Job).order_by(Job.id.desc()).limit(1)
    if dataset_id is not None:
        q = q.where(Job.dataset_id == dataset_id)
    else:
        q = q.where(Job.assessment_id == assessment_id)
    return s.scalars(q).first()


def refuse_change(
    s: Session, user: User, assessment_id: int, action: str, *, address: str = ""
) -> str:
    """A request to change or delete an assessment: always refused (the caller answers
    409 with the returned message) and logged. A signed assessment never changes; an
    unfinished one is signed when done."""
    a = assessment(s, user, assessment_id)
    audit(
        s,
        user,
        f"assessment.{action}.refused",
        enterprise_id=a.enterprise_id,
        target=f"assessment:{a.id}",
        address=address,
        detail={"signed": a.signed},
    )
    if a.signed:
        return (
            f"assessment {a.id} (version {a.version}) is signed and cannot change; "
            "run it again to create a new version"
        )
    return f"assessment {a.id} is {a.status}; it is signed when done and never changes"


def history(s: Session, enterprise_id: int) -> list[Assessment]:
    return list(
        s.scalars(
            sa.select(Assessment)
            .where(Assessment.enterprise_id == enterprise_id)
            .order_by(Assessment.version.desc())
        )
    )


def datasets(s: Session, enterprise_id: int) -> list[Dataset]:
    return list(
        s.scalars(
            sa.select(Dataset)
            .where(Dataset.enterprise_id == enterprise_id)
            .order_by(Dataset.id.desc())
        )
    )


def jobs(s: Session, enterprise_id: int, limit: int = 20) -> list[Job]:
    return list(
        s.scalars(
            sa.select(Job)
            .where(Job.enterprise_id == enterprise_id)
            .order_by(Job.id.desc())
            .limit(limit)
        )
    )


# ---------------------------------------------------------------------------------------------
# Reading a finished assessment


def signed_file(paths: Paths, a: Assessment, kind: str) -> Path:
    """The file ``kind`` (:data:`FILES`) of a signed assessment, checked against the signed
    manifest first: :class:`Tampered` when a byte differs (never serve a changed file)."""
    if kind not in FILES:
        raise NotFound(f"no file kind {kind!r}")
    name = FILES[kind][0]
    path = paths.bundle(a.id) if kind == "bundle" else paths.signed(a.id) / name
    if a.status != "done" or not a.signed or not path.is_file():
        raise NotFound(f"assessment {a.id} has no {kind} yet")
    check_signed(paths, a, name, path)
    return path


def check_signed(paths: Paths, a: Assessment, name: str, path: Path) -> None:
    """``path`` holds what was signed: the manifest (``manifest.json`` and ``.sig``) is the
    one whose SHA-256 the database recorded when the assessment was signed, and the file's
    SHA-256 is the manifest's (the bundle's, the one recorded with it)."""
    recorded = a.files or {}
    folder = paths.signed(a.id)
    for part in ("manifest.json", "manifest.sig"):
        found = sha256_file(folder / part) if (folder / part).is_file() else "missing"
        if found != recorded.get(part):
            raise _tampered(a, part, recorded.get(part), found)
    if name == "bundle.zip":
        listed = recorded.get(name)
    else:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        listed = next((f["sha256"] for f in manifest.get("files", []) if f["path"] == name), None)
    found = sha256_file(path)
    if listed is None or found != listed:
        raise _tampered(a, name, listed, found)


def _tampered(a: Assessment, name: str, expected: str | None, found: str) -> Tampered:
    return Tampered(
        f"the file {name} of signed assessment {a.id} no longer matches its signed manifest "
        f"(sha256 {found}, signed {expected}); it is not served",
        key="tampered",
        file=name,
        assessment=a.id,
        enterprise=a.enterprise_id,
        expected=expected or "",
        found=found,
    )


def document(paths: Paths, a: Assessment) -> dict[str, Any]:
    path = signed_file(paths, a, "json")
    doc: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return doc


_FIGURE = re.compile(r"<figure>(.*?)</figure>", re.S)
_CAPTION = re.compile(r"<figcaption>(.*?)</figcaption>", re.S)
_chart_cache: dict[tuple[str, int], list[dict[str, str]]] = {}


def charts(paths: Paths, a: Assessment) -> list[dict[str, str]]:
    """The SVG figures of the signed report.html (the same charts as the report), each as
    ``{"svg": …, "caption": …}``; the file is immutable, so the result is cached."""
    key = (str(paths.root), a.id)
    if key in _chart_cache:
        return _chart_cache[key]
    html = paths.signed(a.id) / "report.html"
    out = []
    if a.status == "done" and html.is_file():
        signed_file(paths, a, "html")
        for m in _FIGURE.finditer(html.read_text("utf-8")):
            body = m.group(1)
            cap = _CAPTION.search(body)
            out.append(
                {
                    "svg": _CAPTION.sub("", body),
                    "caption": cap.group(1) if cap else "",
                }
            )
        _chart_cache[key] = out
    return out


def summarize(doc: dict[str, Any], spec_metrics: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """What the database keeps of an assessment for lists and comparisons."""
    assessment = metric_result.Assessment.from_json(doc)
    metrics = []
    for mid, m in assessment.metrics.items():
        zh, en = spec_metrics.get(mid, (mid, mid))
        metrics.append(
            {
                "id": mid,
                "name_zh": zh,
                "name_en": en,
                "value": m.value,
                "unit": m.unit,
                "grade": m.grade,
                "qualified": bool(m.qualified),
                "U": (m.uncertainty_budget or {}).get("U"),
            }
        )
    by_sku = assessment.metric("unit_product_energy").detail.get("by_sku") or {}
    ranking = sorted(
        (
            {
                "sku": sku,
                "value": v.get("value"),
                "unit": v.get("unit", ""),
                "good_qty": v.get("good_qty"),
                "good_mass_t": v.get("good_mass_t"),
            }
            for sku, v in by_sku.items()
            if isinstance(v, dict)
        ),
        key=lambda r: (r["value"] is None, -(r["value"] or 0.0)),
    )
    severities: dict[str, int] = {}
    for f in doc.get("findings", []):
        severities[f.get("severity", "info")] = severities.get(f.get("severity", "info"), 0) + 1
    return {
        "enterprise": doc.get("enterprise", {}),
        "period": doc.get("period", {}),
        "specification": doc.get("specification"),
        "metrics": metrics,
        "sku_ranking": ranking,
        "findings": severities,
    }


#: relative difference below which two values of a metric are the same figure (float64 keeps
#: about 16 digits; a different summation order moves the last one or two)
FLOAT_NOISE = 1e-12


def compare(a: Assessment, b: Assessment) -> list[dict[str, Any]]:
    """The six metrics of two assessments side by side, with b − a and its percentage."""
    ma = {m["id"]: m for m in (a.summary or {}).get("metrics", [])}
    mb = {m["id"]: m for m in (b.summary or {}).get("metrics", [])}
    rows = []
    for mid in list(ma) + [k for k in mb if k not in ma]:
        x, y = ma.get(mid), mb.get(mid)
        va = x.get("value") if x else None
        vb = y.get("value") if y else None
        delta = None
        if isinstance(va, int | float) and isinstance(vb, int | float):
            delta = vb - va
            if abs(delta) <= FLOAT_NOISE * max(abs(va), abs(vb)):
                # DuckDB sums floats in parallel, in an order that depends on thread
                # scheduling: the same data may differ in the last bits, the same figure
                delta = 0.0
        pct = delta / va * 100 if delta is not None and va else None
        ref = x or y or {}
        rows.append(
            {
                "id": mid,
                "name_zh": ref.get("name_zh", mid),
                "name_en": ref.get("name_en", mid),
                "unit": ref.get("unit", ""),
                "a": va,
                "b": vb,
                "delta": delta,
                "delta_pct": pct,
                "grade_a": x.get("grade") if x else None,
                "grade_b": y.get("grade") if y else None,
            }
        )
    return rows


def write_bundle(folder: Path, target: Path) -> str:
    """Zip the signed folder (report, assessment.json, manifest and signature); sha256."""
    tmp = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            zf.write(path, path.relative_to(folder).as_posix())
    tmp.replace(target)
    h = hashlib.sha256(target.read_bytes()).hexdigest()
    return h


def utc(t: dt.datetime | None) -> str:
    if t is None:
        return ""
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


__all__ = ["Paths", "now"]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Findings: owners and tracking

#: the evidence keys that name what a finding is about, in the order they are looked for
_SUBJECT_KEYS = (
    "meter",
    "meter_id",
    "controller",
    "controller_id",
    "stream",
    "stream_id",
    "instrument",
    "instrument_id",
    "furnace",
    "equipment",
    "sku",
    "customer",
    "carrier",
    "table",
)
_OWNER_LEN = 100


def finding_key(f: dict[str, Any]) -> tuple[str, str]:
    """The key a finding is followed by across assessments, and its subject: the code and
    the meter, controller, product … its evidence names (``quality.reading.gap:E-MAIN``)."""
    ev = f.get("evidence") or {}
    subject = next((str(ev[k]) for k in _SUBJECT_KEYS if ev.get(k) not in (None, "")), "")
    return (f"{f['code']}:{subject}" if subject else str(f["code"])), subject


def finding_tracks(s: Session, enterprise_id: int) -> dict[str, FindingTrack]:
    """The tracks of an enterprise's findings by key."""
    rows = s.scalars(sa.select(FindingTrack).where(FindingTrack.enterprise_id == enterprise_id))
    return {t.key: t for t in rows}


def tracked_findings(
    s: Session, paths: Paths, a: Assessment, doc: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The findings of assessment ``a`` with their key, owner and status: the track's when
    someone assigned or closed the finding, else the owner ``site.yaml`` names (``owner``
    of the finding) and ``open``. ``doc`` is the assessment's document when the caller has
    read it already."""
    if a.status != "done":
        return []
    tracks = finding_tracks(s, a.enterprise_id)
    out = []
    for f in (doc if doc is not None else document(paths, a)).get("findings", []):
        key, subject = finding_key(f)
        t = tracks.get(key)
        owner = f.get("owner") or {}
        out.append(
            {
                **f,
                "key": key,
                "subject": subject,
                "department": t.department if t else owner.get("department"),
                "person": t.person if t else (owner.get("person") or owner.get("role")),
                "status": t.status if t else "open",
                "note": t.note if t else "",
                "tracked": t is not None,
            }
        )
    return out


def update_finding(
    s: Session,
    paths: Paths,
    user: User,
    assessment_id: int,
    key: str,
    *,
    department: str | None = None,
    person: str | None = None,
    status: str | None = None,
    note: str | None = None,
    address: str = "",
) -> FindingTrack:
    """Assign a finding of an assessment to an owner, close or reopen it; audited.

    Raises
    ------
    NotFound
        The assessment is not visible to ``user`` or has no finding with ``key``.
    BadRequest
        A status other than open or closed, or an owner longer than 100 characters.
    """
    a = assessment(s, user, assessment_id)
    found = (
        {finding_key(f)[0]: f for f in document(paths, a).get("findings", [])}
        if (a.status == "done")
        else {}
    )
    if key not in found:
        raise NotFound(
            f"assessment {assessment_id} has no finding {key!r}",
            key="finding_not_found",
        )
    if status is not None and status not in FINDING_STATES:
        raise BadRequest(
            f"status: expected one of {', '.join(FINDING_STATES)}, found {status!r}",
            key="finding_status_bad",
        )
    for field_name, value in (("department", department), ("person", person)):
        if value is not None and len(value) > _OWNER_LEN:
            raise BadRequest(
                f"{field_name}: expected at most {_OWNER_LEN} characters, found {len(value)}",
                key="owner_too_long",
                n=_OWNER_LEN,
            )
    t = finding_tracks(s, a.enterprise_id).get(key)
    if t is None:
        f = found[key]
        t = FindingTrack(
            enterprise_id=a.enterprise_id,
            key=key,
            code=f["code"],
            subject=finding_key(f)[1],
            status="open",
            note="",
            updated_by=user.id,
        )
        s.add(t)
    before = {"department": t.department, "person": t.person, "status": t.status}
    if department is not None:
        t.department = department.strip() or None
    if person is not None:
        t.person = person.strip() or None
    if note is not None:
        t.note = note[:2000]
    if status is not None and status != t.status:
        t.status = status
        t.closed_at = now() if status == "closed" else None
    t.assessment_id, t.updated_by, t.updated_at = a.id, user.id, now()
    after = {"department": t.department, "person": t.person, "status": t.status}
    action = (
        "finding.close"
        if before["status"] != "closed" and after["status"] == "closed"
        else "finding.reopen"
        if before["status"] == "closed" and after["status"] == "open"
        else "finding.assign"
    )
    s.flush()
    audit(
        s,
        user,
        action,
        enterprise_id=a.enterprise_id,
        target=key[:100],
        address=address,
        detail={"assessment": a.id, "before": before, "after": after},
    )
    return t


# ---------------------------------------------------------------------------------------------
# Readiness of an upload (issue 19, part 1)

_readiness_cache: dict[tuple[str, int], dict[str, Any]] = {}


def readiness_of(paths: Paths, limits: Any, d: Dataset) -> dict[str, Any]:
    """The readiness check (:func:`thermaudit.readiness.readiness`) of an uploaded dataset,
    imported or refused: what it lacks for each metric. The upload never changes, so the
    answer is kept.

    Raises
    ------
    BadRequest
        The upload cannot be unpacked, or its ``site.yaml`` is missing or invalid (the
        message names the file, line and key).
    """
    import tempfile

    from thermaudit.errors import ThermauditError
    from thermaudit.readiness import readiness
    from thermaudit.web.uploads import extract_zip, workbook_dataset

    key = (str(paths.root), d.id)
    if key in _readiness_cache:
        return _readiness_cache[key]
    upload = paths.upload(d.id, d.kind)
    paths.tmp().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"readiness-{d.id}-", dir=paths.tmp()) as tmp:
        label = "upload.xlsx" if d.kind == "xlsx" else "upload.zip"
        try:
            folder = (
                workbook_dataset(upload, label, Path(tmp) / "dataset", limits)
                if d.kind == "xlsx"
                else extract_zip(upload, label, Path(tmp) / "dataset", limits)
            )
            doc = readiness(None, folder)
        except ThermauditError as exc:
            raise BadRequest(str(exc), key="readiness_refused") from None
    _readiness_cache[key] = doc
    return doc
