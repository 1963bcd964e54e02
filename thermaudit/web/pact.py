"""The PACT host's routes (PACT Technical Specifications v3): ``POST /auth/token``,
``GET /.well-known/openid-configuration``, ``GET /3/footprints``, ``GET /3/footprints/{id}``,
``POST /3/events``; and, under ``/api``, the enterprise's management of its buyers' client
credentials. The logic is in :mod:`thermaudit.web.buyers`.

Every exchange is written to the audit log, refusals too: a refused request answers its
error itself (the transaction then commits the audit entry) rather than raising.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from thermaudit.web import buyers, services
from thermaudit.web.app import CSRF_HEADER, Auth, check_csrf, client_address, db, require
from thermaudit.web.models import PactClient

router = APIRouter(tags=["pact"])
DB = Annotated[Session, Depends(db, scope="function")]
Id = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


class ErrorOut(BaseModel):
    code: str
    message: str


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str


class FootprintsOut(BaseModel):
    data: list[dict[str, Any]]


class FootprintOut(BaseModel):
    data: dict[str, Any]


_errors: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "BadRequest"},
    401: {"model": ErrorOut, "description": "Unauthorized or TokenExpired"},
}


def _error(exc: buyers.PactError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="pact"'} if status == 401 else None
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


def _basic(header: str) -> tuple[str, str] | None:
    if not header.lower().startswith("basic "):
        return None
    try:
        text = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    cid, sep, secret = text.partition(":")
    # RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding
    return (unquote(cid), unquote(secret)) if sep else None


# ---------------------------------------------------------------------------------------------
# Authentication


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses={400: {}, 401: {}},
    summary="OAuth2 client credentials (RFC 6749 section 4.4): an access token",
)
def token(
    request: Request,
    s: DB,
    grant_type: Annotated[str | None, Form(max_length=100)] = None,
    scope: Annotated[str | None, Form(max_length=500)] = None,
    client_id: Annotated[str | None, Form(max_length=200)] = None,
    client_secret: Annotated[str | None, Form(max_length=500)] = None,
) -> Any:
    """HTTP Basic client id and secret (or ``client_id``/``client_secret`` in the form),
    ``grant_type=client_credentials``; errors as RFC 6749 section 5.2."""
    creds = _basic(request.headers.get("authorization", ""))
    if creds is None and client_id and client_secret:
        creds = (client_id, client_secret)
    if grant_type is None:
        return _oauth_error(400, "invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "expected client_credentials")
    wanted = (scope or "").split()
    if any(x not in buyers.SCOPES for x in wanted):
        return _oauth_error(400, "invalid_scope", f"expected {' '.join(buyers.SCOPES)}")
    if creds is None:
        return _oauth_error(401, "invalid_client", "client authentication is required")
    issued = buyers.issue_token(
        s, request.app.state.secret, creds[0], creds[1], address=client_address(request)
    )
    if issued is None:
        return _oauth_error(401, "invalid_client", "authentication failed")
    return TokenOut(
        access_token=issued[0],
        token_type="Bearer",
        expires_in=buyers.TOKEN_SECONDS,
        scope=" ".join(wanted or buyers.SCOPES),
    )


@router.get(
    "/.well-known/openid-configuration",
    summary="OpenID provider configuration: where to get an access token",
)
def openid_configuration(request: Request) -> dict[str, Any]:
    """``token_endpoint`` is absolute, with the scheme and host the client used (behind a
    TLS proxy: the proxy's, when it is listed in ``THERMAUDIT_TRUSTED_PROXIES``)."""
    base = str(request.base_url).rstrip("/")
    return {
        "issuer": base,
        "token_endpoint": f"{base}/auth/token",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": list(buyers.SCOPES),
        "response_types_supported": ["token"],
    }


# ---------------------------------------------------------------------------------------------
# Footprints and events


def _exchange(
    request: Request, s: Session, action: str, run: Callable[[PactClient], Response]
) -> Response:
    """Authenticate the bearer token, run ``run``, audit the exchange either way."""
    client: PactClient | None = None
    try:
        client = buyers.client_of_token(
            s, request.app.state.secret, request.headers.get("authorization", "")
        )
        return run(client)
    except buyers.PactError as exc:
        services.audit(
            s,
            None,
            f"{action}.refused",
            enterprise_id=client.enterprise_id if client else None,
            target=f"pact-client:{client.id}" if client else "",
            address=client_address(request),
            detail={"code": exc.code, "path": request.url.path[:200]},
        )
        return _error(exc)


@router.get(
    "/3/footprints",
    response_model=FootprintsOut,
    responses=_errors,
    summary="ListFootprints: the footprints this buyer may see, filtered, paged",
)
def list_footprints(
    request: Request,
    s: DB,
    limit: Annotated[int | None, Query(ge=1)] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    productId: Annotated[list[str] | None, Query()] = None,
    companyId: Annotated[list[str] | None, Query()] = None,
    geography: Annotated[list[str] | None, Query()] = None,
    classification: Annotated[list[str] | None, Query()] = None,
    validOn: Annotated[dt.datetime | None, Query()] = None,
    validAfter: Annotated[dt.datetime | None, Query()] = None,
    validBefore: Annotated[dt.datetime | None, Query()] = None,
    status: Annotated[Literal["Active", "Deprecated"] | None, Query()] = None,
) -> Response:
    """A page of at most ``limit`` footprints (and at most 1000); a ``Link`` header
    (RFC 8288, ``rel="next"``) when more follow."""
    criteria = buyers.Criteria(
        tuple(productId or ()),
        tuple(companyId or ()),
        tuple(geography or ()),
        tuple(classification or ()),
        validOn,
        validAfter,
        validBefore,
        status,
    )

    def run(client: PactClient) -> Response:
        srv = buyers.served(s, request.app.state.paths, client.enterprise_id)
        found = [pf for pf in buyers.visible(client, srv) if criteria.matches(pf)]
        size = min(limit or buyers.MAX_LIMIT, buyers.MAX_LIMIT)
        page = found[offset : offset + size]
        headers = {}
        if offset + size < len(found):
            nxt = request.url.include_query_params(offset=offset + size, limit=size)
            headers["Link"] = f'<{nxt}>; rel="next"'
        services.audit(
            s,
            None,
            "pact.list",
            enterprise_id=client.enterprise_id,
            target=f"pact-client:{client.id}",
            address=client_address(request),
            detail={"assessment": srv.assessment_id, "footprints": [pf["id"] for pf in page]},
        )
        return JSONResponse({"data": page}, headers=headers)

    return _exchange(request, s, "pact.list", run)


@router.get(
    "/3/footprints/{footprint_id}",
    response_model=FootprintOut,
    responses={
        **_errors,
        403: {"model": ErrorOut, "description": "Forbidden"},
        404: {"model": ErrorOut, "description": "NotFound"},
    },
    summary="GetFootprint: one footprint by its id",
)
def get_footprint(
    footprint_id: Annotated[str, PathParam(max_length=100)], request: Request, s: DB
) -> Response:
    def run(client: PactClient) -> Response:
        srv = buyers.served(s, request.app.state.paths, client.enterprise_id)
        pf = buyers.get_footprint(client, srv, footprint_id)
        services.audit(
            s,
            None,
            "pact.get",
            enterprise_id=client.enterprise_id,
            target=f"pact-client:{client.id}",
            address=client_address(request),
            detail={"assessment": srv.assessment_id, "footprint": footprint_id},
        )
        return JSONResponse({"data": pf})

    return _exchange(request, s, "pact.get", run)


async def _body(request: Request) -> bytes:
    return await request.body()


_EVENT_BODY = {
    "required": True,
    "content": {
        media: {
            "schema": {
                "type": "object",
                "required": ["specversion", "id", "source", "type", "data"],
                "properties": {
                    "specversion": {"type": "string", "enum": ["1.0"]},
                    "id": {"type": "string", "minLength": 1},
                    "source": {"type": "string", "minLength": 1},
                    "type": {
                        "type": "string",
                        "enum": [buyers.EVENT_PREFIX + k for k in buyers.EVENT_TYPES],
                    },
                    "time": {"type": "string", "format": "date-time"},
                    "data": {"type": "object"},
                },
            }
        }
        for media in ("application/cloudevents+json", "application/json")
    },
}


@router.post(
    "/3/events",
    status_code=200,
    response_class=Response,
    responses={200: {"description": "accepted (empty body)"}, **_errors},
    openapi_extra={"requestBody": _EVENT_BODY},
    summary="Events: a CloudEvents event (request created, fulfilled, rejected; published)",
)
def events(request: Request, s: DB, raw: Annotated[bytes, Depends(_body)]) -> Response:
    """Accepted events are stored and answered 200 with an empty body."""

    def run(client: PactClient) -> Response:
        ev = buyers.check_event(raw)
        buyers.store_event(s, client, ev, address=client_address(request))
        return Response(status_code=200)

    return _exchange(request, s, "pact.event", run)


# ---------------------------------------------------------------------------------------------
# The enterprise's buyers (under /api)


def _user(request: Request, s: DB) -> Auth:
    return require(request, s)


def _writer(request: Request, s: DB) -> Auth:
    auth = require(request, s)
    check_csrf(auth, request.headers.get(CSRF_HEADER))
    return auth


Reader = Annotated[Auth, Depends(_user)]
Writer = Annotated[Auth, Depends(_writer)]
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*\S[^\x00]*$")]
Sku = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]


