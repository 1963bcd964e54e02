"""Server-rendered pages (Jinja2). Forms post with the session's CSRF token in a hidden
field; the job page polls ``/api/jobs/{id}`` with a few lines of JavaScript (and refreshes
itself without JavaScript)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from thermaudit.report.fmt import fmt, fmt_measured
from thermaudit.report.labels import term
from thermaudit.web import buyers, services
from thermaudit.web.api import accept_upload, file_response, wake
from thermaudit.web.app import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    Auth,
    LoginRefused,
    Viewer,
    check_csrf,
    client_address,
    cookie_secure,
    db,
    open_session,
    require,
    sign_in,
)
from thermaudit.web.i18n import HTML_LANG, LANGUAGES, NATIVE, WORDS, accepted, translate
from thermaudit.web.models import AuditEntry, Organization, SessionRow, User
from thermaudit.web.security import new_token, same

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("thermaudit.web") / "templates"))
Id = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
#: committed before the response is sent ("function" scope): a redirect to a job page
#: must find the job, and a client may act on a 2xx at once
DB = Annotated[Session, Depends(db, scope="function")]
Csrf = Annotated[str, Form(max_length=200)]


def lang_of(request: Request) -> str:
    q = request.query_params.get("lang")
    if q in LANGUAGES:
        return q
    c = request.cookies.get("lang")
    if c in LANGUAGES:
        return c
    return accepted(request.headers.get("accept-language", ""))


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    ctx.update(
        request=request,
        lang=lang,
        t=lambda key, **kw: translate(key, lang, **kw),
        say=lambda reason, fallback="": _say(reason, lang, fallback),
        html_lang=HTML_LANG[lang],
        other_langs=[(x, NATIVE[x]) for x in LANGUAGES if x != lang],
        me=viewer,
        csrf=viewer.csrf if viewer else "",
        utc=services.utc,
        fmt=_fmt,
        fmt_vu=_fmt_vu,
        term=lambda group, key: term(group, key).get(lang) if key else "–",
        metric_name=lambda m: _metric_name(m, lang),
        finding_message=lambda f: _finding_message(f, lang),
        report_lang=lambda code: " + ".join(NATIVE[x] for x in code.split("+")),
    )
    response = templates.TemplateResponse(request, name, ctx, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


@cache
def _metric_names() -> dict[str, tuple[str, str, str]]:
    """Metric id → (zh, en, ko) names of the default specification (parsed once)."""
    from thermaudit.metrics.spec import load_spec

    return {x.id: (x.name_zh, x.name_en, x.name_ko) for x in load_spec().metrics}


def _metric_name(m: dict[str, Any], lang: str) -> str:
    """A metric's name in ``lang`` from the specification (an assessment's stored summary
    keeps the Chinese and English names only); the stored name for a metric it lacks."""
    stored = (m.get("name_zh"), m.get("name_en"), m.get("name_en"))
    zh, en, ko = _metric_names().get(m["id"], stored)
    return str({"zh": zh, "ko": ko}.get(lang, en) or m["id"])


def _finding_message(f: dict[str, Any], lang: str) -> str:
    """A finding's message in ``lang``, with the data contract's words (a carrier, a meter
    event) in that language (:func:`thermaudit.report.content.finding_text`)."""
    from thermaudit.report.content import finding_text

    try:
        return finding_text(f).get(lang)
    except (KeyError, TypeError):  # a finding record of another shape: as stored
        return str(f.get("message", ""))


def _say(reason: Any, lang: str, fallback: str) -> str:
    """A stored reason (``{"key": …, params}``) in ``lang``; ``fallback`` without one."""
    if isinstance(reason, dict) and isinstance(reason.get("key"), str):
        params = {k: v for k, v in reason.items() if k != "key"}
        try:
            return translate(reason["key"], lang, **params)
        except (KeyError, IndexError, ValueError):  # a reason of an older version
            return fallback or reason["key"]
    return fallback


def _fmt(x: Any, decimals: int | None = None) -> str:
    """A figure as the report prints it (:func:`thermaudit.report.fmt.fmt`); ``decimals`` for
    a fixed number of places (a percentage change to 1, a count to 0)."""
    if decimals is None or not isinstance(x, int | float) or isinstance(x, bool):
        return fmt(x)
    return fmt(x) if x is None else f"{x:,.{decimals}f}"


def _fmt_vu(value: Any, u: Any, unit: str | None = None) -> tuple[str, str]:
    """A metric's value and U (k=2), as every output prints them (GUM 7.2.6)."""
    return fmt_measured(value, u, unit)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", status=status, status_code=status, message=message)


