"""The workspace: every dataset an enterprise handed over, as received and as normalized.

Layout
------
::

    WS/
      thermaudit-workspace.json   # marker: {"format": "thermaudit.workspace", "version": 1, ...}
      catalog.sqlite              # the record of imports (the only source of truth, see below)
      raw/sha256/ab/abcdef…       # every input file as received, content-addressed, written once
      imports/<import-id>/        # one normalized dataset per committed import:
          <table>.parquet         #   tables of :data:`thermaudit.dataset.model.SCHEMAS`
          site.yaml               #   the site.yaml as received (byte copy)
      cache/<key>/<table>.parquet # merged views of several current imports (disposable)
      .tmp/<import-id>/           # an import being prepared (never part of the workspace)
      .lock                       # fcntl.flock'ed while an import runs

``catalog.sqlite`` holds per import: id, when (UTC), who (the login name), the source folder,
status (``current`` or ``superseded``) and ``superseded_by``; the files received (name,
sha256, rows, table); the row count of every table; the period and enterprise of
``site.yaml``; and per meter the first and last reading instant and the number of readings.

Import ids are ``YYYYMMDDTHHMMSSZ-xxxxxx`` (UTC time of the import, six random hex digits):
they sort by time and never repeat.

What an import does
-------------------
1. Take the lock (:class:`~thermaudit.errors.WorkspaceError` "workspace is busy" when another
   import holds it) and clear what an earlier, killed import left (see *Recovery*).
2. Normalize the dataset into ``.tmp/<id>/`` (:func:`thermaudit.dataset.reader.normalize`). A
   rejected dataset raises :class:`~thermaudit.errors.InvalidDataset` and nothing in the
   workspace changes.
3. Decide against the catalog:

   - the same enterprise only (credit code of the first import);
   - the same set of file sha256s as a *current* import → nothing is stored, the result says
     ``unchanged`` and names that import;
   - readings of a meter that overlap in time the readings of the same meter in a current
     import are refused, naming the meters, the overlapping ranges and the import, unless
     ``replace=True``: then every overlapped import becomes ``superseded`` (kept on disk and
     in the history, with ``superseded_by``) and the new import is current. Two ranges overlap
     when they share more than an end point: a range that starts at the instant another ends
     (the boundary reading that consecutive monthly exports of a cumulative register both
     carry) is adjacent, not overlapping.

4. Copy every input file into ``raw/`` (temporary name, fsync, ``os.replace``: idempotent).
5. ``os.rename`` ``.tmp/<id>`` to ``imports/<id>``, then write all catalog rows (the new import
   and the supersessions) in ONE SQLite transaction. Its COMMIT is the commit point of the
   import: before it the import does not exist, after it the import is complete.

Recovery
--------
The catalog is the only source of truth. Whenever the lock is free, opening the workspace
(and every import, before it starts) removes what no committed import owns: everything in
``.tmp/``, directories in ``imports/`` without a committed catalog row, temporary files in
``raw/`` and raw blobs that no committed import references (a killed import may have
written them; removing them makes the workspace byte-identical to before). SQLite rolls back a
transaction that a killed process left open. So a process killed at any point leaves the
workspace as it was, or (killed after COMMIT) with the import complete. An import that fails
or is refused cleans up the same way before it raises.

Several current imports
-----------------------
:meth:`Workspace.current` lists the current imports. :meth:`Workspace.current_dataset` gives
the one :class:`~thermaudit.dataset.model.NormalizedDataset` the metrics read: the single
current import itself, or, when several are current (e.g. one import per month), a merged
view whose tables are the union of theirs (DuckDB ``read_parquet([...],
union_by_name=true)``, written once to ``cache/<key>/`` where the key hashes the import ids),
whose site is the latest import's ``site.yaml`` with ``period`` = earliest start to latest
end, and whose inputs are all of theirs. A gap between the periods is not filled: it shows
as missing intervals. In the merged view ``_row`` still refers to the row of the file that
gave it; rows of two imports that share a boundary instant are both kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import getpass
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyarrow.parquet as pq

from thermaudit._version import __version__
from thermaudit.dataset.model import InputFile, NormalizedDataset
from thermaudit.dataset.reader import normalize
from thermaudit.dataset.site import Period, Site, load_site
from thermaudit.engine import raw_connect
from thermaudit.errors import WorkspaceError

MARKER = "thermaudit-workspace.json"
FORMAT = "thermaudit.workspace"
#: layout version this code reads and writes
VERSION = 1
CATALOG = "catalog.sqlite"
SITE_COPY = "site.yaml"
#: overlapping meters listed per import in a refusal
_MAX_LISTED = 30

#: a progress callback receives a short description of the step that starts
Progress = Callable[[str], None]

#: stages at which ``THERMAUDIT_TEST_PAUSE_AT`` makes an import stop (tests kill it there)
PAUSE_STAGES = (
    "normalized",  # tables in .tmp/<id>, nothing else written
    "raw_partial",  # first new raw blob written under its temporary name
    "raw_copied",  # every raw blob in raw/, not yet referenced
    "renamed",  # .tmp/<id> moved to imports/<id>, no catalog row
    "catalog_written",  # catalog rows written, transaction not committed
    "committed",  # COMMIT done: the import is complete
)

_SCHEMA = """
CREATE TABLE imports (
    id            TEXT PRIMARY KEY,
    seq           INTEGER NOT NULL UNIQUE,
    created_utc   TEXT NOT NULL,
    user          TEXT NOT NULL,
    source        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('current', 'superseded')),
    superseded_by TEXT REFERENCES imports(id),
    superseded_utc TEXT,
    credit_code   TEXT NOT NULL,
    enterprise    TEXT NOT NULL,
    period_start  TEXT NOT NULL,
    period_end    TEXT NOT NULL,
    software      TEXT NOT NULL
);
CREATE TABLE files (
    import_id TEXT NOT NULL REFERENCES imports(id),
    name      TEXT NOT NULL,
    tbl       TEXT,
    sha256    TEXT NOT NULL,
    rows      INTEGER NOT NULL,
    PRIMARY KEY (import_id, name, tbl)
);
CREATE TABLE tables (
    import_id TEXT NOT NULL REFERENCES imports(id),
    name      TEXT NOT NULL,
    rows      INTEGER NOT NULL,
    PRIMARY KEY (import_id, name)
);
CREATE TABLE meters (
    import_id TEXT NOT NULL REFERENCES imports(id),
    meter_id  TEXT NOT NULL,
    first_ts  TEXT NOT NULL,
    last_ts   TEXT NOT NULL,
    readings  INTEGER NOT NULL,
    PRIMARY KEY (import_id, meter_id)
);
CREATE INDEX files_sha ON files (sha256);
"""


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class MeterSpan:
    """The readings of one meter in one import: first and last instant [UTC] and their count."""

    meter_id: str
    first: dt.datetime
    last: dt.datetime
    readings: int

    def overlap(self, other: MeterSpan) -> tuple[dt.datetime, dt.datetime] | None:
        """The shared time range, or None when the spans are disjoint or only touch.

        Spans overlap when they share more than an end point; identical spans always do.
        """
        lo, hi = max(self.first, other.first), min(self.last, other.last)
        same = (self.first, self.last) == (other.first, other.last)
        return (lo, hi) if lo < hi or same else None


@dataclass(frozen=True)
class ImportRecord:
    """One committed import as the catalog records it."""

    id: str
    created: dt.datetime  # aware, UTC
    user: str
    source: str
    status: str  # "current" | "superseded"
    superseded_by: str | None
    credit_code: str
    enterprise: str
    period: Period
    files: tuple[InputFile, ...]
    table_rows: dict[str, int]
    meters: tuple[MeterSpan, ...]
    path: Path  # imports/<id>

    @property
    def tables(self) -> dict[str, Path]:
        """Table name → normalized Parquet file."""
        return {name: self.path / f"{name}.parquet" for name in self.table_rows}

    @cached_property
    def site(self) -> Site:
        """The import's ``site.yaml``, validated."""
        return load_site(self.path / SITE_COPY, stored=True)

    def dataset(self) -> NormalizedDataset:
        """This import as a :class:`NormalizedDataset`."""
        return NormalizedDataset(
            site=self.site, tables=self.tables, inputs=self.files, source=Path(self.source)
        )