class ClientIn(BaseModel):
    buyer: Text
    skus: Annotated[list[Sku], Field(min_length=1, max_length=1000)]


class ClientSkusIn(BaseModel):
    skus: Annotated[list[Sku], Field(min_length=1, max_length=1000)]


class ClientOut(BaseModel):
    id: int
    client_id: str
    buyer: str
    skus: list[str]
    active: bool
    created_at: dt.datetime


class NewClientOut(ClientOut):
    #: shown once: the service keeps only its hash
    client_secret: str


def _out(c: PactClient) -> ClientOut:
    return ClientOut(
        id=c.id,
        client_id=c.client_id,
        buyer=c.buyer,
        skus=list(c.skus),
        active=c.active,
        created_at=c.created_at,
    )


@router.get(
    "/api/enterprises/{enterprise_id}/pact-clients",
    response_model=list[ClientOut],
    responses={404: {}},
    tags=["api"],
)
def list_clients(enterprise_id: Id, auth: Reader, s: DB) -> list[ClientOut]:
    """The buyers' client credentials of an enterprise (never their secrets)."""
    return [_out(c) for c in buyers.clients(s, auth.user, enterprise_id)]


@router.post(
    "/api/enterprises/{enterprise_id}/pact-clients",
    response_model=NewClientOut,
    status_code=201,
    responses={403: {}, 404: {}, 422: {}},
    tags=["api"],
)
def create_client(
    enterprise_id: Id, body: ClientIn, request: Request, auth: Writer, s: DB
) -> NewClientOut:
    """Client credentials for a buyer, seeing the footprints of ``skus``; the secret is in
    this answer only."""
    new = buyers.create_client(
        s,
        request.app.state.paths,
        auth.user,
        enterprise_id,
        body.buyer,
        body.skus,
        address=client_address(request),
    )
    return NewClientOut(**_out(new.client).model_dump(), client_secret=new.secret)


