"""The web service's database: SQLAlchemy 2 models, one engine per app, Alembic migrations.

Tables (see docs/web.md): organizations (enterprise or assessment body), users (one role each),
memberships (user → organization), grants (enterprise → assessment body), sessions (web
sessions and API tokens, stored as HMACs of the token), datasets (uploads and their import),
assessments (immutable signed versions), jobs (background work with progress), finding tracks
(who answers for a finding, open or closed), the audit log, and the PACT host's buyer
credentials, access tokens and received events.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from importlib import resources
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, validates

ROLES = ("enterprise_member", "assessor", "admin")
ORG_KINDS = ("enterprise", "assessment_body")
JOB_STATES = ("queued", "running", "done", "failed")
#: what a job left running becomes at start-up
INTERRUPTED = "interrupted by a server restart; run it again"


def name_key(name: str) -> str:
    """What makes two organization names the same: Unicode compatibility form, case folded,
    runs of white space as one space ("ALPHA  Ａｌｐｈａ" and "alpha alpha" are one name).
    Computed here, not by the database, so that SQLite (whose ``lower()`` folds ASCII only)
    and PostgreSQL agree."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class UtcDateTime(sa.TypeDecorator[dt.datetime]):
    """A UTC instant; SQLite hands back naive values, which are UTC by construction."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, _dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value

    def process_result_value(self, value: dt.datetime | None, _dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UtcDateTime(),
        dict[str, Any]: sa.JSON,
    }


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(200))
    #: :func:`name_key` of ``name``, unique: one name, one organization
    name_key: Mapped[str | None] = mapped_column(sa.String(400), index=True, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    __table_args__ = (sa.CheckConstraint("kind IN ('enterprise', 'assessment_body')"),)

    @validates("name")
    def _keyed(self, _field: str, value: str) -> str:
        self.name_key = name_key(value)
        return value


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(200), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    __table_args__ = (sa.CheckConstraint("role IN ('enterprise_member', 'assessor', 'admin')"),)


class Membership(Base):
    __tablename__ = "memberships"
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), primary_key=True
    )


class Grant(Base):
    """An enterprise lets an assessment body's assessors see its data."""

    __tablename__ = "grants"
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), primary_key=True)
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), primary_key=True)
    granted_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class SessionRow(Base):
    """A web session (cookie) or an API token; ``id`` is HMAC-SHA256(secret, token)."""

    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))  # web | api
    csrf: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    expires_at: Mapped[dt.datetime]


class Dataset(Base):
    """One upload of one enterprise and what its import into the workspace gave."""

    __tablename__ = "datasets"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    uploaded_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: the client's file name, shown only (never used to build a path)
    original_name: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[str] = mapped_column(sa.String(10))  # zip | xlsx
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    #: queued | importing | imported | unchanged | rejected | failed
    status: Mapped[str] = mapped_column(sa.String(20), default="queued")
    import_id: Mapped[str | None] = mapped_column(sa.String(40))
    replace: Mapped[bool] = mapped_column(default=False)
    problems: Mapped[dict[str, Any] | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class Assessment(Base):
    """One version of an enterprise's assessment; signed versions are never changed."""

    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    version: Mapped[int]
    previous_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id"))
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    lang: Mapped[str] = mapped_column(sa.String(10))
    #: queued | running | done | failed
    status: Mapped[str] = mapped_column(sa.String(20), default="queued")
    signed: Mapped[bool] = mapped_column(default=False)
    signed_at: Mapped[dt.datetime | None]
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    #: file name → sha256 of the signed folder and the bundle
    files: Mapped[dict[str, Any] | None]
    #: period, enterprise and the six metrics (value, unit, grade, qualified, U)
    summary: Mapped[dict[str, Any] | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    __table_args__ = (sa.UniqueConstraint("enterprise_id", "version"),)


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # import | assess
    state: Mapped[str] = mapped_column(sa.String(20), default="queued", index=True)
    progress: Mapped[int] = mapped_column(default=0)  # percent
    message: Mapped[str] = mapped_column(sa.Text, default="")
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    dataset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("datasets.id"))
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id"))
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    #: why a job failed, as an i18n key and its parameters (``{"key": "job_timeout", "s":
    #: 60}``); the page shows it in the reader's language, ``message`` says it in English
    reason: Mapped[dict[str, Any] | None]


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=now, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(60))
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    target: Mapped[str] = mapped_column(sa.String(100), default="")
    address: Mapped[str] = mapped_column(sa.String(60), default="")
    detail: Mapped[dict[str, Any] | None]


#: where a finding stands: open until someone closes it
FINDING_STATES = ("open", "closed")


class FindingTrack(Base):
    """Who answers for one finding of an enterprise, and whether it is closed.

    A finding is followed across assessments by its ``key`` (its code and the meter,
    controller, product … it is about, :func:`thermaudit.web.services.finding_key`); the
    track is made when someone first assigns or closes the finding. Every change is in the
    audit log.
    """

    __tablename__ = "finding_tracks"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(300))
    code: Mapped[str] = mapped_column(sa.String(100))
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    department: Mapped[str | None] = mapped_column(sa.String(100))
    person: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    #: the assessment the last change was made on
    assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id"))
    updated_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=now)
    closed_at: Mapped[dt.datetime | None]
    __table_args__ = (
        sa.UniqueConstraint("enterprise_id", "key"),
        sa.CheckConstraint("status IN ('open', 'closed')"),
    )


