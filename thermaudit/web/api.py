"""The JSON API under ``/api`` (OpenAPI document at ``/openapi.json``).

Authentication: ``Authorization: Bearer <token>`` (``POST /api/token``) or the browser's
session cookie; with the cookie, POST/PATCH/DELETE need the ``X-CSRF-Token`` header
(``GET /api/me`` returns it).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from thermaudit.web import services
from thermaudit.web.app import (
    CSRF_HEADER,
    Auth,
    LoginRefused,
    check_csrf,
    client_address,
    db,
    open_session,
    require,
    sign_in,
)
from thermaudit.web.models import Assessment, Dataset, Job, Organization, User

router = APIRouter(prefix="/api", tags=["api"])
Id = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
#: text a user may enter: no NUL (PostgreSQL refuses it in text), bounded length
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
#: committed before the response is sent ("function" scope): a redirect to a job page
#: must find the job, and a client may act on a 2xx at once
DB = Annotated[Session, Depends(db, scope="function")]


def user(request: Request, s: DB) -> Auth:
    return require(request, s)


def writer(request: Request, s: DB) -> Auth:
    """A signed-in user making an unsafe request: CSRF is checked for cookie sessions."""
    auth = require(request, s)
    check_csrf(auth, request.headers.get(CSRF_HEADER))
    return auth


Reader = Annotated[Auth, Depends(user)]
Writer = Annotated[Auth, Depends(writer)]


# ---------------------------------------------------------------------------------------------
# Schemas


class TokenRequest(BaseModel):
    email: Text
    password: Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[^\x00]*$")]


class TokenOut(BaseModel):
    token: str
    expires_at: dt.datetime


class Me(BaseModel):
    id: int
    email: str
    name: str
    role: str
    organizations: list[int]
    csrf_token: str


class OrganizationOut(BaseModel):
    id: int
    kind: str
    name: str


class EnterpriseOut(OrganizationOut):
    grants: list[OrganizationOut] = []


class OrganizationIn(BaseModel):
    kind: Literal["enterprise", "assessment_body"]
    name: Text


class UserIn(BaseModel):
    email: Text
    name: Text
    password: Annotated[str, Field(min_length=10, max_length=500, pattern=r"^[^\x00]*$")]
    role: Literal["enterprise_member", "assessor", "admin"]
    organization_id: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = None


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: str


class GrantIn(BaseModel):
    body_id: Annotated[int, Field(ge=1, le=2**31 - 1)]


class JobOut(BaseModel):
    id: int
    kind: str
    state: str
    progress: int
    message: str
    #: why it failed: an i18n key (``job_timeout``, ``job_interrupted``, ``job_crashed``,
    #: ``job_refused``, ``job_error``, ``rejected_summary``, …) and its parameters
    reason: dict[str, str] | None = None
    enterprise_id: int
    dataset_id: int | None
    assessment_id: int | None
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None


class ProblemOut(BaseModel):
    file: str
    row: int | None
    column: str | None
    expected: str
    found: str


class DatasetOut(BaseModel):
    id: int
    enterprise_id: int
    original_name: str
    kind: str
    size: int
    sha256: str
    status: str
    import_id: str | None
    message: str | None = None
    problems: list[ProblemOut] = []
    created_at: dt.datetime


class UploadOut(BaseModel):
    dataset: DatasetOut
    job: JobOut


class AssessIn(BaseModel):
    # the report languages (thermaudit.report.labels.LANGS), the default first
    lang: Literal["zh+en", "zh", "en", "ko", "zh+ko", "en+ko"] = "zh+en"


class MetricOut(BaseModel):
    id: str
    name_zh: str
    name_en: str
    value: float | None
    unit: str
    grade: str | None
    qualified: bool
    U: float | None


class AssessmentOut(BaseModel):
    id: int
    enterprise_id: int
    version: int
    previous_id: int | None
    status: str
    lang: str
    signed: bool
    signed_at: dt.datetime | None
    fingerprint: str | None
    files: dict[str, str]
    period: dict[str, Any] = {}
    metrics: list[MetricOut] = []
    sku_ranking: list[dict[str, Any]] = []
    findings: dict[str, int] = {}
    created_at: dt.datetime


class StartOut(BaseModel):
    assessment: AssessmentOut
    job: JobOut


class CompareRow(BaseModel):
    id: str
    name_zh: str
    name_en: str
    unit: str
    a: float | None
    b: float | None
    delta: float | None
    delta_pct: float | None
    grade_a: str | None
    grade_b: str | None


class CompareOut(BaseModel):
    a: AssessmentOut
    b: AssessmentOut
    rows: list[CompareRow]


class FindingOut(BaseModel):
    """One finding of an assessment with who answers for it and whether it is closed."""

    key: str
    code: str
    severity: str
    message: str
    message_zh: str
    message_ko: str
    subject: str
    department: str | None
    person: str | None
    status: Literal["open", "closed"]
    note: str


OwnerText = Annotated[str, Field(max_length=100, pattern=r"^[^\x00]*$")]


class FindingIn(BaseModel):
    """Assign a finding (department, person), close or reopen it (status), note why."""

    model_config = {"extra": "forbid"}

    key: Annotated[str, Field(min_length=1, max_length=300, pattern=r"^[^\x00]*$")]
    department: OwnerText | None = None
    person: OwnerText | None = None
    status: Literal["open", "closed"] | None = None
    note: Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")] | None = None


class AuditOut(BaseModel):
    id: int
    at: dt.datetime
    user_id: int | None
    action: str
    enterprise_id: int | None
    target: str
    address: str
    detail: dict[str, Any] | None


def job_out(j: Job) -> JobOut:
    return JobOut.model_validate(j, from_attributes=True)


def dataset_out(d: Dataset) -> DatasetOut:
    p = d.problems or {}
    return DatasetOut(
        id=d.id,
        enterprise_id=d.enterprise_id,
        original_name=d.original_name,
        kind=d.kind,
        size=d.size,
        sha256=d.sha256,
        status=d.status,
        import_id=d.import_id,
        message=p.get("message"),
        problems=[ProblemOut(**x) for x in p.get("problems", [])],
        created_at=d.created_at,
    )


def assessment_out(a: Assessment) -> AssessmentOut:
    summary = a.summary or {}
    return AssessmentOut(
        id=a.id,
        enterprise_id=a.enterprise_id,
        version=a.version,
        previous_id=a.previous_id,
        status=a.status,
        lang=a.lang,
        signed=a.signed,
        signed_at=a.signed_at,
        fingerprint=a.fingerprint,
        files=a.files or {},
        period=summary.get("period", {}),
        metrics=[MetricOut(**m) for m in summary.get("metrics", [])],
        sku_ranking=summary.get("sku_ranking", []),
        findings=summary.get("findings", {}),
        created_at=a.created_at,
    )


def org_out(o: Organization) -> OrganizationOut:
    return OrganizationOut(id=o.id, kind=o.kind, name=o.name)


# ---------------------------------------------------------------------------------------------
# Routes


@router.post("/token", response_model=TokenOut, responses={401: {}, 429: {}})
def create_token(body: TokenRequest, request: Request, s: DB) -> Any:
    """Exchange e-mail and password for a bearer token (valid for the session lifetime)."""
    try:
        u = sign_in(request, s, body.email, body.password)
    except LoginRefused as exc:
        if exc.retry_after:
            return JSONResponse(
                {"detail": str(exc)},
                status_code=429,
                headers={"Retry-After": str(int(exc.retry_after) + 1)},
            )
        return JSONResponse({"detail": str(exc)}, status_code=401)
    token, row = open_session(request, s, u, "api")
    services.audit(s, u, "token.create", address=client_address(request))
    return TokenOut(token=token, expires_at=row.expires_at)


@router.get("/me", response_model=Me)
def me(auth: Reader, s: DB) -> Me:
    u = auth.user
    return Me(
        id=u.id,
        email=u.email,
        name=u.name,
        role=u.role,
        organizations=services.member_org_ids(s, u),
        csrf_token=auth.session.csrf,
    )


@router.get("/enterprises", response_model=list[EnterpriseOut])
def list_enterprises(auth: Reader, s: DB) -> list[EnterpriseOut]:
    return [
        EnterpriseOut(
            id=e.id, kind=e.kind, name=e.name, grants=[org_out(g) for g in services.grants(s, e.id)]
        )
        for e in services.enterprises(s, auth.user)
    ]


@router.get("/enterprises/{enterprise_id}", response_model=EnterpriseOut, responses={404: {}})
def get_enterprise(enterprise_id: Id, auth: Reader, s: DB) -> EnterpriseOut:
    e = services.enterprise(s, auth.user, enterprise_id)
    return EnterpriseOut(
        id=e.id, kind=e.kind, name=e.name, grants=[org_out(g) for g in services.grants(s, e.id)]
    )


@router.post(
    "/enterprises/{enterprise_id}/grants",
    status_code=204,
    responses={403: {}, 404: {}, 409: {}, 422: {}},
)
def create_grant(enterprise_id: Id, body: GrantIn, request: Request, auth: Writer, s: DB) -> None:
    services.grant(s, auth.user, enterprise_id, body.body_id, address=client_address(request))


@router.delete(
    "/enterprises/{enterprise_id}/grants/{body_id}", status_code=204, responses={403: {}, 404: {}}
)
def delete_grant(enterprise_id: Id, body_id: Id, request: Request, auth: Writer, s: DB) -> None:
    services.revoke(s, auth.user, enterprise_id, body_id, address=client_address(request))


@router.get(
    "/enterprises/{enterprise_id}/datasets", response_model=list[DatasetOut], responses={404: {}}
)
def list_datasets(enterprise_id: Id, auth: Reader, s: DB) -> list[DatasetOut]:
    e = services.enterprise(s, auth.user, enterprise_id)
    return [dataset_out(d) for d in services.datasets(s, e.id)]


@router.post(
    "/enterprises/{enterprise_id}/datasets",
    response_model=UploadOut,
    status_code=202,
    responses={404: {}, 413: {}, 422: {}},
)
def upload_dataset(
    enterprise_id: Id,
    request: Request,
    auth: Writer,
    s: DB,
    file: Annotated[UploadFile, File(description=".zip of the dataset folder or .xlsx")],
    replace: Annotated[bool, Form()] = False,
) -> UploadOut:
    """Queue the import of an uploaded dataset; follow ``job`` at ``/api/jobs/{id}``."""
    d, j = accept_upload(request, s, auth.user, enterprise_id, file, replace=replace)
    return UploadOut(dataset=dataset_out(d), job=job_out(j))


def accept_upload(
    request: Request,
    s: Session,
    user: User,
    enterprise_id: int,
    file: UploadFile,
    *,
    replace: bool,
) -> tuple[Dataset, Job]:
    """Store an upload, record the dataset and queue its import (API and page alike); the
    enterprise is checked (404) before a byte is written."""
    services.enterprise(s, user, enterprise_id)
    stored = save_upload(request, file)
    try:
        d, j = services.add_upload(
            s,
            request.app.state.paths,
            user,
            enterprise_id,
            filename=file.filename or "",
            stored=stored,
            replace=replace,
            address=client_address(request),
        )
    finally:
        stored.unlink(missing_ok=True)
    s.flush()
    wake(request)
    return d, j


def save_upload(request: Request, file: UploadFile) -> Path:
    """Copy an upload to a server-named temporary file under the data folder, refusing it
    past the upload limit (413)."""
    paths: services.Paths = request.app.state.paths
    limit = request.app.state.settings.upload_limit
    paths.tmp().mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=paths.tmp())
    target = Path(name)
    size = 0
    with open(fd, "wb") as out:
        while chunk := file.file.read(1 << 20):
            size += len(chunk)
            if size > limit:
                out.close()
                target.unlink(missing_ok=True)
                raise services.UploadTooLarge(limit)
            out.write(chunk)
    if size == 0:
        target.unlink(missing_ok=True)
        raise services.BadRequest("file: expected a non-empty upload")
    return target


def wake(request: Request) -> None:
    worker = request.app.state.worker
    if worker is not None:
        worker.wake()


@router.get("/datasets/{dataset_id}", response_model=DatasetOut, responses={404: {}})
def get_dataset(dataset_id: Id, auth: Reader, s: DB) -> DatasetOut:
    return dataset_out(services.dataset(s, auth.user, dataset_id))


@router.post(
    "/datasets/{dataset_id}/retry",
    response_model=UploadOut,
    status_code=202,
    responses={404: {}, 409: {}},
)
def retry_dataset(dataset_id: Id, request: Request, auth: Writer, s: DB) -> UploadOut:
    """Run a failed import (interrupted, stopped at the time limit, crashed) again from the
    upload the server kept; 409 for a dataset that did not fail."""
    d, j = services.retry_import(
        s, request.app.state.paths, auth.user, dataset_id, address=client_address(request)
    )
    wake(request)
    return UploadOut(dataset=dataset_out(d), job=job_out(j))


@router.get("/jobs/{job_id}", response_model=JobOut, responses={404: {}})
def get_job(job_id: Id, auth: Reader, s: DB) -> JobOut:
    return job_out(services.job(s, auth.user, job_id))


@router.get(
    "/enterprises/{enterprise_id}/assessments",
    response_model=list[AssessmentOut],
    responses={404: {}},
)
def list_assessments(enterprise_id: Id, auth: Reader, s: DB) -> list[AssessmentOut]:
    e = services.enterprise(s, auth.user, enterprise_id)
    return [assessment_out(a) for a in services.history(s, e.id)]


@router.post(
    "/enterprises/{enterprise_id}/assessments",
    response_model=StartOut,
    status_code=202,
    responses={404: {}, 409: {}},
)
def start_assessment(
    enterprise_id: Id, body: AssessIn, request: Request, auth: Writer, s: DB
) -> StartOut:
    """Assess the enterprise's current data, write the report and sign it (a new version)."""
    a, j = services.start_assessment(
        s, auth.user, enterprise_id, lang=body.lang, address=client_address(request)
    )
    wake(request)
    return StartOut(assessment=assessment_out(a), job=job_out(j))


