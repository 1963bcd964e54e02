"""Background work: imports and assessments, each in a process of its own.

Scheduling
----------
A dispatcher thread in the server process claims queued jobs from the jobs table: the oldest
queued job of an enterprise that has no job running, while fewer than
``THERMAUDIT_JOB_WORKERS`` jobs run. Jobs of one enterprise run one after the other in the
order they were queued (they share a workspace); one enterprise's slow import never holds
another enterprise's job.

Each job runs in a fresh process (``multiprocessing`` "spawn": no state of the server's
threads is inherited) that reads and writes the database itself, so any page shows its
progress. A thread of the server watches it:

- after ``THERMAUDIT_JOB_TIMEOUT_S`` seconds the process is terminated and the job ends
  ``failed`` with the reason "time limit"; a thread cannot be stopped, a process can;
- a process that ends without finishing its job (a crash, the out-of-memory killer) ends it
  ``failed`` with the reason "ended unexpectedly";
- when the server stops, running jobs are terminated and end ``failed``, "interrupted".

Stopping an import at any instant is safe: the workspace commits an import in one SQLite
transaction and removes what an unfinished import left (:mod:`thermaudit.store.workspace`,
*Recovery*); the watcher opens the workspace at once so that it is cleaned before anyone
looks. An assessment that did not finish has no signature; its folder is removed.

At start-up, work a killed server left ``running`` becomes ``failed`` with the reason
"interrupted" (:func:`thermaudit.web.models.mark_interrupted`); queued jobs are run.
A failed import is run again with ``POST /api/datasets/{id}/retry``, a failed assessment
with ``POST /api/assessments/{id}/rerun`` (a new version).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from thermaudit.dataset.contract import TABLES
from thermaudit.errors import InvalidDataset, ThermauditError
from thermaudit.web import services
from thermaudit.web.models import (
    INTERRUPTED,
    Assessment,
    Dataset,
    Job,
    Organization,
    User,
    make_engine,
    now,
    writer,
)
from thermaudit.web.settings import Settings
from thermaudit.web.uploads import Limits, extract_zip, workbook_dataset

log = logging.getLogger("thermaudit.web")
_TABLE_ORDER = list(TABLES)
#: seconds a terminated job process has to exit before it is killed
_GRACE = 5.0


class Worker:
    """The dispatcher and the watchers of the job processes (in the server process)."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.paths = services.Paths(settings.data_dir)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: job id → its process (None while it is being started)
        self._procs: dict[int, Any] = {}
        self._watchers: list[threading.Thread] = []

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="thermaudit-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop dispatching, terminate the running jobs (they end failed, interrupted)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            procs = [p for p in self._procs.values() if p is not None]
            watchers = list(self._watchers)
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for w in watchers:
            w.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def running(self) -> int:
        with self._lock:
            return len(self._procs)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                started = self.dispatch()
            except Exception:  # the loop must survive a broken database connection
                log.exception("worker loop")
                started = False
            if not started:
                self._wake.wait(self.settings.poll_seconds)
                self._wake.clear()

    # -- claiming and running ----------------------------------------------------------------

    def dispatch(self) -> bool:
        """Claim the next job that may run now and start it; False when there is none (or
        every worker is busy)."""
        if self._stop.is_set() or self.running() >= self.settings.job_workers:
            return False
        job_id = self._claim()
        if job_id is None:
            return False
        with self._lock:
            self._procs[job_id] = None
            watcher = threading.Thread(
                target=self._watch, args=(job_id,), name=f"thermaudit-job-{job_id}", daemon=True
            )
            self._watchers = [w for w in self._watchers if w.is_alive()] + [watcher]
        watcher.start()
        return True

    def _claim(self) -> int | None:
        """The oldest queued job of an enterprise with no running job, now ``running``."""
        with self.sessions.begin() as s:
            busy = sa.select(Job.enterprise_id).where(Job.state == "running")
            job_id = s.scalar(
                sa.select(Job.id)
                .where(Job.state == "queued", Job.enterprise_id.not_in(busy))
                .order_by(Job.id)
                .limit(1)
            )
            if job_id is None:
                return None
            claimed = s.execute(
                sa.update(Job)
                .where(Job.id == job_id, Job.state == "queued")
                .values(state="running", started_at=now(), message="started", progress=1)
                .returning(Job.id)
            ).all()
        return job_id if len(claimed) == 1 else None

    def _watch(self, job_id: int) -> None:
        """Run one job in its own process and end it when the process does not."""
        try:
            proc = multiprocessing.get_context("spawn").Process(
                target=run_job,
                args=(self.settings, job_id, os.getpid()),
                name=f"thermaudit-job-{job_id}",
                daemon=True,
            )
            with self._lock:
                self._procs[job_id] = proc
            if self._stop.is_set():
                self._ended(job_id, timed_out=False, exitcode=None)
                return
            proc.start()
            proc.join(self.settings.job_timeout)
            timed_out = proc.is_alive()
            if timed_out:
                proc.terminate()
                proc.join(_GRACE)
                if proc.is_alive():
                    proc.kill()
                    proc.join(_GRACE)
            self._ended(job_id, timed_out=timed_out, exitcode=proc.exitcode)
        except Exception:
            log.exception("watching job %s", job_id)
            self._ended(job_id, timed_out=False, exitcode=None)
        finally:
            with self._lock:
                self._procs.pop(job_id, None)
            self._wake.set()

    def _ended(self, job_id: int, *, timed_out: bool, exitcode: int | None) -> None:
        """After the job's process is gone: a job it left running ends failed, with why."""
        with self.sessions() as s:
            state = s.get_one(Job, job_id).state
        if state != "running":
            return
        limit = self.settings.job_timeout
        if self._stop.is_set() and not timed_out:
            message, reason = INTERRUPTED, {"key": "job_interrupted"}
        elif timed_out:
            message = (
                f"failed: stopped after the time limit of {limit:g} s "
                "(THERMAUDIT_JOB_TIMEOUT_S); run it again or raise the limit"
            )
            reason = {"key": "job_timeout", "s": f"{limit:g}"}
        else:
            message = f"failed: the job's process ended unexpectedly (exit code {exitcode})"
            reason = {"key": "job_crashed", "code": str(exitcode)}
        log.error("job %s: %s", job_id, message)
        self._clean(job_id)  # first: whoever sees the job failed finds the workspace clean
        runner = JobRun(self.settings, self.sessions)
        if runner.finish(job_id, "failed", message, reason=reason, only_running=True):
            runner.fail_target(job_id)

    def _clean(self, job_id: int) -> None:
        """Remove what a stopped job left: the unpacked upload, the unsigned output, and
        (by opening it) whatever an unfinished import left in the workspace."""
        with self.sessions() as s:
            j = s.get_one(Job, job_id)
            ds_id, a_id, enterprise_id = j.dataset_id, j.assessment_id, j.enterprise_id
            signed = a_id is not None and s.get_one(Assessment, a_id).signed
        if ds_id is not None:
            for leftover in self.paths.tmp().glob(f"upload-{int(ds_id)}-*"):
                shutil.rmtree(leftover, ignore_errors=True)
            ws_path = self.paths.workspace(enterprise_id)
            if ws_path.exists():
                from thermaudit.store.workspace import open_workspace

                try:
                    open_workspace(ws_path)  # recovery: clears what no committed import owns
                except ThermauditError as exc:
                    log.error("workspace %s after job %s: %s", ws_path, job_id, exc)
        if a_id is not None and not signed:
            shutil.rmtree(self.paths.assessment(a_id), ignore_errors=True)


