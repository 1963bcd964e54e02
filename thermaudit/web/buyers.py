"""The PACT host's logic (WBCSD PACT Technical Specifications v3): buyers' client
credentials, access tokens, which footprints a buyer sees, the ListFootprints filters and the
CloudEvents the buyers send. The routes are in :mod:`thermaudit.web.pact`.

- An enterprise's member (or an administrator) creates client credentials for a buyer and
  chooses the SKUs it sees (:func:`create_client`); the secret is shown once and kept as an
  argon2 hash.
- ``POST /auth/token`` (OAuth2 client credentials, RFC 6749 section 4.4) gives a bearer token
  valid :data:`TOKEN_SECONDS`; the database keeps its HMAC.
- The footprints served are those of ``pact-footprints.json`` of the enterprise's latest
  signed assessment (checked against its signed manifest before use), restricted to the
  buyer's SKUs: a footprint of another SKU is ``Forbidden``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from thermaudit.web import services
from thermaudit.web.models import Assessment, PactClient, PactEvent, PactToken, User, now
from thermaudit.web.security import hash_password, new_token, token_id, verify_password

#: lifetime of an access token [s]
TOKEN_SECONDS = 3600
#: how long an expired token is remembered, to answer ``TokenExpired`` rather than
#: ``Unauthorized``
EXPIRED_KEPT = dt.timedelta(days=1)
SCOPES = ("footprint:list", "footprint:read")
#: the most footprints one ListFootprints page holds
MAX_LIMIT = 1000
#: a footprint without a validity period is valid this long after its reference period
VALIDITY = dt.timedelta(days=3 * 365)
#: CloudEvents types of PACT v3 this host accepts, and the ``data`` keys each allows
EVENT_PREFIX = "org.wbcsd.pact.ProductFootprint."
_FILTERS = ("productId", "companyId", "geography", "classification")
_DATES = ("validOn", "validAfter", "validBefore")
_CE_ATTRIBUTE = re.compile(r"^[a-z0-9]{1,20}$")


class PactError(Exception):
    """A refusal in the PACT error format: HTTP ``status``, ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": str(self)}


def unauthorized(message: str = "a valid bearer access token is required") -> PactError:
    return PactError(401, "Unauthorized", message)


def bad_request(message: str) -> PactError:
    return PactError(400, "BadRequest", message)


# ---------------------------------------------------------------------------------------------
# Credentials (the enterprise's side)


@dataclass(frozen=True)
class NewClient:
    client: PactClient
    #: shown once, never stored
    secret: str


def _may_manage(s: Session, user: User, enterprise_id: int) -> None:
    services.enterprise(s, user, enterprise_id)  # 404 when not visible
    if not services.may_grant(user):
        raise services.Forbidden(
            "only the enterprise's members or an administrator may manage buyer access",
            key="pact_forbidden",
        )


def known_skus(s: Session, paths: services.Paths, enterprise_id: int) -> list[str]:
    """The SKUs of the enterprise's latest signed assessment (its footprint section)."""
    a = latest_signed(s, enterprise_id)
    if a is None:
        raise services.BadRequest(
            "skus: the enterprise has no signed assessment yet; run one, then choose the "
            "SKUs a buyer sees",
            key="pact_no_assessment",
        )
    doc = services.document(paths, a)
    return list(doc.get("product_footprint", {}).get("by_sku", {}))


def _check_skus(skus: Iterable[str], known: list[str]) -> list[str]:
    out: list[str] = []
    for sku in skus:
        if sku not in known:
            raise services.BadRequest(
                f"skus: expected SKUs of the latest signed assessment ({', '.join(known)}), "
                f"found {sku!r}",
                key="pact_unknown_sku",
                sku=sku,
                known=", ".join(known),
            )
        if sku not in out:
            out.append(sku)
    return out


def create_client(
    s: Session,
    paths: services.Paths,
    user: User,
    enterprise_id: int,
    buyer: str,
    skus: list[str],
    *,
    address: str = "",
) -> NewClient:
    """Client credentials for ``buyer`` of the enterprise, seeing ``skus``."""
    _may_manage(s, user, enterprise_id)
    buyer = buyer.strip()
    if not buyer or len(buyer) > 200 or "\x00" in buyer:
        raise services.BadRequest(
            "buyer: expected the buyer's name, 1 to 200 characters", key="pact_buyer_name"
        )
    chosen = _check_skus(skus, known_skus(s, paths, enterprise_id))
    if not chosen:
        raise services.BadRequest("skus: expected at least one SKU", key="pact_no_skus")
    secret = new_token()
    client = PactClient(
        enterprise_id=enterprise_id,
        client_id="pact-" + new_token()[:22],
        secret_hash=hash_password(secret),
        buyer=buyer,
        skus=chosen,
        created_by=user.id,
    )
    s.add(client)
    s.flush()
    services.audit(
        s,
        user,
        "pact.client.create",
        enterprise_id=enterprise_id,
        target=f"pact-client:{client.id}",
        address=address,
        detail={"buyer": client.buyer, "client_id": client.client_id, "skus": chosen},
    )
    return NewClient(client, secret)