class PactClient(Base):
    """A buyer's client credentials for the PACT host (:mod:`thermaudit.web.buyers`): the
    enterprise whose footprints it reads and the SKUs it may see; the secret is kept as an
    argon2 hash only."""

    __tablename__ = "pact_clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(200))
    buyer: Mapped[str] = mapped_column(sa.String(200))
    #: the SKUs whose footprints the buyer sees
    skus: Mapped[list[str]] = mapped_column(sa.JSON)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class PactToken(Base):
    """An access token of a PACT client; ``id`` is HMAC-SHA256(secret, token). Kept a day
    past its expiry so that a late caller is told ``TokenExpired``."""

    __tablename__ = "pact_tokens"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    client_pk: Mapped[int] = mapped_column(sa.ForeignKey("pact_clients.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    expires_at: Mapped[dt.datetime]


class PactEvent(Base):
    """A CloudEvents event a buyer sent to ``POST /3/events``, as received."""

    __tablename__ = "pact_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(sa.ForeignKey("pact_clients.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    event_id: Mapped[str] = mapped_column(sa.String(200))
    source: Mapped[str] = mapped_column(sa.String(500))
    type: Mapped[str] = mapped_column(sa.String(100))
    received_at: Mapped[dt.datetime] = mapped_column(default=now)
    body: Mapped[dict[str, Any]]
    __table_args__ = (sa.UniqueConstraint("client_pk", "source", "event_id"),)


class SignedAssessmentChanged(RuntimeError):
    """A signed assessment was about to be changed in the database."""


@event.listens_for(Assessment, "before_update")
def _refuse_signed_update(_mapper: Any, connection: sa.Connection, target: Assessment) -> None:
    """The last line of defence: a row that is signed in the database stays as it is."""
    signed = connection.execute(
        sa.select(Assessment.signed).where(Assessment.id == target.id)
    ).scalar_one()
    if signed:
        raise SignedAssessmentChanged(f"assessment {target.id} is signed and cannot change")


@event.listens_for(Assessment, "before_delete")
def _refuse_signed_delete(_mapper: Any, _connection: sa.Connection, target: Assessment) -> None:
    if target.signed:
        raise SignedAssessmentChanged(f"assessment {target.id} is signed and cannot be deleted")


# ---------------------------------------------------------------------------------------------
# Engine and migrations


def make_engine(url: str) -> sa.Engine:
    """The engine of ``url``.

    On SQLite a transaction begins ``DEFERRED`` (readers never wait in WAL mode), or
    ``IMMEDIATE`` on an engine made with ``.execution_options(sqlite_begin="IMMEDIATE")``
    (:func:`writer`): it takes the write lock at once (waiting up to the busy timeout), so two
    transactions that each read, then write, run one after the other and the second sees
    what the first committed. Deferred, the second would fail at its first write ("database
    is locked", without waiting) when the first had committed meanwhile."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_con: Any, _record: Any) -> None:
            dbapi_con.isolation_level = None  # the driver leaves BEGIN to SQLAlchemy (below)
            cur = dbapi_con.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(con: sa.Connection) -> None:
            mode = con.get_execution_options().get("sqlite_begin", "DEFERRED")
            con.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def writer(engine: sa.Engine) -> sa.Engine:
    """``engine`` for transactions that read, then write: ``BEGIN IMMEDIATE`` on SQLite (see
    :func:`make_engine`); the same engine elsewhere (PostgreSQL's unique keys decide)."""
    return engine.execution_options(sqlite_begin="IMMEDIATE")


def upgrade(engine: sa.Engine) -> None:
    """Bring the database to the newest schema with the migrations shipped in the package."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("thermaudit.web") / "migrations"))
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, "head")


def mark_interrupted(session: Session) -> int:
    """After a start: work a stopped server left unfinished becomes ``failed`` with the
    reason "interrupted" (and may be run again); returns how many jobs, datasets and
    assessments changed. Jobs still ``queued`` stay queued for the worker, and so do the
    dataset or assessment they will produce."""
    reason = {"key": "job_interrupted"}
    jobs = session.execute(
        sa.update(Job)
        .where(Job.state == "running")
        .values(state="failed", message=INTERRUPTED, reason=reason, finished_at=now())
        .returning(Job.id)
    ).all()
    queued = sa.select(Job.id).where(Job.state == "queued")
    datasets = session.execute(
        sa.update(Dataset)
        .where(
            Dataset.status.in_(("queued", "importing")),
            ~sa.exists(queued.where(Job.dataset_id == Dataset.id)),
        )
        .values(status="failed")
        .returning(Dataset.id)
    ).all()
    assessments = session.execute(
        sa.update(Assessment)
        .where(
            Assessment.status.in_(("queued", "running")),
            Assessment.signed.is_(False),
            ~sa.exists(queued.where(Job.assessment_id == Assessment.id)),
        )
        .values(status="failed")
        .returning(Assessment.id)
    ).all()
    return len(jobs) + len(datasets) + len(assessments)