@router.get("/assessments/{assessment_id}", response_model=AssessmentOut, responses={404: {}})
def get_assessment(assessment_id: Id, auth: Reader, s: DB) -> AssessmentOut:
    return assessment_out(services.assessment(s, auth.user, assessment_id))


def _finding_out(f: dict[str, Any]) -> FindingOut:
    return FindingOut.model_validate({**f, "note": f.get("note") or ""})


@router.get("/datasets/{dataset_id}/readiness", responses={400: {}, 404: {}})
def dataset_readiness(dataset_id: Id, request: Request, auth: Reader, s: DB) -> dict[str, Any]:
    """The readiness check of an upload (``thermaudit.readiness/1``): per metric, can it be
    computed and at what data quality, and every gap with its owner, effort and the
    certificate renewals it endangers."""
    from thermaudit.web.pages import upload_limits

    d = services.dataset(s, auth.user, dataset_id)
    return services.readiness_of(request.app.state.paths, upload_limits(request), d)


@router.get(
    "/assessments/{assessment_id}/findings",
    response_model=list[FindingOut],
    responses={404: {}},
)
def list_findings(assessment_id: Id, request: Request, auth: Reader, s: DB) -> list[FindingOut]:
    """The assessment's findings with their owner and status (open until closed)."""
    a = services.assessment(s, auth.user, assessment_id)
    return [_finding_out(f) for f in services.tracked_findings(s, request.app.state.paths, a)]