def page_user(request: Request, s: DB) -> Auth:
    return require(request, s)


Page = Annotated[Auth, Depends(page_user)]


def back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ---------------------------------------------------------------------------------------------
# Sign in and out


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    token = new_token()
    response = render(request, "login.html", next=_safe_next(next), login_csrf=token, error="")
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=cookie_secure(request)
    )
    return response


@router.post("/login")
def login(
    request: Request,
    s: DB,
    email: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=500)],
    csrf_token: Csrf,
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not same(cookie, csrf_token):
        return error_page(request, 403, "missing or wrong CSRF token; reload the sign-in page")
    try:
        user = sign_in(request, s, email, password)
    except LoginRefused as exc:
        msg = exc.say(lang_of(request))
        return render(
            request,
            "login.html",
            status=429 if exc.retry_after else 401,
            next=_safe_next(next),
            login_csrf=cookie,
            error=msg,
        )
    token, _row = open_session(request, s, user, "web")
    response = back(_safe_next(next))
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        secure=cookie_secure(request),
        samesite="lax",
        max_age=int(request.app.state.settings.session_hours * 3600),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


def _safe_next(url: str) -> str:
    """Only a local path (no scheme, no host, no //) is followed after signing in."""
    if not url.startswith("/") or url.startswith("//") or "\\" in url or "\n" in url:
        return "/"
    return url


@router.post("/logout")
def logout(request: Request, s: DB, auth: Page, csrf_token: Csrf) -> Response:
    check_csrf(auth, csrf_token)
    s.execute(sa.delete(SessionRow).where(SessionRow.id == auth.session.id))
    services.audit(s, auth.user, "logout", address=client_address(request))
    response = back("/login")
    response.delete_cookie(COOKIE)
    return response


# ---------------------------------------------------------------------------------------------
# Enterprises


@router.get("/")
def dashboard(request: Request, s: DB, auth: Page) -> HTMLResponse:
    rows = []
    for e in services.enterprises(s, auth.user):
        hist = services.history(s, e.id)
        latest = next((a for a in hist if a.status == "done"), None)
        rows.append({"org": e, "latest": latest, "versions": len(hist)})
    return render(request, "dashboard.html", rows=rows)


@router.get("/enterprises/{enterprise_id}")
def enterprise_page(enterprise_id: Id, request: Request, s: DB, auth: Page) -> HTMLResponse:
    e = services.enterprise(s, auth.user, enterprise_id)
    hist = services.history(s, e.id)
    latest = next((a for a in hist if a.status == "done"), None)
    return render(
        request,
        "enterprise.html",
        org=e,
        datasets=services.datasets(s, e.id),
        history=hist,
        latest=latest,
        jobs=services.jobs(s, e.id),
        grants=services.grants(s, e.id),
        bodies=services.bodies(s) if services.may_grant(auth.user) else [],
        may_grant=services.may_grant(auth.user),
        langs=services.LANGS,
        pact_clients=buyers.clients(s, auth.user, e.id) if services.may_grant(auth.user) else [],
        pact_skus=_pact_skus(request, s, e.id) if services.may_grant(auth.user) else [],
    )


