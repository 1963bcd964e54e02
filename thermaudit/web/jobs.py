"""Background work: one worker thread in the server process takes queued jobs from the jobs
table, runs them with the library, and writes progress to the table so that any page (or a
reload) shows it. At start-up, jobs a stopped server left ``running`` become ``failed`` with
the message "interrupted by a server restart" (:func:`thermaudit.web.models.mark_interrupted`);
queued jobs are run.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
import traceback
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from thermaudit.dataset.contract import TABLES
from thermaudit.errors import InvalidDataset, ThermauditError
from thermaudit.web import services
from thermaudit.web.models import Assessment, Dataset, Job, Organization, User, now
from thermaudit.web.settings import Settings
from thermaudit.web.uploads import Limits, extract_zip, workbook_dataset

log = logging.getLogger("thermaudit.web")
_TABLE_ORDER = list(TABLES)


class Worker:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.paths = services.Paths(settings.data_dir)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="thermaudit-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = self.run_next()
            except Exception:  # the loop must survive a broken database connection
                log.exception("worker loop")
                ran = False
            if not ran:
                self._wake.wait(self.settings.poll_seconds)
                self._wake.clear()

    # -- claiming and running ----------------------------------------------------------------

    def run_next(self) -> bool:
        """Claim and run the oldest queued job; False when there is none."""
        with self.sessions.begin() as s:
            job_id = s.scalar(
                sa.select(Job.id).where(Job.state == "queued").order_by(Job.id).limit(1)
            )
            if job_id is None:
                return False
            claimed = s.execute(
                sa.update(Job)
                .where(Job.id == job_id, Job.state == "queued")
                .values(state="running", started_at=now(), message="started", progress=1)
                .returning(Job.id)
            ).all()
        if len(claimed) != 1:  # another worker took it
            return True
        self.run(job_id)
        return True

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
        except Exception as exc:
            log.error("job %s failed:\n%s", job_id, traceback.format_exc())
            self._finish(job_id, "failed", f"failed: {type(exc).__name__}: {exc}")
            self._fail_target(job_id)

    def _progress(self, job_id: int, percent: int, message: str) -> None:
        with self.sessions.begin() as s:
            s.execute(
                sa.update(Job)
                .where(Job.id == job_id)
                .values(progress=max(1, min(99, int(percent))), message=message[:500])
            )

    def _finish(self, job_id: int, state: str, message: str) -> None:
        with self.sessions.begin() as s:
            s.execute(
                sa.update(Job)
                .where(Job.id == job_id)
                .values(
                    state=state,
                    message=message[:2000],
                    finished_at=now(),
                    progress=100 if state == "done" else Job.progress,
                )
            )

    def _fail_target(self, job_id: int) -> None:
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
        except InvalidDataset as exc:
            self._rejected(job_id, ds_id, enterprise_id, user_id, exc)
            return
        except ThermauditError as exc:  # refused by the workspace (overlap, other enterprise)
            problems: dict[str, object] = {"message": str(exc), "hint": exc.hint, "problems": []}
            self._rejected(job_id, ds_id, enterprise_id, user_id, exc, problems)
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
        self._finish(job_id, "done", msg)

    def _rejected(
        self,
        job_id: int,
        ds_id: int,
        enterprise_id: int,
        user_id: int,
        exc: ThermauditError,
        problems: dict[str, object] | None = None,
    ) -> None:
        if problems is None:
            assert isinstance(exc, InvalidDataset)
            problems = {
                "message": f"the dataset was rejected: {len(exc.problems)} problem(s); "
                "nothing was stored",
                "hint": exc.hint,
                "truncated": exc.truncated,
                "problems": [p.as_dict() for p in exc.problems],
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
                detail={"problems": len(problems.get("problems") or [])},  # type: ignore[arg-type]
            )
        self._finish(job_id, "failed", str(problems["message"]))

    # -- assess, report, sign ----------------------------------------------------------------

    def _assess(self, job_id: int) -> None:
        from thermaudit.api import report_path
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
        step("signing")
        key = self.paths.key()
        if not key.exists():
            key.parent.mkdir(parents=True, exist_ok=True)
            generate_key(key, signer="thermaudit web service")
        manifest = sign_folder(out, key, signer=signer)
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
        self._finish(job_id, "done", f"assessment signed ({len(files)} files)")