@router.post(
    "/assessments/{assessment_id}/findings",
    response_model=FindingOut,
    responses={404: {}, 422: {}},
)
def update_finding(
    assessment_id: Id, body: FindingIn, request: Request, auth: Writer, s: DB
) -> FindingOut:
    """Assign a finding to its owner, close or reopen it; every change is audited."""
    paths = request.app.state.paths
    services.update_finding(
        s,
        paths,
        auth.user,
        assessment_id,
        body.key,
        department=body.department,
        person=body.person,
        status=body.status,
        note=body.note,
        address=client_address(request),
    )
    a = services.assessment(s, auth.user, assessment_id)
    return _finding_out(
        next(f for f in services.tracked_findings(s, paths, a) if f["key"] == body.key)
    )


@router.post(
    "/assessments/{assessment_id}/rerun",
    response_model=StartOut,
    status_code=202,
    responses={404: {}, 409: {}},
)
def rerun_assessment(assessment_id: Id, request: Request, auth: Writer, s: DB) -> StartOut:
    """Run an assessment again: a new version; the old one stays as signed."""
    a, j = services.rerun(s, auth.user, assessment_id, address=client_address(request))
    wake(request)
    return StartOut(assessment=assessment_out(a), job=job_out(j))


@router.delete("/assessments/{assessment_id}", responses={404: {}, 409: {}})
def delete_assessment(assessment_id: Id, request: Request, auth: Writer, s: DB) -> JSONResponse:
    """Always refused: assessments are kept (signed ones are immutable)."""
    msg = services.refuse_change(
        s, auth.user, assessment_id, "delete", address=client_address(request)
    )
    return JSONResponse({"detail": msg}, status_code=409)