def _pact_skus(request: Request, s: Session, enterprise_id: int) -> list[str]:
    try:
        return buyers.known_skus(s, request.app.state.paths, enterprise_id)
    except services.BadRequest:  # no signed assessment yet: the form says so
        return []


@router.post("/enterprises/{enterprise_id}/pact-clients")
def create_pact_client(
    enterprise_id: Id,
    request: Request,
    s: DB,
    auth: Page,
    csrf_token: Csrf,
    buyer: Annotated[str, Form(max_length=200)] = "",
    skus: Annotated[list[str] | None, Form(max_length=100)] = None,
) -> HTMLResponse:
    """Credentials for a buyer; the page shows the secret this once."""
    check_csrf(auth, csrf_token)
    new = buyers.create_client(
        s,
        request.app.state.paths,
        auth.user,
        enterprise_id,
        buyer,
        skus or [],
        address=client_address(request),
    )
    base = str(request.base_url).rstrip("/")
    return render(
        request,
        "pact_client.html",
        status=201,
        org=services.enterprise(s, auth.user, enterprise_id),
        client=new.client,
        secret=new.secret,
        base=base,
        token_url=f"{base}/auth/token",
    )


@router.post("/enterprises/{enterprise_id}/pact-clients/{client_pk}/revoke")
def revoke_pact_client(
    enterprise_id: Id, client_pk: Id, request: Request, s: DB, auth: Page, csrf_token: Csrf
) -> Response:
    check_csrf(auth, csrf_token)
    buyers.revoke_client(s, auth.user, enterprise_id, client_pk, address=client_address(request))
    return back(f"/enterprises/{enterprise_id}")


@router.post("/enterprises/{enterprise_id}/upload")
def upload(
    enterprise_id: Id,
    request: Request,
    s: DB,
    auth: Page,
    csrf_token: Csrf,
    file: Annotated[UploadFile, File()],
    replace: Annotated[bool, Form()] = False,
) -> Response:
    check_csrf(auth, csrf_token)
    _d, j = accept_upload(request, s, auth.user, enterprise_id, file, replace=replace)
    return back(f"/jobs/{j.id}")


@router.post("/enterprises/{enterprise_id}/assess")
def assess(
    enterprise_id: Id,
    request: Request,
    s: DB,
    auth: Page,
    csrf_token: Csrf,
    lang: Annotated[str, Form(max_length=10)] = "zh+en",
) -> Response:
    check_csrf(auth, csrf_token)
    _a, j = services.start_assessment(
        s, auth.user, enterprise_id, lang=lang, address=client_address(request)
    )
    wake(request)
    return back(f"/jobs/{j.id}")


@router.post("/enterprises/{enterprise_id}/grants")
def grants(
    enterprise_id: Id,
    request: Request,
    s: DB,
    auth: Page,
    csrf_token: Csrf,
    body_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    action: Annotated[str, Form(pattern="^(grant|revoke)$")] = "grant",
) -> Response:
    check_csrf(auth, csrf_token)
    addr = client_address(request)
    if action == "grant":
        services.grant(s, auth.user, enterprise_id, body_id, address=addr)
    else:
        services.revoke(s, auth.user, enterprise_id, body_id, address=addr)
    return back(f"/enterprises/{enterprise_id}")


@router.get("/datasets/{dataset_id}")
def dataset_page(dataset_id: Id, request: Request, s: DB, auth: Page) -> HTMLResponse:
    d = services.dataset(s, auth.user, dataset_id)
    org = services.enterprise(s, auth.user, d.enterprise_id)
    return render(
        request,
        "dataset.html",
        d=d,
        org=org,
        problems=d.problems or {},
        job=services.last_job(s, dataset_id=d.id),
    )


def upload_limits(request: Request) -> Any:
    """The unpacking limits of the service's settings (as the import applies them)."""
    from thermaudit.web.uploads import Limits

    st = request.app.state.settings
    return Limits(st.unzip_limit, st.unzip_max_files, st.unzip_max_ratio)