def clients(s: Session, user: User, enterprise_id: int) -> list[PactClient]:
    """The enterprise's buyer credentials (for its members and administrators only)."""
    _may_manage(s, user, enterprise_id)
    return list(
        s.scalars(
            sa.select(PactClient)
            .where(PactClient.enterprise_id == enterprise_id)
            .order_by(PactClient.id)
        )
    )


def _client_of(s: Session, user: User, enterprise_id: int, client_pk: int) -> PactClient:
    _may_manage(s, user, enterprise_id)
    c = s.get(PactClient, client_pk)
    if c is None or c.enterprise_id != enterprise_id:
        raise services.NotFound(f"no buyer client {client_pk}", key="pact_no_client")
    return c


def update_client(
    s: Session,
    paths: services.Paths,
    user: User,
    enterprise_id: int,
    client_pk: int,
    skus: list[str],
    *,
    address: str = "",
) -> PactClient:
    """Change the SKUs a buyer sees (its tokens see the new choice at once)."""
    c = _client_of(s, user, enterprise_id, client_pk)
    chosen = _check_skus(skus, known_skus(s, paths, enterprise_id))
    if not chosen:
        raise services.BadRequest("skus: expected at least one SKU", key="pact_no_skus")
    c.skus = chosen
    services.audit(
        s,
        user,
        "pact.client.update",
        enterprise_id=enterprise_id,
        target=f"pact-client:{c.id}",
        address=address,
        detail={"skus": c.skus},
    )
    return c


def revoke_client(
    s: Session, user: User, enterprise_id: int, client_pk: int, *, address: str = ""
) -> None:
    """Revoke a buyer's credentials and every token issued to them."""
    c = _client_of(s, user, enterprise_id, client_pk)
    c.active = False
    s.execute(sa.delete(PactToken).where(PactToken.client_pk == c.id))
    services.audit(
        s,
        user,
        "pact.client.revoke",
        enterprise_id=enterprise_id,
        target=f"pact-client:{c.id}",
        address=address,
    )


# ---------------------------------------------------------------------------------------------
# Tokens (the buyer's side)


def issue_token(
    s: Session, secret: bytes, client_id: str, client_secret: str, *, address: str = ""
) -> tuple[str, PactClient] | None:
    """A new access token for valid credentials (``None`` otherwise, the refusal audited)."""
    c = (
        None
        if "\x00" in client_id or len(client_id) > 64
        else s.scalars(sa.select(PactClient).where(PactClient.client_id == client_id)).first()
    )
    ok = verify_password(c.secret_hash if c else None, client_secret[:500])
    if c is None or not ok or not c.active:
        services.audit(
            s,
            None,
            "pact.token.refused",
            enterprise_id=c.enterprise_id if c else None,
            target=f"pact-client:{c.id}" if c else "",
            address=address,
            detail={"client_id": client_id.replace("\x00", "")[:64]},
        )
        return None
    token = new_token()
    s.add(
        PactToken(
            id=token_id(secret, token),
            client_pk=c.id,
            expires_at=now() + dt.timedelta(seconds=TOKEN_SECONDS),
        )
    )
    s.execute(sa.delete(PactToken).where(PactToken.expires_at < now() - EXPIRED_KEPT))
    services.audit(
        s,
        None,
        "pact.token",
        enterprise_id=c.enterprise_id,
        target=f"pact-client:{c.id}",
        address=address,
        detail={"buyer": c.buyer},
    )
    return token, c


def client_of_token(s: Session, secret: bytes, header: str) -> PactClient:
    """The client of the bearer token in an ``Authorization`` header, or a 401."""
    if not header.lower().startswith("bearer "):
        raise unauthorized()
    token = header[7:].strip()
    if not token or len(token) > 200:
        raise unauthorized()
    row = s.get(PactToken, token_id(secret, token))
    if row is None:
        raise unauthorized("the access token is not valid")
    if row.expires_at < now():
        raise PactError(401, "TokenExpired", "the access token has expired; request a new one")
    c = s.get(PactClient, row.client_pk)
    if c is None or not c.active:
        raise unauthorized("the client's access was revoked")
    return c


# ---------------------------------------------------------------------------------------------
# Footprints