@router.patch("/assessments/{assessment_id}", responses={404: {}, 409: {}})
def change_assessment(assessment_id: Id, request: Request, auth: Writer, s: DB) -> JSONResponse:
    """Always refused: a signed assessment never changes; run it again for a new version."""
    msg = services.refuse_change(
        s, auth.user, assessment_id, "change", address=client_address(request)
    )
    return JSONResponse({"detail": msg}, status_code=409)


@router.get(
    "/assessments/{assessment_id}/files/{kind}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}, 404: {}},
)
def download(
    assessment_id: Id,
    kind: Literal[
        "pdf",
        "html",
        "xlsx",
        "json",
        "pcf",
        "cbam",
        "cbam-json",
        "esrs",
        "esrs-xbrl",
        "vsme",
        "vsme-xbrl",
        "kesg",
        "pact",
        "bundle",
    ],
    request: Request,
    auth: Reader,
    s: DB,
) -> FileResponse:
    return file_response(request, s, auth.user, assessment_id, kind)


def file_response(
    request: Request, s: Session, u: User, assessment_id: int, kind: str
) -> FileResponse:
    """A file of a signed assessment, checked against its signed manifest before it is
    served (:func:`services.signed_file`)."""
    a = services.assessment(s, u, assessment_id)
    paths: services.Paths = request.app.state.paths
    path = services.signed_file(paths, a, kind)
    name, media = services.FILES[kind]
    services.audit(
        s,
        u,
        "assessment.download",
        enterprise_id=a.enterprise_id,
        target=f"assessment:{a.id}",
        address=client_address(request),
        detail={"file": kind},
    )
    stem = f"thermaudit-{a.enterprise_id}-v{a.version}"
    filename = f"{stem}-{name}" if kind != "bundle" else f"{stem}-signed.zip"
    return FileResponse(path, media_type=media, filename=filename)