@router.get("/datasets/{dataset_id}/readiness")
def readiness_page(dataset_id: Id, request: Request, s: DB, auth: Page) -> HTMLResponse:
    """What the upload lacks for each metric, before an assessor comes (issue 19)."""
    from thermaudit.readiness.gaps import EFFORTS
    from thermaudit.readiness.sheet import COMPUTABLE, LEVEL, owner_text

    d = services.dataset(s, auth.user, dataset_id)
    org = services.enterprise(s, auth.user, d.enterprise_id)
    lang = lang_of(request)
    doc = services.readiness_of(request.app.state.paths, upload_limits(request), d)
    metrics = [
        {
            "name": m["name"][lang],
            "computable": COMPUTABLE[m["computable"]][0].get(lang),
            "computable_key": m["computable"],
            "level": LEVEL[m["level"]][0].get(lang),
            "level_key": m["level"],
            "gaps": len(m["gaps"]),
        }
        for m in doc["metrics"]
    ]
    names = {m["metric"]: m["name"][lang] for m in doc["metrics"]}
    gaps = [
        {
            "message": g["message"][lang],
            "metrics": [names[x] for x in g["metrics"] if x in names],
            "blocking": bool(g["blocking"]),
            "owner": owner_text(g["owner"]),
            "effort": EFFORTS[g["effort"]].get(lang),
            "renewals": [
                f"{r['renewal_due']} {r['scheme']} {r['sku']}" for r in g.get("renewals") or []
            ],
        }
        for g in doc["gaps"]
    ]
    return render(request, "readiness.html", d=d, org=org, doc=doc, metrics=metrics, gaps=gaps)


@router.post("/datasets/{dataset_id}/retry")
def retry_dataset(
    dataset_id: Id, request: Request, s: DB, auth: Page, csrf_token: Csrf
) -> Response:
    check_csrf(auth, csrf_token)
    _d, j = services.retry_import(
        s, request.app.state.paths, auth.user, dataset_id, address=client_address(request)
    )
    wake(request)
    return back(f"/jobs/{j.id}")


@router.get("/jobs/{job_id}")
def job_page(job_id: Id, request: Request, s: DB, auth: Page) -> HTMLResponse:
    j = services.job(s, auth.user, job_id)
    org = services.enterprise(s, auth.user, j.enterprise_id)
    target = f"/assessments/{j.assessment_id}" if j.assessment_id else f"/datasets/{j.dataset_id}"
    return render(request, "job.html", j=j, org=org, target=target)


# ---------------------------------------------------------------------------------------------
# Assessments


@router.get("/assessments/{assessment_id}")
def assessment_page(assessment_id: Id, request: Request, s: DB, auth: Page) -> HTMLResponse:
    a = services.assessment(s, auth.user, assessment_id)
    org = services.enterprise(s, auth.user, a.enterprise_id)
    paths: services.Paths = request.app.state.paths
    doc = services.document(paths, a) if a.status == "done" else None
    others = [
        x for x in services.history(s, a.enterprise_id) if x.id != a.id and x.status == "done"
    ]
    return render(
        request,
        "assessment.html",
        a=a,
        org=org,
        summary=a.summary or {},
        findings=services.tracked_findings(s, paths, a, doc) if doc is not None else [],
        charts=services.charts(paths, a),
        others=others,
        job=services.last_job(s, assessment_id=a.id) if a.status == "failed" else None,
        next_version=(
            max((x.version for x in services.history(s, a.enterprise_id)), default=0) + 1
        ),
    )