@dataclass(frozen=True)
class ImportResult:
    """What :meth:`Workspace.import_dataset` did.

    ``import_id`` is the new import, or with ``unchanged=True`` the existing current import
    whose files are identical (then nothing was stored). ``superseded`` lists the imports the
    new one replaced.
    """

    import_id: str
    unchanged: bool
    files: tuple[InputFile, ...]
    table_rows: dict[str, int]
    superseded: tuple[str, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------------------------------------
# Workspace


def init_workspace(path: Path | str, *, exist_ok: bool = False) -> Workspace:
    """Create a workspace in ``path`` (created when missing; an existing folder must be empty).

    The skeleton is built in a sibling temporary folder and renamed into place, so a killed
    ``init`` leaves no half workspace.

    Raises
    ------
    WorkspaceError
        ``path`` is already a workspace (unless ``exist_ok``), or a non-empty folder or a file.
    """
    root = Path(path).expanduser().absolute()
    if (root / MARKER).is_file():
        if exist_ok:
            return open_workspace(root)
        raise WorkspaceError(
            f"{root} is already a thermaudit workspace",
            hint=f"import into it with: thermaudit import DATASET -w {root}",
        )
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"cannot create a workspace at {root}: it is a file")
    if root.is_dir() and any(root.iterdir()):
        raise WorkspaceError(
            f"cannot create a workspace in {root}: the folder is not empty",
            hint="choose a new or empty folder for the workspace",
        )
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = root.parent / f".{root.name}.init-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        for sub in ("raw/sha256", "imports", "cache", ".tmp"):
            (staging / sub).mkdir(parents=True)
        (staging / ".lock").touch()
        con = sqlite3.connect(staging / CATALOG)
        try:
            con.executescript(_SCHEMA)
            con.execute(f"PRAGMA user_version = {VERSION}")
            con.commit()
        finally:
            con.close()
        marker = {
            "format": FORMAT,
            "version": VERSION,
            "created_utc": _iso(_now()),
            "created_by": f"thermaudit {__version__}",
        }
        (staging / MARKER).write_text(json.dumps(marker, indent=2) + "\n", "utf-8")
        try:
            os.rename(staging, root)  # replaces a missing or empty folder atomically
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise WorkspaceError(
                    f"cannot create a workspace in {root}: the folder is not empty",
                    hint="choose a new or empty folder for the workspace",
                ) from None
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return open_workspace(root)