def latest_signed(s: Session, enterprise_id: int) -> Assessment | None:
    return s.scalars(
        sa.select(Assessment)
        .where(
            Assessment.enterprise_id == enterprise_id,
            Assessment.status == "done",
            Assessment.signed.is_(True),
        )
        .order_by(Assessment.version.desc())
        .limit(1)
    ).first()


@dataclass(frozen=True)
class Served:
    """The footprints of an enterprise's latest signed assessment and each one's SKU."""

    footprints: list[dict[str, Any]]
    sku: dict[str, str]
    assessment_id: int | None


def served(s: Session, paths: services.Paths, enterprise_id: int) -> Served:
    a = latest_signed(s, enterprise_id)
    if a is None:
        return Served([], {}, None)
    try:
        path = services.signed_file(paths, a, "pact")
    except services.NotFound:  # signed before the PACT export existed
        return Served([], {}, a.id)
    doc = json.loads(path.read_text("utf-8"))
    sku = {p["id"]: p["sku"] for p in doc["thermaudit"]["products"]}
    return Served(doc["data"], sku, a.id)


def visible(client: PactClient, srv: Served) -> list[dict[str, Any]]:
    allowed = set(client.skus)
    return [pf for pf in srv.footprints if srv.sku.get(pf["id"]) in allowed]


def get_footprint(client: PactClient, srv: Served, pf_id: str) -> dict[str, Any]:
    """One footprint by id: 404 when the enterprise has none, 403 when not the buyer's."""
    for pf in srv.footprints:
        if pf["id"] == pf_id:
            if srv.sku.get(pf_id) not in set(client.skus):
                raise PactError(403, "Forbidden", "access to this footprint is not granted")
            return pf
    raise PactError(404, "NotFound", "the specified footprint does not exist")


@dataclass(frozen=True)
class Criteria:
    """The ListFootprints filters of PACT v3 (the same as a RequestCreated event's)."""

    productId: tuple[str, ...] = ()
    companyId: tuple[str, ...] = ()
    geography: tuple[str, ...] = ()
    classification: tuple[str, ...] = ()
    validOn: dt.datetime | None = None
    validAfter: dt.datetime | None = None
    validBefore: dt.datetime | None = None
    status: str | None = None

    def matches(self, pf: dict[str, Any]) -> bool:
        pcf = pf["pcf"]
        geo = {
            pcf.get(k)
            for k in (
                "geographyCountry",
                "geographyRegionOrSubregion",
                "geographyCountrySubdivision",
            )
        } - {None}
        begin, end = validity(pf)
        tests: list[Callable[[], bool]] = [
            lambda: not self.productId or bool(set(self.productId) & set(pf["productIds"])),
            lambda: not self.companyId or bool(set(self.companyId) & set(pf["companyIds"])),
            lambda: not self.geography or bool(set(self.geography) & geo),
            lambda: (
                not self.classification
                or bool(set(self.classification) & set(pf.get("productClassifications", [])))
            ),
            lambda: self.validOn is None or begin <= _aware(self.validOn) <= end,
            lambda: self.validAfter is None or _aware(self.validAfter) < begin,
            lambda: self.validBefore is None or _aware(self.validBefore) > end,
            lambda: self.status is None or pf["status"] == self.status,
        ]
        return all(t() for t in tests)


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def validity(pf: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    """The validity period of a footprint; without one, 3 years from its reference period's
    end (PACT v3, *Validity period*)."""
    ref_end = dt.datetime.fromisoformat(pf["pcf"]["referencePeriodEnd"])
    begin = pf.get("validityPeriodStart")
    end = pf.get("validityPeriodEnd")
    b = dt.datetime.fromisoformat(begin) if begin else ref_end
    return b, dt.datetime.fromisoformat(end) if end else ref_end + VALIDITY


# ---------------------------------------------------------------------------------------------
# Events


def _strings(data: dict[str, Any], key: str, *, non_empty: bool = False) -> None:
    v = data.get(key)
    if v is None and not non_empty:
        return
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v) or not v:
        raise bad_request(f"data.{key}: expected a non-empty array of strings, found {v!r}")


def _request_id(data: dict[str, Any]) -> None:
    if not isinstance(data.get("requestEventId"), str) or not data["requestEventId"]:
        raise bad_request("data.requestEventId: expected the id of the request event")


def _created(data: dict[str, Any]) -> None:
    allowed = {*_FILTERS, *_DATES, "status", "comment"}
    for key in data:
        if key not in allowed and not key.startswith("x-"):
            raise bad_request(
                f"data.{key}: not a criterion of PACT v3; expected one of "
                f"{', '.join(sorted(allowed))} or an x- extension"
            )
    for key in _FILTERS:
        _strings(data, key)
    for key in _DATES:
        if key in data:
            _datetime(data[key], f"data.{key}")
    if data.get("status") not in (None, "Active", "Deprecated"):
        raise bad_request(f"data.status: expected Active or Deprecated, found {data['status']!r}")
    if not isinstance(data.get("comment", ""), str):
        raise bad_request("data.comment: expected a string")


