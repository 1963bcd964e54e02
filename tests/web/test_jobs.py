"""Background jobs under load and failure, on SQLite and PostgreSQL (``db_url``): jobs of
different enterprises run at the same time, a job that runs past THERMAUDIT_JOB_TIMEOUT_S is
stopped and ends ``failed`` with a translated reason while the workspace stays as it was,
unfinished work of a killed server is ``failed: interrupted`` after a restart and can be run
again, and a damaged archive is a rejection, not a crash.

A job is made to hang with the workspace's own test hook (``THERMAUDIT_TEST_PAUSE_AT``: the
import stops at that stage and sleeps until killed), set in the environment the job's process
inherits when it starts and removed before the next job starts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from web.helpers import Site, seed, zip_folder

from thermaudit.web.models import INTERRUPTED, Assessment, Dataset, Job

pytestmark = pytest.mark.slow

MB = 1 << 20
#: the jobs' time limit in these tests [s]: room for a 7-day demo import (about 5 s with
#: the job process's start) while another job hangs
TIMEOUT = 30.0


@pytest.fixture(scope="module")
def jobsite(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """An app with two job workers, a 30 s job time limit and a 2.5 MB upload limit."""
    from fastapi.testclient import TestClient

    from thermaudit.web import Settings, create_app

    data = tmp_path_factory.mktemp("jobs-data")
    settings = Settings(
        data_dir=data,
        database_url=db_url,
        poll_seconds=0.2,
        job_timeout=TIMEOUT,
        job_workers=2,
        upload_limit=int(2.5 * MB),
    )
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver"):
        st = Site(app, data, seed(app))
        yield st
        for c in st.clients.values():
            c.close()
    shutil.rmtree(data, ignore_errors=True)


def upload(site: Site, who: str, org: str, path: Path, *, replace: bool = False) -> dict[str, Any]:
    with path.open("rb") as f:
        r = site.client(who).post(
            f"/api/enterprises/{site.ids[org]}/datasets",
            files={"file": (path.name, f, "application/zip")},
            data={"replace": "true" if replace else "false"},
            headers=site.csrf(who),
        )
    assert r.status_code == 202, r.text
    out: dict[str, Any] = r.json()
    return out


def tree(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (the lock file aside) with its SHA-256."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def changed_demo(demo_dir: Path, target: Path) -> Path:
    """The demo plant with one production count changed (a new import of the same period)."""
    folder = target / "dataset"
    shutil.copytree(demo_dir, folder)
    lines = (folder / "production.csv").read_text("utf-8").splitlines()
    col = lines[0].split(",").index("good_qty")
    cells = lines[1].split(",")
    cells[col] = str(int(cells[col]) + 1)
    lines[1] = ",".join(cells)
    (folder / "production.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return zip_folder(folder, target / "changed.zip", "dataset/")


def test_a_hanging_import_holds_no_other_enterprise_and_is_stopped_at_the_time_limit(
    jobsite: Site,
    demo_zip: Path,
    demo_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """alpha's second import hangs after copying its raw files into the workspace; beta's
    import, queued after it, is done while alpha's still runs; alpha's is stopped at the
    time limit and ends failed, "time limit", with the workspace byte-identical to before;
    retried, it is imported."""
    site = jobsite
    first = upload(site, "member_alpha", "alpha", demo_zip)
    assert site.wait(first["job"]["id"], "member_alpha")["state"] == "done"
    ws = site.data / "enterprises" / str(site.ids["alpha"]) / "workspace"
    before = tree(ws)

    arrived = tmp_path / "paused"
    monkeypatch.setenv("THERMAUDIT_TEST_PAUSE_AT", "raw_copied")
    monkeypatch.setenv("THERMAUDIT_TEST_PAUSE_FILE", str(arrived))
    slow = upload(site, "member_alpha", "alpha", changed_demo(demo_dir, tmp_path), replace=True)
    started = time.monotonic()
    while not arrived.exists():
        assert time.monotonic() - started < TIMEOUT, "alpha's import never reached its pause"
        time.sleep(0.1)
    monkeypatch.delenv("THERMAUDIT_TEST_PAUSE_AT")
    assert tree(ws) != before  # raw files of the hanging import are in the workspace now

    other = upload(site, "member_beta", "beta", demo_zip)
    done = site.wait(other["job"]["id"], "member_beta", timeout=TIMEOUT)
    assert done["state"] == "done", done
    c = site.client("member_alpha")
    assert c.get(f"/api/jobs/{slow['job']['id']}").json()["state"] == "running"

    ended = site.wait(slow["job"]["id"], "member_alpha", timeout=2 * TIMEOUT)
    took = time.monotonic() - started
    assert ended["state"] == "failed"
    assert ended["reason"] == {"key": "job_timeout", "s": "30"}
    assert "time limit of 30 s" in ended["message"]
    # stopped at the limit, not later (the job's own start and end, whole seconds)
    ran = dt.datetime.fromisoformat(ended["finished_at"]) - dt.datetime.fromisoformat(
        ended["started_at"]
    )
    assert TIMEOUT - 1 <= ran.total_seconds() <= TIMEOUT + 10, (ran, took)
    assert c.get(f"/api/datasets/{slow['dataset']['id']}").json()["status"] == "failed"
    assert tree(ws) == before  # nothing of the stopped import is left
    assert not list((site.data / "tmp").glob(f"upload-{slow['dataset']['id']}-*"))
    # the reason in the reader's language, and the way to run it again
    for lang, words in (("en", "time limit of 30 s"), ("zh", "30 秒"), ("ko", "30초")):
        page = c.get(f"/datasets/{slow['dataset']['id']}?lang={lang}")
        assert words in page.text and 'action="/datasets/' in page.text, lang
        assert words in c.get(f"/jobs/{slow['job']['id']}?lang={lang}").text, lang

    again = c.post(
        f"/api/datasets/{slow['dataset']['id']}/retry", headers=site.csrf("member_alpha")
    )
    assert again.status_code == 202, again.text
    assert site.wait(again.json()["job"]["id"], "member_alpha")["state"] == "done"
    d = c.get(f"/api/datasets/{slow['dataset']['id']}").json()
    assert d["status"] == "imported" and d["import_id"]
    # only a failed import is run again
    r = c.post(f"/api/datasets/{slow['dataset']['id']}/retry", headers=site.csrf("member_alpha"))
    assert r.status_code == 409 and "only a failed import" in r.json()["detail"]


def test_restart_fails_unfinished_datasets_and_assessments_which_can_be_retried(
    jobsite: Site, demo_zip: Path
) -> None:
    """Rows as a server killed mid-job leaves them: a dataset 'importing' (its job
    'running'), an assessment 'running' with no job left running, a dataset 'queued' whose
    job is still queued. After the next start the first two are failed, "interrupted", the
    queued one stays queued; the dataset is imported on retry, the assessment runs again as
    a new version."""
    from fastapi.testclient import TestClient

    from thermaudit.web import Settings, create_app

    site = jobsite
    beta, member = site.ids["beta"], site.ids["member_beta"]
    settings = site.app.state.settings
    with site.app.state.sessions.begin() as s:
        imported = s.scalar(
            sa.select(Dataset.id).where(Dataset.enterprise_id == beta, Dataset.status == "imported")
        )
        assert imported is not None  # from the test before: beta has data
        rows = {}
        for status in ("importing", "queued"):
            ds = Dataset(
                enterprise_id=beta,
                uploaded_by=member,
                original_name=f"{status}.zip",
                kind="zip",
                size=demo_zip.stat().st_size,
                sha256="0" * 64,
                status=status,
            )
            s.add(ds)
            s.flush()
            rows[status] = ds.id
            up = site.app.state.paths.upload(ds.id, "zip")
            up.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(demo_zip, up)
        a = Assessment(
            enterprise_id=beta, version=7, created_by=member, lang="en", status="running"
        )
        s.add(a)
        s.flush()
        running = Job(
            kind="import",
            state="running",
            progress=40,
            message="reading readings",
            enterprise_id=beta,
            dataset_id=rows["importing"],
            created_by=member,
        )
        # the queued job waits: an enterprise with a running job gets no other
        queued = Job(
            kind="import", enterprise_id=beta, dataset_id=rows["queued"], created_by=member
        )
        s.add_all([running, queued])
        s.flush()
        ids = {"job": running.id, "queued_job": queued.id, "assessment": a.id}
    again = create_app(
        Settings(data_dir=settings.data_dir, database_url=settings.database_url, worker=False)
    )
    with TestClient(again, base_url="https://testserver"):
        pass
    c = site.client("member_beta")
    job = c.get(f"/api/jobs/{ids['job']}").json()
    assert job["state"] == "failed" and job["message"] == INTERRUPTED
    assert job["reason"] == {"key": "job_interrupted"} and job["finished_at"]
    assert c.get(f"/api/datasets/{rows['importing']}").json()["status"] == "failed"
    assert c.get(f"/api/assessments/{ids['assessment']}").json()["status"] == "failed"
    # the queued one is the worker's: it runs now that beta has no running job
    assert site.wait(ids["queued_job"], "member_beta")["state"] == "done"
    for lang, words in (("en", "server restart"), ("zh", "服务器重启"), ("ko", "서버 재시작")):
        assert words in c.get(f"/datasets/{rows['importing']}?lang={lang}").text, lang
        assert words in c.get(f"/assessments/{ids['assessment']}?lang={lang}").text, lang

    h = site.csrf("member_beta")
    r = c.post(f"/api/datasets/{rows['importing']}/retry", headers=h)
    assert r.status_code == 202, r.text
    assert site.wait(r.json()["job"]["id"], "member_beta")["state"] == "done"
    # the same data as beta's first import: nothing new to store
    assert c.get(f"/api/datasets/{rows['importing']}").json()["status"] == "unchanged"
    r = c.post(f"/api/assessments/{ids['assessment']}/rerun", headers=h)
    assert r.status_code == 202, r.text
    assert r.json()["assessment"]["version"] == 8 and r.json()["assessment"]["status"] == "queued"
    # the page way: a form posting to the retry route
    page = c.get(f"/datasets/{rows['importing']}")
    assert page.status_code == 200
    with site.app.state.sessions() as s:
        audit = s.scalars(sa.select(Job.state).where(Job.dataset_id == rows["importing"])).all()
    assert sorted(audit) == ["done", "failed"]


def corrupt(zip_path: Path, member: str, target: Path) -> Path:
    """A copy of ``zip_path`` with one byte of ``member``'s stored data flipped: its CRC-32
    no longer matches (the central directory is untouched, so the archive opens)."""
    data = bytearray(zip_path.read_bytes())
    with zipfile.ZipFile(zip_path) as zf:
        info = zf.getinfo(member)
    # local header: 30 bytes + name + extra, then the data
    name_len = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0x01
    target.write_bytes(bytes(data))
    return target


def test_zip_with_a_bad_crc_is_rejected_naming_the_member(
    jobsite: Site, demo_dir: Path, tmp_path: Path
) -> None:
    """Regression: a flipped byte in a member ended the job 'failed' with BadZipFile."""
    stored = tmp_path / "stored.zip"
    with zipfile.ZipFile(stored, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(demo_dir.iterdir()):
            # production.csv stored as it is: a flipped byte is then a bad CRC-32 for sure
            method = zipfile.ZIP_STORED if p.name == "production.csv" else zipfile.ZIP_DEFLATED
            zf.write(p, f"dataset/{p.name}", compress_type=method)
    bad = corrupt(stored, "dataset/production.csv", tmp_path / "bad-crc.zip")
    assert bad.stat().st_size < 2.5 * MB
    up = upload(jobsite, "member_beta", "beta", bad)
    job = jobsite.wait(up["job"]["id"], "member_beta")
    d = jobsite.client("member_beta").get(f"/api/datasets/{up['dataset']['id']}").json()
    assert d["status"] == "rejected", d
    assert "BadZipFile" not in job["message"]
    [p] = d["problems"]
    assert p["file"] == "upload.zip[dataset/production.csv]"
    assert "Bad CRC-32" in p["found"] and "intact" in p["expected"]


def test_chunked_upload_over_the_limit_is_413_naming_the_configured_limit(
    jobsite: Site,
) -> None:
    """Regression: a chunked body (no Content-Length) over the limit answered 400 "There was
    an error parsing the body", and the 413 of a declared length said "201 MB" for 200."""
    c = jobsite.client("member_beta")
    url = f"/api/enterprises/{jobsite.ids['beta']}/datasets"
    boundary = "thermaudit-test-boundary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="big.zip"\r\nContent-Type: application/zip\r\n\r\n'
        ).encode()
        for _ in range(8):
            yield b"\0" * (1 << 19)  # 4 MB in all, over the 2.5 MB limit
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {
        **jobsite.csrf("member_beta"),
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    r = c.post(url, content=body(), headers=headers)
    assert "content-length" not in {k.lower() for k in r.request.headers}  # chunked
    assert r.status_code == 413, r.text
    assert r.json()["detail"] == ("the upload is larger than the limit of 2.5 MB (2,621,440 bytes)")
    # declared too long: the same words
    r = c.post(url, content=b"\0" * (4 * MB), headers=headers)
    assert r.status_code == 413 and "2.5 MB (2,621,440 bytes)" in r.json()["detail"]
    # the page's upload form: a page in the reader's language
    page = c.post(
        f"/enterprises/{jobsite.ids['beta']}/upload?lang=ko",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert page.status_code == 413 and "한도 2.5 MB (2,621,440 bytes)" in page.text
    with jobsite.app.state.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).where(Dataset.original_name == "big.zip")) == 0
    assert os.listdir(jobsite.data / "tmp") == [] or all(
        not n.endswith(".part") for n in os.listdir(jobsite.data / "tmp")
    )


@pytest.mark.parametrize("codec", ["gbk", "utf-16"])
def test_upload_with_a_site_yaml_not_in_utf8_is_rejected_not_failed(
    jobsite: Site, demo_dir: Path, tmp_path: Path, codec: str
) -> None:
    """Regression: a GBK or UTF-16 site.yaml ended the job 'failed' with UnicodeDecodeError."""
    folder = tmp_path / "dataset"
    shutil.copytree(demo_dir, folder)
    site_yaml = folder / "site.yaml"
    text = site_yaml.read_text(encoding="utf-8").replace("name:", "name: 压铸车间 #", 1)
    site_yaml.write_bytes(text.encode(codec))
    up = upload(jobsite, "member_beta", "beta", zip_folder(folder, tmp_path / f"{codec}.zip"))
    job = jobsite.wait(up["job"]["id"], "member_beta")
    d = jobsite.client("member_beta").get(f"/api/datasets/{up['dataset']['id']}").json()
    assert d["status"] == "rejected", d
    assert "UnicodeDecodeError" not in job["message"]
    [p] = d["problems"]
    assert p["file"].endswith("site.yaml") and p["row"] is not None
    assert "UTF-8" in p["expected"]