def open_workspace(path: Path | str) -> Workspace:
    """Open the workspace in ``path`` and, when no import runs, clear leftovers of killed ones.

    Raises
    ------
    WorkspaceError
        ``path`` is not a workspace (the hint says how to create one) or was written by a
        newer version of thermaudit.
    """
    root = Path(path).expanduser().absolute()
    marker = root / MARKER
    if not marker.is_file():
        what = "does not exist" if not root.exists() else f"is not a workspace (no {MARKER})"
        raise WorkspaceError(
            f"{root} {what}",
            hint=f"create a workspace with: thermaudit init {root}",
        )
    try:
        meta = json.loads(marker.read_text("utf-8"))
        version = int(meta["version"])
        if meta["format"] != FORMAT:
            raise ValueError(meta["format"])
    except (ValueError, KeyError, TypeError):
        raise WorkspaceError(
            f"{marker} is damaged: expected a JSON object with format {FORMAT!r} and a version"
        ) from None
    if version > VERSION:
        raise WorkspaceError(
            f"{root} is a version {version} workspace; this thermaudit ({__version__}) "
            f"reads version {VERSION}",
            hint="upgrade thermaudit",
        )
    ws = Workspace(root)
    if ws._leftovers():  # take the lock only then: an import starting now finds it free
        try:
            with ws._locked():
                ws._recover()
        except (WorkspaceError, PermissionError):
            pass  # an import is running (its files are not leftovers), or a read-only workspace
    return ws


