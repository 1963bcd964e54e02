"""The FastAPI application: :func:`create_app` wires settings, the database (migrated on
start), the background worker, authentication and the two route sets (server-rendered pages
in :mod:`thermaudit.web.pages`, the JSON API in :mod:`thermaudit.web.api`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import logging
import re
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from thermaudit._version import __version__
from thermaudit.web import services
from thermaudit.web.i18n import translate
from thermaudit.web.models import (
    SessionRow,
    User,
    make_engine,
    mark_interrupted,
    now,
    upgrade,
    writer,
)
from thermaudit.web.security import LoginLimits, new_token, same, token_id
from thermaudit.web.settings import Settings

log = logging.getLogger("thermaudit.web")
COOKIE = "thermaudit_session"
LOGIN_CSRF_COOKIE = "thermaudit_login_csrf"
CSRF_HEADER = "x-csrf-token"


class NotSignedIn(Exception):
    """No valid session cookie or bearer token."""


class CsrfFailed(Exception):
    """An unsafe request with a cookie session but without the session's CSRF token."""


@dataclass
class Auth:
    user: User
    session: SessionRow
    via: str  # cookie | bearer


@dataclass(frozen=True)
class Viewer:
    id: int
    name: str
    role: str
    csrf: str


#: what every answer may load: only this server's own files, no inline script (styles may
#: be inline: the report's SVG charts and Swagger UI set style attributes)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: paths whose answers may be cached: the package's static files and fonts (no user data)
CACHEABLE = ("/static/", "/vendor/", "/fonts/")


#: requests whose transaction writes: unsafe methods, and the downloads (an audit entry)
_SAFE = ("GET", "HEAD", "OPTIONS")
_WRITING_GET = re.compile(r"^(/api)?/assessments/\d+/(files|download)/")


def writes(method: str, path: str) -> bool:
    # the PACT host's reads write their audit entry too
    return method not in _SAFE or bool(_WRITING_GET.match(path)) or path.startswith("/3/")


def pact_path(path: str) -> bool:
    """A route of the PACT host, whose errors are PACT's ``{"code", "message"}``."""
    return path.startswith("/3/")


#: HTTP status of a refusal → the PACT error code and the status PACT gives it
PACT_CODES = {
    400: ("BadRequest", 400),
    403: ("Forbidden", 403),
    404: ("NotFound", 404),
    409: ("InternalError", 500),
    413: ("BadRequest", 400),
    422: ("BadRequest", 400),
}


def pact_error(status: int, message: str) -> JSONResponse:
    code, pact_status = PACT_CODES.get(status, ("NotImplemented", 400))
    return JSONResponse({"code": code, "message": message}, status_code=pact_status)