def run_job(settings: Settings, job_id: int, parent: int | None = None) -> None:
    """The body of a job process: its own database engine, the job, nothing else."""
    if parent is not None:
        _exit_with(parent)
    engine = make_engine(settings.url)
    try:
        JobRun(settings, sessionmaker(writer(engine), expire_on_commit=False)).run(job_id)
    finally:
        engine.dispose()


def _exit_with(parent: int) -> None:
    """End this process when the server that started it is gone (killed with -9, say):
    the next server start marks the job interrupted, and nothing may still be writing."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class JobRun:
    """What a job does, with the library (in the job's process)."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.paths = services.Paths(settings.data_dir)

    def run(self, job_id: int) -> None:
        with self.sessions() as s:
            kind = s.get_one(Job, job_id).kind
        try:
            if kind == "import":
                self._import(job_id)
            elif kind == "assess":
                self._assess(job_id)
            else:
                raise ValueError(f"unknown job kind {kind!r}")
        except ThermauditError as exc:  # refused by the library: the user can act on it
            log.warning("job %s refused: %s", job_id, exc)
            detail = str(exc) + (f" ({exc.hint})" if exc.hint else "")
            self.finish(
                job_id,
                "failed",
                f"failed: {detail}",
                reason={"key": "job_refused", "detail": detail},
            )
            self.fail_target(job_id)
        except Exception as exc:
            log.error("job %s failed:\n%s", job_id, traceback.format_exc())
            self.finish(
                job_id,
                "failed",
                f"failed: {type(exc).__name__}: {exc}",
                reason={"key": "job_error"},
            )
            self.fail_target(job_id)

    def _progress(self, job_id: int, percent: int, message: str) -> None:
        with self.sessions.begin() as s:
            s.execute(
                sa.update(Job)
                .where(Job.id == job_id)
                .values(progress=max(1, min(99, int(percent))), message=message[:500])
            )

    def finish(
        self,
        job_id: int,
        state: str,
        message: str,
        *,
        reason: dict[str, str] | None = None,
        only_running: bool = False,
    ) -> bool:
        """End the job; with ``only_running``, only if it still runs. True when it ended."""
        with self.sessions.begin() as s:
            q = sa.update(Job).where(Job.id == job_id)
            if only_running:
                q = q.where(Job.state == "running")
            done = s.execute(
                q.values(
                    state=state,
                    message=message[:2000],
                    reason=reason,
                    finished_at=now(),
                    progress=100 if state == "done" else Job.progress,
                ).returning(Job.id)
            ).all()
        return bool(done)

    def fail_target(self, job_id: int) -> None:
        with self.sessions.begin() as s:
            j = s.get_one(Job, job_id)
            if j.dataset_id is not None:
                s.execute(
                    sa.update(Dataset)
                    .where(Dataset.id == j.dataset_id, Dataset.status.in_(("queued", "importing")))
                    .values(status="failed")
                )
            if j.assessment_id is not None:
                s.execute(
                    sa.update(Assessment)
                    .where(Assessment.id == j.assessment_id, Assessment.signed.is_(False))
                    .values(status="failed")
                )

    # -- import ------------------------------------------------------------------------------

    def _import(self, job_id: int) -> None:
        from thermaudit.store.workspace import init_workspace, open_workspace

        with self.sessions.begin() as s:
            j = s.get_one(Job, job_id)
            ds = s.get_one(Dataset, j.dataset_id)
            ds.status = "importing"
            ds_id, kind, name, replace = ds.id, ds.kind, ds.original_name, ds.replace
            enterprise_id, user_id = ds.enterprise_id, j.created_by
        upload = self.paths.upload(ds_id, kind)
        limits = Limits(
            self.settings.unzip_limit, self.settings.unzip_max_files, self.settings.unzip_max_ratio
        )
        self.paths.tmp().mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"upload-{ds_id}-", dir=self.paths.tmp()))
        label = "upload.xlsx" if kind == "xlsx" else "upload.zip"
        try:
            self._progress(job_id, 3, "unpacking the upload")
            folder = (
                workbook_dataset(upload, label, tmp / "dataset", limits)
                if kind == "xlsx"
                else extract_zip(upload, label, tmp / "dataset", limits)
            )
            ws_path = self.paths.workspace(enterprise_id)
            ws = (
                open_workspace(ws_path)
                if ws_path.exists()
                else init_workspace(ws_path, exist_ok=True)
            )

            def step(text: str) -> None:
                pct = 5
                if text.startswith("validating"):
                    text, pct = "validating the dataset", 8
                elif text.startswith("reading "):
                    table = text[len("reading ") :].split(":", 1)[0]
                    i = _TABLE_ORDER.index(table) if table in _TABLE_ORDER else 0
                    pct = 10 + int(60 * (i + 1) / len(_TABLE_ORDER))
                elif text.startswith("checking"):
                    pct = 75
                elif text.startswith("storing"):
                    pct = 85
                elif text.startswith("committing"):
                    pct = 95
                self._progress(job_id, pct, text)

            result = ws.import_dataset(folder, replace=replace, progress=step)
        except ThermauditError as exc:
            # the dataset (reader, archive checks) or the workspace (overlap, another
            # enterprise, busy) refused it: rejected, with every located problem
            self._rejected(job_id, ds_id, enterprise_id, user_id, exc)
            return
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        with self.sessions.begin() as s:
            ds = s.get_one(Dataset, ds_id)
            ds.status = "unchanged" if result.unchanged else "imported"
            ds.import_id = result.import_id
            services.audit(
                s,
                s.get(User, user_id),
                "dataset.import",
                enterprise_id=enterprise_id,
                target=f"dataset:{ds_id}",
                detail={
                    "import": result.import_id,
                    "unchanged": result.unchanged,
                    "rows": result.table_rows,
                    "superseded": list(result.superseded),
                    "name": name,
                },
            )
        rows = sum(result.table_rows.values())
        msg = (
            f"unchanged: identical to import {result.import_id}; nothing was stored"
            if result.unchanged
            else f"imported {rows:,} rows as {result.import_id}"
        )
        reason = (
            {"key": "job_unchanged", "id": result.import_id}
            if result.unchanged
            else {"key": "job_imported", "rows": f"{rows:,}", "id": result.import_id}
        )
        self.finish(job_id, "done", msg, reason=reason)

    def _rejected(
        self, job_id: int, ds_id: int, enterprise_id: int, user_id: int, exc: ThermauditError
    ) -> None:
        located = [p.as_dict() for p in getattr(exc, "problems", None) or []]
        if isinstance(exc, InvalidDataset):
            message = f"the dataset was rejected: {len(located)} problem(s); nothing was stored"
            reason: dict[str, str] = {"key": "rejected_summary", "n": str(len(located))}
        else:
            message = f"the dataset was rejected: {exc}; nothing was stored"
            reason = {"key": "rejected_because", "detail": str(exc)}
        problems: dict[str, object] = {
            "message": message,
            "reason": reason,
            "hint": exc.hint,
            "truncated": bool(getattr(exc, "truncated", False)),
            "problems": located,
        }
        with self.sessions.begin() as s:
            ds = s.get_one(Dataset, ds_id)
            ds.status = "rejected"
            ds.problems = problems
            services.audit(
                s,
                s.get(User, user_id),
                "dataset.reject",
                enterprise_id=enterprise_id,
                target=f"dataset:{ds_id}",
                detail={"problems": len(located)},
            )
        self.finish(job_id, "failed", message, reason=reason)

    # -- assess, report, sign ----------------------------------------------------------------

    def _assess(self, job_id: int) -> None:
        from thermaudit.api import report_path
        from thermaudit.exports import FORMATS as EXPORT_FORMATS
        from thermaudit.exports import export_folder
        from thermaudit.metrics.spec import load_spec
        from thermaudit.signing import generate_key, sign_folder

        with self.sessions.begin() as s:
            j = s.get_one(Job, job_id)
            a = s.get_one(Assessment, j.assessment_id)
            a.status = "running"
            a_id, lang, enterprise_id = a.id, a.lang, a.enterprise_id
            user = s.get_one(User, j.created_by)
            org = s.get_one(Organization, enterprise_id)
            signer = f"{user.name} <{user.email}> via thermaudit web"[:200]
            user_id = user.id
            _ = org.name
        base = self.paths.assessment(a_id)
        if base.exists():  # a failed earlier attempt of this version (never signed)
            shutil.rmtree(base)
        out = base / "work"
        state = {"pct": 5.0}

        def step(text: str) -> None:
            state["pct"] += (95 - state["pct"]) * 0.12
            self._progress(job_id, int(state["pct"]), text)

        step("reading the dataset")
        report_path(self.paths.workspace(enterprise_id), out, lang=lang, progress=step)
        step("exports")
        export_folder(out, list(EXPORT_FORMATS))
        step("signing")
        key = self.paths.key()
        if not key.exists():
            key.parent.mkdir(parents=True, exist_ok=True)
            generate_key(key, signer="thermaudit web service")
        # the service seals the folder; the PDF's signature fields are left to the people
        manifest = sign_folder(out, key, signer=signer, sign_report=False)
        signed = self.paths.signed(a_id)
        out.rename(signed)
        bundle_sha = services.write_bundle(signed, self.paths.bundle(a_id))
        files = {f["path"]: f["sha256"] for f in manifest.files}
        files["manifest.json"] = services.sha256_file(signed / "manifest.json")
        files["manifest.sig"] = services.sha256_file(signed / "manifest.sig")
        files["bundle.zip"] = bundle_sha
        spec = load_spec()
        names = {m.id: (m.name_zh, m.name_en) for m in spec.metrics}
        doc = json.loads((signed / "assessment.json").read_text("utf-8"))
        summary = services.summarize(doc, names)
        with self.sessions.begin() as s:
            a = s.get_one(Assessment, a_id)
            a.status = "done"
            a.signed = True
            a.signed_at = now()
            a.fingerprint = manifest.fingerprint
            a.files = files
            a.summary = summary
            services.audit(
                s,
                s.get(User, user_id),
                "assessment.sign",
                enterprise_id=enterprise_id,
                target=f"assessment:{a_id}",
                detail={"fingerprint": manifest.fingerprint, "files": len(files)},
            )
        self.finish(
            job_id,
            "done",
            f"assessment signed ({len(files)} files)",
            reason={"key": "job_signed", "files": str(len(files))},
        )