class Workspace:
    """A workspace folder (see the module documentation for its layout and guarantees).

    Obtain one with :func:`init_workspace` or :func:`open_workspace`.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    # -- reading ---------------------------------------------------------------------------

    def history(self) -> list[ImportRecord]:
        """Every committed import, oldest first, superseded ones included."""
        with self._catalog() as con:
            return self._records(con)

    def current(self) -> list[ImportRecord]:
        """The current imports, oldest first (each with its table Parquet paths and site)."""
        return [r for r in self.history() if r.status == "current"]

    def get(self, import_id: str) -> ImportRecord:
        """One import by id.

        Raises
        ------
        WorkspaceError
            No import has that id.
        """
        for rec in self.history():
            if rec.id == import_id:
                return rec
        raise WorkspaceError(
            f"no import {import_id!r} in {self.root}",
            hint="list the imports with Workspace.history()",
        )

    def current_dataset(self) -> NormalizedDataset:
        """The dataset the metrics read: the current import, or the merged view of several.

        See *Several current imports* in the module documentation.

        Raises
        ------
        WorkspaceError
            The workspace holds no import yet.
        """
        current = self.current()
        if not current:
            raise WorkspaceError(
                f"the workspace {self.root} holds no dataset yet",
                hint=f"import one with: thermaudit import DATASET -w {self.root}",
            )
        if len(current) == 1:
            return current[0].dataset()
        latest = current[-1]
        period = Period(
            start=min(r.period.start for r in current), end=max(r.period.end for r in current)
        )
        site = latest.site.model_copy(update={"period": period})
        return NormalizedDataset(
            site=site,
            tables=self._merged_tables(current),
            inputs=tuple(f for r in current for f in r.files),
            source=self.root,
        )

    # -- importing -------------------------------------------------------------------------

    def import_dataset(
        self, source: Path | str, *, replace: bool = False, progress: Progress | None = None
    ) -> ImportResult:
        """Validate, normalize and store the dataset folder ``source``.

        Parameters
        ----------
        source : Path
            A dataset folder (``thermaudit.dataset/1``) or its ``site.yaml``.
        replace : bool
            Supersede current imports whose readings the new dataset overlaps, instead of
            refusing.
        progress : callable, optional
            Called with a short description as each step starts.

        Raises
        ------
        InvalidDataset
            The dataset does not follow the contract; nothing was stored.
        WorkspaceError
            Another import is running, the dataset is of another enterprise, its readings
            overlap a current import (without ``replace``), or a file changed while it was
            read.
        """

        def step(text: str) -> None:
            if progress is not None:
                progress(text)

        source = Path(source).expanduser().absolute()
        if source.is_file():  # the dataset's site.yaml: the folder is meant
            source = source.parent
        with self._locked():
            self._recover()
            import_id = _new_id()
            tmp = self.root / ".tmp" / import_id
            final = self.root / "imports" / import_id
            committed = False
            try:
                tmp.mkdir(parents=True)
                step(f"validating {source}")
                ds = normalize(
                    source,
                    tmp,
                    progress=lambda table, rows: step(f"reading {table}: {rows:,} rows"),
                )
                site_file = _site_input(ds)
                shutil.copyfile(source / site_file.file, tmp / SITE_COPY)
                if _sha256(tmp / SITE_COPY) != site_file.sha256:
                    raise _changed(source / site_file.file)
                _pause("normalized")
                step("checking against the catalog")
                table_rows = {name: pq.read_metadata(p).num_rows for name, p in ds.tables.items()}
                spans = _meter_spans(ds.tables.get("readings"))
                received = {f.sha256 for f in ds.inputs}
                with self._catalog() as con:
                    records = self._records(con)
                    self._check_enterprise(ds.site, records)
                    for rec in records:
                        if rec.status == "current" and {f.sha256 for f in rec.files} == received:
                            return ImportResult(rec.id, True, rec.files, rec.table_rows)
                    superseded = self._check_overlap(spans, records, ds.site, replace=replace)
                step("storing the files as received")
                self._store_raw(source, ds.inputs, import_id)
                _pause("raw_copied")
                step("committing")
                _fsync_tree(tmp)
                final.parent.mkdir(exist_ok=True)
                os.rename(tmp, final)
                _fsync_dir(final.parent)
                _pause("renamed")
                self._commit(import_id, ds, source, table_rows, spans, superseded)
                committed = True
                _pause("committed")
            finally:
                if not committed:  # remove its tmp folder, import folder and new raw blobs;
                    with contextlib.suppress(OSError, sqlite3.Error):  # else the next open does
                        self._recover()
        return ImportResult(import_id, False, ds.inputs, table_rows, tuple(superseded))

    # -- internals -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _catalog(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.root / CATALOG, isolation_level=None, timeout=30)
        try:
            con.execute("PRAGMA foreign_keys = ON")
            (version,) = con.execute("PRAGMA user_version").fetchone()
            if version != VERSION:
                raise WorkspaceError(
                    f"{self.root / CATALOG} has catalog version {version}, expected {VERSION}"
                )
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except PermissionError:
            raise WorkspaceError(
                f"cannot write to the workspace {self.root}: permission denied"
            ) from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise WorkspaceError(
                    f"workspace is busy: another import into {self.root} is running",
                    hint="wait until it has finished, then run this again",
                ) from None
            yield
        finally:
            os.close(fd)  # releases the lock

    def _records(self, con: sqlite3.Connection) -> list[ImportRecord]:
        files: dict[str, list[InputFile]] = {}
        for iid, name, tbl, sha, rows in con.execute(
            "SELECT import_id, name, tbl, sha256, rows FROM files ORDER BY import_id, rowid"
        ):
            files.setdefault(iid, []).append(InputFile(name, sha, rows, tbl))
        tables: dict[str, dict[str, int]] = {}
        for iid, name, rows in con.execute(
            "SELECT import_id, name, rows FROM tables ORDER BY import_id, name"
        ):
            tables.setdefault(iid, {})[name] = rows
        meters: dict[str, list[MeterSpan]] = {}
        for iid, mid, first, last, n in con.execute(
            "SELECT import_id, meter_id, first_ts, last_ts, readings FROM meters "
            "ORDER BY import_id, meter_id"
        ):
            meters.setdefault(iid, []).append(
                MeterSpan(mid, dt.datetime.fromisoformat(first), dt.datetime.fromisoformat(last), n)
            )
        out = []
        for row in con.execute(
            "SELECT id, created_utc, user, source, status, superseded_by, credit_code, enterprise,"
            " period_start, period_end FROM imports ORDER BY seq"
        ):
            iid = row[0]
            out.append(
                ImportRecord(
                    id=iid,
                    created=dt.datetime.fromisoformat(row[1]),
                    user=row[2],
                    source=row[3],
                    status=row[4],
                    superseded_by=row[5],
                    credit_code=row[6],
                    enterprise=row[7],
                    period=Period(start=row[8], end=row[9]),
                    files=tuple(files.get(iid, ())),
                    table_rows=tables.get(iid, {}),
                    meters=tuple(meters.get(iid, ())),
                    path=self.root / "imports" / iid,
                )
            )
        return out

    def _check_enterprise(self, site: Site, records: list[ImportRecord]) -> None:
        if not records:
            return
        first = records[0]
        code = site.enterprise.credit_code
        if code != first.credit_code:
            raise WorkspaceError(
                f"the dataset is of another enterprise: credit code {code} "
                f"({site.enterprise.name}), but this workspace holds {first.credit_code} "
                f"({first.enterprise}, import {first.id})",
                hint="use one workspace per enterprise: create another with thermaudit init DIR",
            )

    def _check_overlap(
        self, spans: list[MeterSpan], records: list[ImportRecord], site: Site, *, replace: bool
    ) -> list[str]:
        """Current imports the new readings overlap; refuse unless ``replace``."""
        new = {s.meter_id: s for s in spans}
        clashes: dict[str, list[tuple[str, tuple[dt.datetime, dt.datetime]]]] = {}
        for rec in records:
            if rec.status != "current":
                continue
            for old in rec.meters:
                if old.meter_id in new and (both := new[old.meter_id].overlap(old)):
                    clashes.setdefault(rec.id, []).append((old.meter_id, both))
        if clashes and not replace:
            zone = site.zone
            lines = []
            for iid, items in clashes.items():
                lines.append(f"  import {iid}:")
                lines += [
                    f"    {mid} {_local(lo, zone)} – {_local(hi, zone)}"
                    for mid, (lo, hi) in items[:_MAX_LISTED]
                ]
                if len(items) > _MAX_LISTED:
                    lines.append(f"    … and {len(items) - _MAX_LISTED} more meters")
            n = len({mid for items in clashes.values() for mid, _ in items})
            raise WorkspaceError(
                f"the readings of {n} meter{'s' if n != 1 else ''} overlap readings of the same "
                f"meters in current imports (overlapping ranges in {site.timezone}):\n"
                + "\n".join(lines),
                hint="use --replace to supersede "
                + ", ".join(clashes)
                + " (kept in the history), or remove the overlapping readings from the dataset",
            )
        # production and melting rows are not keyed by meter: two current imports whose
        # periods overlap would count the same days' output twice in the merged view
        periods = [
            rec
            for rec in records
            if rec.status == "current"
            and rec.id not in clashes
            and rec.period.start <= site.period.end
            and site.period.start <= rec.period.end
        ]
        if periods and not replace:
            listed = ", ".join(
                f"{r.id} ({r.period.start.isoformat()} – {r.period.end.isoformat()})"
                for r in periods
            )
            raise WorkspaceError(
                f"the period {site.period.start.isoformat()} – {site.period.end.isoformat()} "
                f"overlaps current imports {listed}: their production would be counted twice",
                hint="use --replace to supersede them (kept in the history), or import a "
                "dataset for the following period",
            )
        return list(clashes) + [r.id for r in periods]

    def _store_raw(self, source: Path, inputs: tuple[InputFile, ...], import_id: str) -> None:
        seen: set[str] = set()
        for inp in inputs:
            if inp.sha256 in seen:
                continue  # a workbook gives one InputFile per sheet
            seen.add(inp.sha256)
            dest = self._blob(inp.sha256)
            if dest.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            part = dest.parent / f".{inp.sha256}.{import_id}.part"
            src = _input_path(source, inp)
            digest = hashlib.sha256()
            with src.open("rb") as fin, part.open("wb") as fout:
                while chunk := fin.read(1 << 20):
                    digest.update(chunk)
                    fout.write(chunk)
                fout.flush()
                os.fsync(fout.fileno())
            if digest.hexdigest() != inp.sha256:
                part.unlink()
                raise _changed(src)
            _pause("raw_partial")
            os.replace(part, dest)
            _fsync_dir(dest.parent)

    def _blob(self, sha: str) -> Path:
        return self.root / "raw" / "sha256" / sha[:2] / sha

    def _commit(
        self,
        import_id: str,
        ds: NormalizedDataset,
        source: Path,
        table_rows: dict[str, int],
        spans: list[MeterSpan],
        superseded: list[str],
    ) -> None:
        now = _iso(_now())
        ent = ds.site.enterprise
        with self._catalog() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                (seq,) = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM imports").fetchone()
                con.execute(
                    "INSERT INTO imports VALUES (?,?,?,?,?,'current',NULL,NULL,?,?,?,?,?)",
                    (
                        import_id,
                        seq,
                        now,
                        _user(),
                        str(source),
                        ent.credit_code,
                        ent.name,
                        ds.site.period.start.isoformat(),
                        ds.site.period.end.isoformat(),
                        f"thermaudit {__version__}",
                    ),
                )
                con.executemany(
                    "INSERT INTO files VALUES (?,?,?,?,?)",
                    [(import_id, f.file, f.table, f.sha256, f.rows) for f in ds.inputs],
                )
                con.executemany(
                    "INSERT INTO tables VALUES (?,?,?)",
                    [(import_id, name, rows) for name, rows in table_rows.items()],
                )
                con.executemany(
                    "INSERT INTO meters VALUES (?,?,?,?,?)",
                    [
                        (import_id, s.meter_id, _iso(s.first), _iso(s.last), s.readings)
                        for s in spans
                    ],
                )
                con.executemany(
                    "UPDATE imports SET status = 'superseded', superseded_by = ?, "
                    "superseded_utc = ? WHERE id = ? AND status = 'current'",
                    [(import_id, now, old) for old in superseded],
                )
                _pause("catalog_written")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _leftovers(self) -> list[Path]:
        """What no committed import owns (see *Recovery*); reading it needs no lock."""
        with self._catalog() as con:  # a hot journal of a killed transaction rolls back here
            ids = {r[0] for r in con.execute("SELECT id FROM imports")}
            shas = {r[0] for r in con.execute("SELECT DISTINCT sha256 FROM files")}
        out = _children(self.root / ".tmp")
        out += [d for d in _children(self.root / "imports") if d.name not in ids]
        for shard in _children(self.root / "raw" / "sha256"):
            blobs = _children(shard)
            garbage = [blob for blob in blobs if blob.name not in shas]
            out += [shard] if len(garbage) == len(blobs) else garbage
        journal = self.root / f"{CATALOG}-journal"
        if journal.exists():
            out.append(journal)
        return out

    def _recover(self) -> None:
        """Remove what no committed import owns (call with the lock held)."""
        for path in self._leftovers():
            if path.name == f"{CATALOG}-journal":
                # Killed before its journal was synced, a transaction leaves a journal that is
                # not hot (the database file was never touched) and that SQLite keeps. Leaving
                # PERSIST for DELETE makes SQLite itself delete it, the database file untouched.
                with self._catalog() as con:
                    con.execute("PRAGMA journal_mode = PERSIST")
                    con.execute("PRAGMA journal_mode = DELETE")
                continue
            _remove(path)

    def _merged_tables(self, current: list[ImportRecord]) -> dict[str, Path]:
        key = hashlib.sha256("\n".join(r.id for r in current).encode()).hexdigest()[:16]
        cache = self.root / "cache" / key
        names = sorted({name for r in current for name in r.table_rows})
        if not cache.is_dir():
            staging = self.root / "cache" / f".{key}.{secrets.token_hex(4)}"
            staging.mkdir(parents=True)
            try:
                con = raw_connect()
                try:
                    for name in names:
                        parts = [r for r in current if name in r.table_rows]
                        con.execute(
                            f"COPY ({_merge_sql(name, parts)}) TO ? (FORMAT parquet)",
                            [str(staging / f"{name}.parquet")],
                        )
                finally:
                    con.close()
                with contextlib.suppress(OSError):  # another reader may have been faster
                    os.rename(staging, cache)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return {name: cache / f"{name}.parquet" for name in names}


# ---------------------------------------------------------------------------------------------
# helpers

#: tables whose rows are output or samples of a period: each import contributes only the
#: rows of its own period, so adjacent imports never count a day twice
_PERIOD_TABLES = (
    "production",
    "melting",
    "mold_temperature",
    "heat_streams",
    "weather",
    "metal_inputs",
    "deliveries",
    "quality",
)
#: period tables dated by day only
_DATE_TABLES = ("metal_inputs", "deliveries", "quality")
#: tables of documents (certificates, invoices, maintenance windows, which may straddle two
#: imports' periods) that several imports may repeat
_DOCUMENT_TABLES = (
    "calibrations",
    "energy_purchases",
    "green_certificates",
    "customers",
    "certifications",
    "maintenance",
)


def _merge_sql(name: str, records: list[ImportRecord]) -> str:
    """SQL of the merged view of one table over several current imports.

    Readings and meter events are unioned whole (boundary interpolation needs the readings
    around a period edge); period tables keep each import's own period (timestamped rows
    by instant, date-only rows by date); document tables drop exact repeats.
    """

    def lit(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    selects = []
    for r in records:
        src = f"read_parquet({lit(str(r.tables[name]))})"
        if name in _PERIOD_TABLES:
            lo, hi = r.site.period_bounds_utc()
            in_ts = (
                f"ts > {lit(lo.isoformat())}::TIMESTAMPTZ "
                f"AND ts <= {lit(hi.isoformat())}::TIMESTAMPTZ"
            )
            in_date = (
                f"date BETWEEN {lit(r.period.start.isoformat())}::DATE "
                f"AND {lit(r.period.end.isoformat())}::DATE"
            )
            if name in ("production", "melting"):
                cond = f"(ts IS NOT NULL AND {in_ts}) OR (ts IS NULL AND {in_date})"
            elif name in _DATE_TABLES:
                cond = in_date
            else:
                cond = in_ts
            selects.append(f"SELECT * FROM {src} WHERE {cond}")
        else:
            selects.append(f"SELECT * FROM {src}")
    union = " UNION ALL BY NAME ".join(selects)
    if name in _DOCUMENT_TABLES:
        return f"SELECT * EXCLUDE (_row), min(_row) AS _row FROM ({union}) GROUP BY ALL"
    return union


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _local(t: dt.datetime, zone: dt.tzinfo) -> str:
    return t.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _new_id() -> str:
    return f"{_now():%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (container without passwd entry)
        return f"uid {os.getuid()}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _site_input(ds: NormalizedDataset) -> InputFile:
    for inp in ds.inputs:
        if inp.table is None:
            return inp
    raise AssertionError("the reader lists site.yaml among the inputs")  # pragma: no cover


def _input_path(source: Path, inp: InputFile) -> Path:
    """The file an input came from; a workbook sheet is named ``book.xlsx[sheet]``."""
    path = source / inp.file
    if not path.exists() and inp.file.endswith("]") and "[" in inp.file:
        path = source / inp.file[: inp.file.rindex("[")]
    return path


def _changed(path: Path) -> WorkspaceError:
    return WorkspaceError(
        f"{path} changed while it was being imported; nothing was stored",
        hint="import again once the dataset folder is no longer being written",
    )


def _meter_spans(readings: Path | None) -> list[MeterSpan]:
    if readings is None:
        return []
    con = raw_connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        rows = con.execute(
            "SELECT meter_id, min(ts), max(ts), count(*) FROM read_parquet(?) "
            "WHERE ts IS NOT NULL GROUP BY meter_id ORDER BY meter_id",
            [str(readings)],
        ).fetchall()
    finally:
        con.close()
    return [MeterSpan(m, lo.astimezone(dt.UTC), hi.astimezone(dt.UTC), n) for m, lo, hi, n in rows]


def _children(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except FileNotFoundError:
        return []


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _pause(stage: str) -> None:
    """Test hook: stop at ``stage`` when ``THERMAUDIT_TEST_PAUSE_AT`` names it.

    Creates the file ``THERMAUDIT_TEST_PAUSE_FILE`` (if set) to say it has arrived, then
    sleeps until killed.
    """
    if os.environ.get("THERMAUDIT_TEST_PAUSE_AT") != stage:
        return
    signal_file = os.environ.get("THERMAUDIT_TEST_PAUSE_FILE")
    if signal_file:
        Path(signal_file).write_text(stage)
    while True:  # pragma: no cover - killed by the test
        time.sleep(60)