def _fulfilled(data: dict[str, Any]) -> None:
    _request_id(data)
    pfs = data.get("pfs")
    if not isinstance(pfs, list) or not all(isinstance(x, dict) for x in pfs):
        raise bad_request("data.pfs: expected an array of product footprints")


def _rejected(data: dict[str, Any]) -> None:
    _request_id(data)
    err = data.get("error")
    if not (
        isinstance(err, dict)
        and isinstance(err.get("code"), str)
        and isinstance(err.get("message"), str)
    ):
        raise bad_request('data.error: expected an error response {"code", "message"}')


def _published(data: dict[str, Any]) -> None:
    _strings(data, "pfIds", non_empty=True)


#: event type (after :data:`EVENT_PREFIX`) → check of its ``data``
EVENT_TYPES: dict[str, Callable[[dict[str, Any]], None]] = {
    "RequestCreated.3": _created,
    "RequestFulfilled.3": _fulfilled,
    "RequestRejected.3": _rejected,
    "Published.3": _published,
}


def _datetime(value: Any, where: str) -> None:
    try:
        ok = isinstance(value, str) and dt.datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        ok = False
    if not ok:
        raise bad_request(f"{where}: expected an RFC 3339 date-time, found {value!r}")


def check_event(raw: bytes) -> dict[str, Any]:
    """A CloudEvents event (JSON, structured content mode) of a PACT v3 type, or a 400
    saying what is wrong."""
    try:
        ev = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise bad_request(f"expected a CloudEvents event as JSON: {e}") from None
    if not isinstance(ev, dict):
        raise bad_request(f"expected a JSON object, found {type(ev).__name__}")
    if ev.get("specversion") != "1.0":
        raise bad_request(f"specversion: expected '1.0', found {ev.get('specversion')!r}")
    for key, limit in (("id", 200), ("source", 500), ("type", 100)):
        v = ev.get(key)
        if not isinstance(v, str) or not v or len(v) > limit or "\x00" in v:
            raise bad_request(f"{key}: expected a string of 1 to {limit} characters, found {v!r}")
    kind = ev["type"].removeprefix(EVENT_PREFIX)
    if not ev["type"].startswith(EVENT_PREFIX) or kind not in EVENT_TYPES:
        known = ", ".join(EVENT_PREFIX + k for k in EVENT_TYPES)
        raise bad_request(f"type: expected one of {known}, found {ev['type']!r}")
    if "time" in ev:
        _datetime(ev["time"], "time")
    for key in ev:
        if not _CE_ATTRIBUTE.match(key):
            raise bad_request(f"{key}: not a CloudEvents attribute name")
    if not isinstance(ev.get("data"), dict):
        raise bad_request("data: expected a JSON object")
    EVENT_TYPES[kind](ev["data"])
    if "\\u0000" in json.dumps(ev):
        raise bad_request("the event holds a NUL character")
    return ev


def store_event(s: Session, client: PactClient, ev: dict[str, Any], *, address: str = "") -> bool:
    """Keep an accepted event (once per client, source and id: a repeat is accepted and
    not stored twice); returns whether it was new."""
    seen = s.scalars(
        sa.select(PactEvent.id).where(
            PactEvent.client_pk == client.id,
            PactEvent.source == ev["source"],
            PactEvent.event_id == ev["id"],
        )
    ).first()
    if seen is None:
        s.add(
            PactEvent(
                client_pk=client.id,
                enterprise_id=client.enterprise_id,
                event_id=ev["id"],
                source=ev["source"],
                type=ev["type"],
                body=ev,
            )
        )
    services.audit(
        s,
        None,
        "pact.event",
        enterprise_id=client.enterprise_id,
        target=f"pact-client:{client.id}",
        address=address,
        detail={"type": ev["type"], "id": ev["id"], "repeat": seen is not None},
    )
    return seen is None


def events(s: Session, user: User, enterprise_id: int) -> list[tuple[PactEvent, PactClient]]:
    """The newest 100 events the enterprise's buyers sent, each with its client."""
    _may_manage(s, user, enterprise_id)
    rows = s.execute(
        sa.select(PactEvent, PactClient)
        .join(PactClient, PactClient.id == PactEvent.client_pk)
        .where(PactEvent.enterprise_id == enterprise_id)
        .order_by(PactEvent.id.desc())
        .limit(100)
    ).all()
    return [(e, c) for e, c in rows]