class BodyLimit:
    """Refuse request bodies larger than ``limit`` bytes with 413, by Content-Length and
    by counting the bytes actually received (chunked uploads, which have none). The answer
    names the configured upload limit ``stated`` (``limit`` allows for the multipart
    envelope around the file)."""

    def __init__(self, app: ASGIApp, limit: int, stated: int) -> None:
        self.app = app
        self.limit = limit
        self.stated = stated

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = refused = False

        async def counted() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    # answer now, then tell the application the client has gone: the
                    # body parser stops, and whatever it answers is dropped
                    refused = True
                    if not started:
                        await self._refuse(scope, receive, send)
                    return {"type": "http.disconnect"}
            return msg

        async def guarded_send(msg: Message) -> None:
            nonlocal started
            if refused:
                return
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        exc = services.UploadTooLarge(self.stated)
        request = Request(scope, receive)
        if pact_path(scope.get("path", "")):
            response: Response = pact_error(413, str(exc))
        elif scope.get("path", "").startswith("/api"):
            response = JSONResponse({"detail": str(exc)}, status_code=413)
        else:
            from thermaudit.web.pages import error_page, lang_of

            response = error_page(request, 413, exc.say(lang_of(request)))
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Cache-Control"] = "no-store"
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web application over ``settings`` (default: from the environment)."""
    settings = settings or Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    writes = sessionmaker(writer(engine), expire_on_commit=False)
    secret = settings.secret()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upgrade(engine)
        with sessions.begin() as s:
            n = mark_interrupted(s)
        if n:
            log.warning(
                "%d job(s), dataset(s) or assessment(s) left unfinished by a stopped "
                "server were marked failed (interrupted)",
                n,
            )
        worker = None
        if settings.worker:
            from thermaudit.web.jobs import Worker

            worker = Worker(settings, writes)
            worker.start()
        app.state.worker = worker
        from thermaudit.web import fonts

        fonts.warm(settings.data_dir / "fonts")
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            engine.dispose()

    app = FastAPI(
        title="thermaudit",
        version=__version__,
        description=(
            "Energy-saving and carbon-reduction diagnostics for casting plants. Authenticate "
            "with the session cookie of a signed-in browser (unsafe methods then need the "
            "X-CSRF-Token header) or with `Authorization: Bearer <token>` from POST /api/token."
        ),
        lifespan=lifespan,
        docs_url=None,  # served below from the package's own files, no CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.writes = writes
    app.state.secret = secret
    app.state.paths = services.Paths(settings.data_dir)
    app.state.limiter = LoginLimits(
        settings.login_attempts, settings.login_window, delay_max=settings.login_delay_max
    )
    app.state.worker = None
    app.add_middleware(
        BodyLimit, limit=settings.upload_limit + (1 << 20), stated=settings.upload_limit
    )
    #: on SQLite, requests that write enter their transaction one at a time (see _gate)
    app.state.write_locks = weakref.WeakKeyDictionary() if engine.dialect.name == "sqlite" else None

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CSP)
        if not request.url.path.startswith(CACHEABLE):
            # pages, API answers and downloads hold a user's data: never kept by a cache
            response.headers["Cache-Control"] = "no-store"
        return response

    from thermaudit.web import api, pact, pages

    app.include_router(api.router)
    app.include_router(pact.router)
    app.include_router(pages.router)
    static = resources.files("thermaudit.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.mount("/vendor/swagger-ui", StaticFiles(directory=str(swagger_ui_dir())), name="swagger")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        from thermaudit.web.pages import templates

        return templates.TemplateResponse(request, "api_docs.html", {"version": __version__})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return FileResponse(str(static / "favicon.svg"), media_type="image/svg+xml")

    @app.get("/fonts/{name}", include_in_schema=False)
    def web_font(name: str, request: Request) -> Response:
        """A CJK web font (:mod:`thermaudit.web.fonts`), built on first use and cached."""
        from thermaudit.web import fonts

        if name not in fonts.FONTS:
            raise StarletteHTTPException(404)
        path = fonts.cached(name, settings.data_dir / "fonts")
        etag = f'"{path.stem.rsplit("-", 1)[1]}"'
        headers = {"ETag": etag, "Cache-Control": f"public, max-age={fonts.MAX_AGE}"}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return FileResponse(str(path), media_type="font/woff2", headers=headers)

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse(
                {"detail": "not signed in"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, _exc: CsrfFailed) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": "missing or wrong CSRF token"}, status_code=403)
        from thermaudit.web.pages import error_page, lang_of

        return error_page(request, 403, translate("csrf_failed", lang_of(request)))

    @app.exception_handler(sa.exc.IntegrityError)
    async def _integrity(request: Request, exc: sa.exc.IntegrityError) -> Response:
        """A unique key (e-mail, organization name, grant, assessment version) taken by a
        concurrent request between this request's check and its write: the same 409 as
        the check gives, for every route at once."""
        log.info("conflicting concurrent write on %s: %s", request.url.path, exc.orig)
        return await _handler(409)(
            request,
            services.Conflict(
                "another request made the same change at the same moment (a duplicate?); "
                "reload to see the current state",
                key="conflict_concurrent",
            ),
        )

    @app.exception_handler(services.Tampered)
    async def _tampered(request: Request, exc: services.Tampered) -> Response:
        """A changed file of a signed assessment: refused, logged, and written to the audit
        log in a transaction of its own (the request's is rolled back)."""
        log.error("%s", exc)
        viewer: Viewer | None = getattr(request.state, "viewer", None)
        p = exc.params
        with request.app.state.sessions.begin() as s:
            services.audit(
                s,
                None,
                "assessment.tampered",
                enterprise_id=int(str(p["enterprise"])),
                target=f"assessment:{p['assessment']}",
                address=client_address(request),
                detail={
                    "file": p["file"],
                    "expected": p["expected"],
                    "found": p["found"],
                    "user": viewer.id if viewer else None,
                },
            )
        return await _handler(409)(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        """The API answers FastAPI's usual 422 JSON; a page says the same in words; the
        PACT host a 400 ``BadRequest`` (the token endpoint RFC 6749's ``invalid_request``)."""
        if request.url.path.startswith("/api"):
            return await request_validation_exception_handler(request, exc)
        if pact_path(request.url.path) or request.url.path == "/auth/token":
            text = "; ".join(
                f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
                for e in exc.errors()
            )
            if request.url.path == "/auth/token":
                return JSONResponse(
                    {"error": "invalid_request", "error_description": text}, status_code=400
                )
            return pact_error(400, text)
        from thermaudit.web.pages import error_page, lang_of

        return error_page(request, 422, invalid_in_words(exc.errors(), lang_of(request)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        """An unknown path or method under the PACT host: PACT's error format."""
        if pact_path(request.url.path):
            return pact_error(exc.status_code, str(exc.detail))
        return await http_exception_handler(request, exc)

    for exc_type, status in (
        (services.NotFound, 404),
        (services.UploadTooLarge, 413),
        (services.Forbidden, 403),
        (services.Conflict, 409),
        (services.BadRequest, 422),
    ):
        app.add_exception_handler(exc_type, _handler(status))
    return app


#: pydantic's error types → the key of their sentence in thermaudit.web.i18n.WORDS
_INVALID = {
    "int_parsing": "invalid_whole_number",
    "int_type": "invalid_whole_number",
    "int_from_float": "invalid_whole_number",
    "missing": "invalid_missing",
    "greater_than_equal": "invalid_range",
    "greater_than": "invalid_range",
    "less_than_equal": "invalid_range",
    "less_than": "invalid_range",
}


def invalid_in_words(errors: Any, lang: str) -> str:
    """A page's refusal of a request whose address or form did not validate, in words in
    ``lang`` (which value, what was expected, what was found), one sentence per value."""
    parts = []
    for e in errors:
        loc = [str(x) for x in e.get("loc", ())[1:]]
        name = ".".join(loc) or "?"
        found = e.get("input")
        found = "" if found is None or isinstance(found, dict) else str(found)[:80]
        parts.append(
            translate(
                _INVALID.get(e.get("type", ""), "invalid_value"), lang, name=name, found=found
            )
        )
    return " ".join(parts)


def _handler(status: int) -> Any:
    async def handle(request: Request, exc: Exception) -> Response:
        if pact_path(request.url.path):
            return pact_error(status, str(exc))
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        from thermaudit.web.pages import error_page, lang_of

        lang = lang_of(request)
        text = exc.say(lang) if isinstance(exc, services.Refusal) else str(exc)
        return error_page(request, status, text)

    return handle


def swagger_ui_dir() -> Path:
    """The folder of Swagger UI's files in the ``swagger-ui-py`` package (found without
    importing it: its ``__init__`` wires web frameworks this app does not use)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


# ---------------------------------------------------------------------------------------------
# Request helpers shared by pages and API


async def _gate(request: Request) -> AsyncIterator[None]:
    """On SQLite, requests that write enter their transaction one at a time, waiting here on
    the event loop (after their body was received).

    Their transactions begin ``IMMEDIATE`` (:func:`thermaudit.web.models.writer`). Waiting
    for SQLite's write lock inside the thread pool instead, dozens of them would each hold a
    thread while the request holding the lock waits for a thread to run its route: nothing
    would move until the busy timeout. The gate opens when the transaction has committed
    (before the answer is sent). Readers never wait (WAL mode)."""
    locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] | None = request.app.state.write_locks
    if locks is None or not writes(request.method, request.url.path):
        yield
        return
    lock = locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock:
        yield


def db(
    request: Request, _gate: Annotated[None, Depends(_gate, scope="function")]
) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error;
    ``IMMEDIATE`` on SQLite for a request that writes (after :func:`_gate`)."""
    state = request.app.state
    factory = state.writes if writes(request.method, request.url.path) else state.sessions
    with factory.begin() as s:
        yield s


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def authenticate(request: Request, s: Session) -> Auth | None:
    secret: bytes = request.app.state.secret
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token, via, kind = header[7:].strip(), "bearer", "api"
    else:
        token, via, kind = request.cookies.get(COOKIE, ""), "cookie", "web"
    if not token or len(token) > 200:
        return None
    row = s.get(SessionRow, token_id(secret, token))
    if row is None or row.kind != kind or _aware(row.expires_at) < now():
        return None
    user = s.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return Auth(user, row, via)


def require(request: Request, s: Session) -> Auth:
    """The signed-in user; unsafe cookie requests must carry the CSRF token (form field
    ``csrf_token`` is checked by the page routes, header ``X-CSRF-Token`` here)."""
    auth = authenticate(request, s)
    if auth is None:
        raise NotSignedIn
    # plain values for pages rendered after a rollback (error pages)
    request.state.viewer = Viewer(auth.user.id, auth.user.name, auth.user.role, auth.session.csrf)
    return auth


def check_csrf(auth: Auth, token: str | None) -> None:
    if auth.via == "bearer":
        return
    if not token or not same(token, auth.session.csrf):
        raise CsrfFailed


def open_session(request: Request, s: Session, user: User, kind: str) -> tuple[str, SessionRow]:
    settings: Settings = request.app.state.settings
    token = new_token()
    row = SessionRow(
        id=token_id(request.app.state.secret, token),
        user_id=user.id,
        kind=kind,
        csrf=new_token(),
        expires_at=now() + dt.timedelta(hours=settings.session_hours),
    )
    s.add(row)
    s.execute(sa.delete(SessionRow).where(SessionRow.expires_at < now()))
    return token, row


def cookie_secure(request: Request) -> bool:
    mode = request.app.state.settings.cookie_secure
    if mode == "auto":
        return request.url.scheme == "https"
    return mode not in ("0", "false", "no")


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


class LoginRefused(Exception):
    """A refused sign-in; ``retry_after`` > 0 when rate-limited, ``why`` then "address"
    (this address failed too often) or "account" (the account is slowed down)."""

    def __init__(self, retry_after: float = 0.0, why: str = "") -> None:
        super().__init__(
            "wrong e-mail or password"
            if not retry_after
            else "too many failed sign-ins for this account; try again later"
            if why == "account"
            else "too many failed sign-ins"
        )
        self.retry_after = retry_after
        self.why = why

    def say(self, lang: str) -> str:
        if not self.retry_after:
            return translate("bad_login", lang)
        key = "slow_down" if self.why == "account" else "too_many"
        return translate(key, lang, s=int(self.retry_after) + 1)


def sign_in(request: Request, s: Session, email: str, password: str) -> User:
    """Check a password under the sign-in limits (:class:`~thermaudit.web.security.
    LoginLimits`); raises :class:`LoginRefused` (with ``retry_after`` when limited)."""
    from thermaudit.web.security import verify_password

    limits: LoginLimits = request.app.state.limiter
    email = email.strip().lower()[:200]
    address = client_address(request)
    wait, why = limits.refused(email, address)
    if wait > 0:
        services.audit(
            s,
            None,
            "login.blocked",
            address=address,
            detail={"email": email.replace("\x00", ""), "limit": why},
        )
        raise LoginRefused(wait, why)
    # PostgreSQL refuses NUL in text: no account has such an address, so it is a failure
    user = (
        None if "\x00" in email else s.scalars(sa.select(User).where(User.email == email)).first()
    )
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        limits.failed(email, address)
        services.audit(
            s,
            None,
            "login.failed",
            address=address,
            detail={"email": email.replace("\x00", "")},
        )
        raise LoginRefused()
    limits.succeeded(email, address)
    services.audit(s, user, "login", address=address)
    return user