@router.put(
    "/api/enterprises/{enterprise_id}/pact-clients/{client_pk}/skus",
    response_model=ClientOut,
    responses={403: {}, 404: {}, 422: {}},
    tags=["api"],
)
def set_client_skus(
    enterprise_id: Id, client_pk: Id, body: ClientSkusIn, request: Request, auth: Writer, s: DB
) -> ClientOut:
    """Choose the SKUs a buyer sees."""
    c = buyers.update_client(
        s,
        request.app.state.paths,
        auth.user,
        enterprise_id,
        client_pk,
        body.skus,
        address=client_address(request),
    )
    return _out(c)


@router.delete(
    "/api/enterprises/{enterprise_id}/pact-clients/{client_pk}",
    status_code=204,
    responses={403: {}, 404: {}},
    tags=["api"],
)
def revoke_client(enterprise_id: Id, client_pk: Id, request: Request, auth: Writer, s: DB) -> None:
    """Revoke a buyer's credentials and its tokens."""
    buyers.revoke_client(s, auth.user, enterprise_id, client_pk, address=client_address(request))


class EventOut(BaseModel):
    id: int
    buyer: str
    client_id: str
    event_id: str
    source: str
    type: str
    received_at: dt.datetime
    body: dict[str, Any]


@router.get(
    "/api/enterprises/{enterprise_id}/pact-events",
    response_model=list[EventOut],
    responses={404: {}},
    tags=["api"],
)
def list_events(enterprise_id: Id, auth: Reader, s: DB) -> list[EventOut]:
    """The events the enterprise's buyers sent (the newest 100 first): a buyer's request for
    a footprint is answered by the enterprise."""
    return [
        EventOut(
            id=e.id,
            buyer=c.buyer,
            client_id=c.client_id,
            event_id=e.event_id,
            source=e.source,
            type=e.type,
            received_at=e.received_at,
            body=e.body,
        )
        for e, c in buyers.events(s, auth.user, enterprise_id)
    ]