@router.get("/compare", response_model=CompareOut, responses={404: {}})
def compare(
    a: Annotated[int, Query(ge=1, le=2**31 - 1)],
    b: Annotated[int, Query(ge=1, le=2**31 - 1)],
    auth: Reader,
    s: DB,
) -> CompareOut:
    x = services.assessment(s, auth.user, a)
    y = services.assessment(s, auth.user, b)
    return CompareOut(
        a=assessment_out(x),
        b=assessment_out(y),
        rows=[CompareRow(**r) for r in services.compare(x, y)],
    )


@router.get("/organizations", response_model=list[OrganizationOut], responses={403: {}})
def list_organizations(auth: Reader, s: DB) -> list[OrganizationOut]:
    services.require_admin(auth.user)
    from sqlalchemy import select

    return [org_out(o) for o in s.scalars(select(Organization).order_by(Organization.id))]


@router.post(
    "/organizations", response_model=OrganizationOut, status_code=201, responses={403: {}, 422: {}}
)
def create_organization(body: OrganizationIn, auth: Writer, s: DB) -> OrganizationOut:
    return org_out(services.create_organization(s, auth.user, body.kind, body.name))


@router.post(
    "/users", response_model=UserOut, status_code=201, responses={403: {}, 409: {}, 422: {}}
)
def create_user(body: UserIn, auth: Writer, s: DB) -> UserOut:
    u = services.create_user(
        s,
        auth.user,
        email=body.email,
        name=body.name,
        password=body.password,
        role=body.role,
        organization_id=body.organization_id,
    )
    return UserOut(id=u.id, email=u.email, name=u.name, role=u.role)


@router.get("/audit", response_model=list[AuditOut], responses={403: {}})
def audit_log(
    auth: Reader,
    s: DB,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditOut]:
    services.require_admin(auth.user)
    from sqlalchemy import select

    from thermaudit.web.models import AuditEntry

    rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
    return [AuditOut.model_validate(r, from_attributes=True) for r in rows]