@router.post("/assessments/{assessment_id}/findings")
def finding(
    assessment_id: Id,
    request: Request,
    s: DB,
    auth: Page,
    csrf_token: Csrf,
    key: Annotated[str, Form(max_length=300)],
    department: Annotated[str | None, Form(max_length=100)] = None,
    person: Annotated[str | None, Form(max_length=100)] = None,
    status: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    """Assign a finding to its owner, close or reopen it (the assessment page's form)."""
    check_csrf(auth, csrf_token)
    services.update_finding(
        s,
        request.app.state.paths,
        auth.user,
        assessment_id,
        key,
        department=department,
        person=person,
        status=status or None,
        address=client_address(request),
    )
    return back(f"/assessments/{assessment_id}#findings")


@router.post("/assessments/{assessment_id}/rerun")
def rerun(assessment_id: Id, request: Request, s: DB, auth: Page, csrf_token: Csrf) -> Response:
    check_csrf(auth, csrf_token)
    _a, j = services.rerun(s, auth.user, assessment_id, address=client_address(request))
    wake(request)
    return back(f"/jobs/{j.id}")


@router.get("/assessments/{assessment_id}/download/{kind}")
def download(assessment_id: Id, kind: str, request: Request, s: DB, auth: Page) -> FileResponse:
    return file_response(request, s, auth.user, assessment_id, kind)


@router.get("/compare")
def compare(
    request: Request,
    s: DB,
    auth: Page,
    a: Annotated[int, Query(ge=1, le=2**31 - 1)],
    b: Annotated[int, Query(ge=1, le=2**31 - 1)],
) -> HTMLResponse:
    x = services.assessment(s, auth.user, a)
    y = services.assessment(s, auth.user, b)
    return render(request, "compare.html", a=x, b=y, rows=services.compare(x, y))


@router.get("/template.xlsx")
def template(request: Request, auth: Page) -> FileResponse:
    from thermaudit.dataset.template import write_template

    paths: services.Paths = request.app.state.paths
    path = paths.root / "template" / "thermaudit-template.xlsx"
    if not path.exists():
        write_template(path)
    return FileResponse(
        path,
        media_type=services.FILES["xlsx"][1],
        filename="thermaudit-template.xlsx",
    )


# ---------------------------------------------------------------------------------------------
# Administration


@router.get("/admin")
def admin(request: Request, s: DB, auth: Page) -> HTMLResponse:
    services.require_admin(auth.user)
    orgs = list(s.scalars(sa.select(Organization).order_by(Organization.id)))
    users = list(s.scalars(sa.select(User).order_by(User.id)))
    return render(request, "admin.html", orgs=orgs, users=users)


@router.post("/admin/organizations")
def admin_org(
    request: Request,
    s: DB,
    auth: Page,
    csrf_token: Csrf,
    kind: Annotated[str, Form(max_length=20)],
    name: Annotated[str, Form(max_length=200)],
) -> Response:
    check_csrf(auth, csrf_token)
    services.create_organization(s, auth.user, kind, name)
    return back("/admin")


@router.post("/admin/users")
def admin_user(
    request: Request,
    s: DB,
    auth: Page,
    csrf_token: Csrf,
    email: Annotated[str, Form(max_length=200)],
    name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=500)],
    role: Annotated[str, Form(max_length=20)],
    organization_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
) -> Response:
    check_csrf(auth, csrf_token)
    services.create_user(
        s,
        auth.user,
        email=email,
        name=name,
        password=password,
        role=role,
        organization_id=organization_id,
    )
    return back("/admin")


@router.get("/audit")
def audit(request: Request, s: DB, auth: Page) -> HTMLResponse:
    services.require_admin(auth.user)
    rows = list(s.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)))
    emails = {uid: email for uid, email in s.execute(sa.select(User.id, User.email))}
    lang = lang_of(request)

    def target_text(target: str | None) -> str:
        """``assessment:7`` → "评估 7"; a finding's key (its code) stays as it is."""
        kind, _, ref = (target or "").partition(":")
        key = "target_" + kind.replace("-", "_")
        return f"{translate(key, lang)} {ref}" if ref and key in WORDS else target or ""

    return render(request, "audit.html", rows=rows, emails=emails, target_text=target_text)


def login_url(path: str) -> str:
    return f"/login?next={quote(path)}"
