"""Signed folders: keygen, sign, verify (library and CLI), the manifest part.

Evidence that a changed byte anywhere fails: each kind of file in an output folder is
tampered with one flipped byte and verification must fail *naming that file*; every byte
of manifest.json and manifest.sig is flipped in turn. The signature is also checked by an
independent implementation (the OpenSSL command line) when one is installed. The signatures
inside report.pdf are tested in ``test_pdf_signing.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_run import thermaudit as run_cli

from thermaudit._version import __version__
from thermaudit.api import assess_path
from thermaudit.errors import ThermauditError
from thermaudit.report.build import write_report
from thermaudit.signing import (
    PROBLEM_KINDS,
    SignatureError,
    VerifyResult,
    generate_key,
    load_public_key,
    sign_folder,
    verify_folder,
)
from thermaudit.signing_keys import fingerprint, key_bytes

MINI = Path(__file__).parent / "fixtures" / "conformance" / "mini"
SIGNER = "王芳 Wang Fang, Example Energy Audit Co."
#: beside the real report.pdf (written by the report builder), files of every other kind
FAKE_REPORTS = {
    "report.html": "<!doctype html><html><body><h1>能效评估报告</h1></body></html>\n".encode(),
    "report.xlsx": b"PK\x03\x04\x14\x00\x00\x00\x08\x00fake workbook bytes\x00\x01\x02",
    "charts/energy_balance.svg": b'<svg xmlns="http://www.w3.org/2000/svg"></svg>\n',
}
#: every kind of file a signed folder holds; the last two are the signature's own files
EVERY_KIND = ["assessment.json", "report.pdf", *FAKE_REPORTS, "manifest.json", "manifest.sig"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def flip_byte(path: Path, index: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    i = len(data) // 2 if index is None else index
    data[i] ^= 0x01
    path.write_bytes(bytes(data))


def named(result: VerifyResult, kinds: set[str] | None = None) -> set[str]:
    return {p.file for p in result.problems if kinds is None or p.kind in kinds}


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The assessor's private key file (KEYFILE.pub beside it), with a signer recorded."""
    key = tmp_path_factory.mktemp("keys") / "assessor.key"
    generate_key(key, signer=SIGNER)
    return key


@pytest.fixture(scope="module")
def unsigned_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An assessment folder with its real report.pdf, not signed."""
    out = tmp_path_factory.mktemp("unsigned") / "out"
    assess_path(MINI, out)
    write_report(json.loads((out / "assessment.json").read_text("utf-8")), out, lang="zh+en")
    for name in ("report.html", "report.xlsx"):
        (out / name).unlink()
    return out


@pytest.fixture(scope="module")
def signed_master(
    tmp_path_factory: pytest.TempPathFactory, keys: Path, unsigned_report: Path
) -> Path:
    out = tmp_path_factory.mktemp("signed") / "out"
    shutil.copytree(unsigned_report, out)
    for name, data in FAKE_REPORTS.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    sign_folder(out, keys)
    return out


@pytest.fixture
def signed(signed_master: Path, tmp_path: Path) -> Path:
    """A fresh copy of the signed folder, free to tamper with."""
    out = tmp_path / "out"
    shutil.copytree(signed_master, out)
    return out


# --------------------------------------------------------------------------- valid


def test_signed_folder_verifies(signed: Path, keys: Path) -> None:
    result = verify_folder(signed)
    assert result.valid, [str(p) for p in result.problems]
    assert result.problems == []
    assert result.signature_valid
    assert (
        result.fingerprint
        == hashlib.sha256(
            base64.b64decode(
                json.loads((signed / "manifest.json").read_bytes())["public_key"]["key"]
            )
        ).hexdigest()
    )
    trusted = verify_folder(signed, Path(f"{keys}.pub"))
    assert trusted.valid and trusted.trusted_fingerprint == trusted.fingerprint


def test_manifest_lists_every_file_with_an_independent_hash(signed: Path) -> None:
    doc = json.loads((signed / "manifest.json").read_text("utf-8"))
    expected = {
        p.relative_to(signed).as_posix(): (sha256(p), p.stat().st_size)
        for p in signed.rglob("*")
        if p.is_file() and p.name not in ("manifest.json", "manifest.sig")
    }
    assert set(expected) == {"assessment.json", "report.pdf", *FAKE_REPORTS}
    assert {f["path"]: (f["sha256"], f["size"]) for f in doc["files"]} == expected
    assert [f["path"] for f in doc["files"]] == sorted(expected)


def test_manifest_records_inputs_spec_software_signer_and_key(signed: Path, keys: Path) -> None:
    doc = json.loads((signed / "manifest.json").read_text("utf-8"))
    assessment = json.loads((signed / "assessment.json").read_text("utf-8"))
    assert doc["schema"] == "thermaudit.manifest/1"
    assert doc["inputs"] == [
        {"file": i["file"], "sha256": i["sha256"]} for i in assessment["inputs"]
    ]
    # the inputs are the dataset's files: hash them independently
    assert {i["file"]: i["sha256"] for i in doc["inputs"]} == {
        i["file"]: sha256(MINI / i["file"]) for i in doc["inputs"]
    }
    assert doc["specification"] == assessment["specification"]
    assert doc["software"] == {"name": "thermaudit", "version": __version__}
    assert doc["signer"] == SIGNER  # recorded by keygen, used when sign is given none
    assert doc["signed_at"].endswith("Z") and len(doc["signed_at"]) == 20
    pub = load_public_key(Path(f"{keys}.pub"))
    assert doc["public_key"]["fingerprint"] in Path(f"{keys}.pub").read_text("utf-8")
    assert doc["public_key"]["algorithm"] == "ECDSA-P256"  # keygen's default
    assert base64.b64decode(doc["public_key"]["key"]) == key_bytes(pub)


def test_manifest_is_canonical_json(signed: Path) -> None:
    raw = (signed / "manifest.json").read_bytes()
    doc = json.loads(raw)
    canonical = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert raw == canonical.encode("utf-8")
    assert "王芳".encode() in raw  # UTF-8, not \\u escapes


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command line")
def test_signature_verifies_with_openssl(signed: Path, keys: Path, tmp_path: Path) -> None:
    """Independent route: OpenSSL checks manifest.sig (ECDSA P-256, SHA-256, DER) over the
    exact bytes of manifest.json with the public key in KEYFILE.pub."""
    sig = tmp_path / "sig.der"
    sig.write_bytes(
        base64.b64decode(json.loads((signed / "manifest.sig").read_bytes())["signature"])
    )

    def openssl(manifest: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                *("openssl", "dgst", "-sha256", "-verify", f"{keys}.pub"),
                *("-signature", str(sig), str(manifest)),
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    ok = openssl(signed / "manifest.json")
    assert ok.returncode == 0, ok.stderr
    assert "Verified OK" in ok.stdout
    flip_byte(signed / "manifest.json")
    assert openssl(signed / "manifest.json").returncode != 0


# --------------------------------------------------------------------------- tampering


@pytest.mark.parametrize("name", EVERY_KIND)
def test_one_flipped_byte_in_each_kind_of_file_fails_naming_it(signed: Path, name: str) -> None:
    before = sha256(signed / name)
    flip_byte(signed / name)
    result = verify_folder(signed)
    assert not result.valid
    assert name in named(result), [str(p) for p in result.problems]
    if name == "report.pdf":
        # the manifest names the file, and the signature inside the PDF fails on its own
        assert result.signature_valid
        assert [(p.kind, p.file) for p in result.problems] == [
            ("modified", name),
            ("pdf_signature", name),
        ]
        assert "assessor signature" in result.problems[1].message
    elif name not in ("manifest.json", "manifest.sig"):
        # the signature still holds: exactly this file, with both hashes
        assert result.signature_valid
        [problem] = result.problems
        assert (problem.kind, problem.file) == ("modified", name)
        assert (problem.expected, problem.found) == (before, sha256(signed / name))
    else:
        assert not result.signature_valid or name == "manifest.sig"
        other = ({"manifest.json", "manifest.sig"} - {name}).pop()
        assert other not in named(result, {"manifest", "signature"})  # the right one is blamed


@pytest.mark.parametrize(
    ("name", "stride"),
    [
        ("manifest.sig", 1),
        # every 7th byte reaches every field of the manifest in a second; the sweep of every
        # byte takes ~15 s and runs with the slow tests
        ("manifest.json", 7),
        pytest.param("manifest.json", 1, marks=pytest.mark.slow),
    ],
)
def test_every_byte_of_manifest_and_signature_matters(signed: Path, name: str, stride: int) -> None:
    path = signed / name
    original = path.read_bytes()
    other = ({"manifest.json", "manifest.sig"} - {name}).pop()
    for i in range(0, len(original), stride):
        flip_byte(path, i)
        result = verify_folder(signed)
        assert not result.valid, f"byte {i} of {name} changed and the folder still verifies"
        blamed = named(result, {"manifest", "signature"})
        assert name in blamed and other not in blamed, (i, [str(p) for p in result.problems])
        path.write_bytes(original)
    assert verify_folder(signed).valid


def test_deleted_and_added_files_are_named(signed: Path) -> None:
    (signed / "report.html").unlink()
    (signed / "notes.txt").write_text("added after signing", "utf-8")
    (signed / "charts" / "extra.png").write_bytes(b"\x89PNG")
    result = verify_folder(signed)
    assert not result.valid and result.signature_valid
    assert sorted((p.kind, p.file) for p in result.problems) == [
        ("added", "charts/extra.png"),
        ("added", "notes.txt"),
        ("missing", "report.html"),
    ]


def test_an_empty_added_file_or_a_renamed_file_fails(signed: Path) -> None:
    (signed / "report.pdf").rename(signed / "report2.pdf")
    (signed / ".hidden").write_bytes(b"")
    result = verify_folder(signed)
    assert {(p.kind, p.file) for p in result.problems} == {
        ("missing", "report.pdf"),
        ("added", "report2.pdf"),
        ("added", ".hidden"),
    }


def test_removed_manifest_or_signature_fails(signed: Path) -> None:
    (signed / "manifest.sig").unlink()
    result = verify_folder(signed)
    assert not result.valid
    assert [(p.kind, p.file) for p in result.problems] == [("signature", "manifest.sig")]
    (signed / "manifest.json").unlink()
    result = verify_folder(signed)
    assert ("manifest", "manifest.json") in {(p.kind, p.file) for p in result.problems}


def test_wrong_trusted_key_fails(signed: Path, tmp_path: Path) -> None:
    other = generate_key(tmp_path / "other.key", signer="Other, Body")
    result = verify_folder(signed, other.public_path)
    assert not result.valid
    assert result.signature_valid  # authentic for its own key, but not the trusted one
    [problem] = result.problems
    assert problem.kind == "untrusted_key"
    assert (problem.expected, problem.found) == (other.fingerprint, result.fingerprint)


def test_re_signing_a_changed_folder_with_another_key_is_caught_by_the_trusted_key(
    signed: Path, keys: Path, tmp_path: Path, unsigned_report: Path
) -> None:
    """The documented limit: the embedded key proves nothing on its own."""
    (signed / "report.pdf").write_bytes((unsigned_report / "report.pdf").read_bytes())
    forger = generate_key(tmp_path / "forger.key", signer=SIGNER)  # the same name, even
    sign_folder(signed, forger.private_path)
    alone = verify_folder(signed)
    assert alone.valid and alone.fingerprint == forger.fingerprint  # only the fingerprint tells
    assert [s.trusted for s in alone.pdf_signatures] == [None]
    trusted = verify_folder(signed, Path(f"{keys}.pub"))
    assert not trusted.valid
    assert [p.kind for p in trusted.problems] == ["untrusted_key"]
    # the PDF signature is authentic for the forger's certificate, not the trusted key
    assert [(s.ok, s.trusted) for s in trusted.pdf_signatures] == [(True, False)]


def test_assessment_inputs_and_dataset_files_are_checked(signed: Path, tmp_path: Path) -> None:
    assert verify_folder(signed, dataset=MINI).valid
    dataset = tmp_path / "dataset"
    shutil.copytree(MINI, dataset)
    with (dataset / "readings.csv").open("ab") as f:
        f.write(b"\n")
    (dataset / "melting.csv").unlink()
    result = verify_folder(signed, dataset=dataset)
    assert {(p.kind, p.file) for p in result.problems} == {
        ("input_modified", "readings.csv"),
        ("input_missing", "melting.csv"),
    }
    bad = next(p for p in result.problems if p.kind == "input_modified")
    assert (bad.expected, bad.found) == (
        sha256(MINI / "readings.csv"),
        sha256(dataset / "readings.csv"),
    )


def test_symlink_is_not_signed_and_is_reported(signed: Path, keys: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("x", "utf-8")
    try:
        (signed / "link.txt").symlink_to(outside)
    except OSError:  # pragma: no cover - e.g. Windows without the privilege
        pytest.skip("cannot create symlinks here")
    result = verify_folder(signed)
    assert [(p.kind, p.file) for p in result.problems] == [("not_regular", "link.txt")]
    with pytest.raises(SignatureError, match=r"link\.txt"):
        sign_folder(signed, keys)


def test_problem_kinds_are_all_documented(signed: Path) -> None:
    flip_byte(signed / "report.xlsx")
    (signed / "report.pdf").unlink()
    for p in verify_folder(signed).problems:
        assert p.kind in PROBLEM_KINDS


# --------------------------------------------------------------------------- keys and refusals


@pytest.mark.parametrize(
    ("algorithm", "manifest_name"), [("ecdsa-p256", "ECDSA-P256"), ("rsa-3072", "RSA")]
)
def test_keygen_writes_private_0600_certificate_and_public(
    tmp_path: Path, algorithm: str, manifest_name: str
) -> None:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    info = generate_key(
        tmp_path / "sub" / "k.key", signer="  A Name , B Body  ", algorithm=algorithm
    )
    assert info.public_path == tmp_path / "sub" / "k.key.pub"
    assert info.certificate_path == tmp_path / "sub" / "k.key.crt"
    assert info.signer == "A Name , B Body" and info.algorithm == manifest_name
    if os.name == "posix":
        assert (info.private_path.stat().st_mode & 0o777) == 0o600
    assert "PRIVATE KEY" in info.private_path.read_text("utf-8")
    pub = load_public_key(info.public_path)
    assert key_bytes(pub) == key_bytes(load_public_key(info.private_path))
    assert fingerprint(pub) == info.fingerprint
    cert = x509.load_pem_x509_certificate(info.certificate_path.read_bytes())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "A Name"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "B Body"
    assert cert.issuer == cert.subject  # self-signed
    assert key_bytes(cert.public_key()) == key_bytes(pub)
    assert hashlib.sha256(info.certificate_path.read_bytes()).hexdigest() != info.certificate_sha256
    if algorithm == "rsa-3072":
        assert pub.key_size == 3072


def test_keygen_needs_a_signer_and_a_known_algorithm(tmp_path: Path) -> None:
    with pytest.raises(SignatureError, match="--signer") as exc:
        generate_key(tmp_path / "k.key")
    assert exc.value.path == "--signer"
    with pytest.raises(SignatureError, match=r"unknown key algorithm 'dsa'.*ecdsa-p256, rsa-3072"):
        generate_key(tmp_path / "k.key", signer="A, B", algorithm="dsa")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("existing", ["k.key", "k.key.pub", "k.key.crt"])
def test_keygen_refuses_to_overwrite(tmp_path: Path, existing: str) -> None:
    (tmp_path / existing).write_text("old key", "utf-8")
    with pytest.raises(SignatureError, match="already exists") as exc:
        generate_key(tmp_path / "k.key", signer=SIGNER)
    assert exc.value.path == str(tmp_path / existing)
    assert isinstance(exc.value, ThermauditError) and isinstance(exc.value, ValueError)
    assert (tmp_path / existing).read_text("utf-8") == "old key"
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing]  # nothing else written


def test_signer_must_be_one_printable_line(tmp_path: Path) -> None:
    with pytest.raises(SignatureError, match="one line"):
        generate_key(tmp_path / "k.key", signer="Name\nSigner: someone else")
    assert not (tmp_path / "k.key").exists()


def test_sign_signer_overrides_key_signer(signed: Path, keys: Path) -> None:
    (signed / "report.pdf").unlink()  # the assessor signed it already; the manifest alone
    manifest = sign_folder(signed, keys, signer="李雷 / Li Lei, Other Body")
    assert manifest.signer == "李雷 / Li Lei, Other Body"
    assert json.loads((signed / "manifest.json").read_bytes())["signer"] == manifest.signer
    assert verify_folder(signed).valid


def test_sign_refuses_folder_without_assessment(tmp_path: Path, keys: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.pdf").write_bytes(b"%PDF")
    with pytest.raises(SignatureError, match=r"holds no assessment\.json") as exc:
        sign_folder(out, keys)
    assert exc.value.path == str(out)
    assert not (out / "manifest.json").exists()


def test_sign_and_verify_refuse_a_missing_folder(tmp_path: Path, keys: Path) -> None:
    with pytest.raises(SignatureError, match="no such folder"):
        sign_folder(tmp_path / "nope", keys)
    with pytest.raises(SignatureError, match="no such folder"):
        verify_folder(tmp_path / "nope")


def test_sign_refuses_public_key_and_readable_private_key(
    signed: Path, keys: Path, tmp_path: Path
) -> None:
    with pytest.raises(SignatureError, match="is a public key"):
        sign_folder(signed, Path(f"{keys}.pub"))
    if os.name == "posix":
        loose = tmp_path / "loose.key"
        shutil.copyfile(keys, loose)
        loose.chmod(0o644)
        with pytest.raises(SignatureError, match=r"readable by other users.*0644"):
            sign_folder(signed, loose)


def test_sign_refuses_a_key_inside_the_folder(signed: Path) -> None:
    with pytest.raises(SignatureError, match="lies inside"):
        sign_folder(signed, generate_key(signed / "k.key", signer=SIGNER).private_path)


# --------------------------------------------------------------------------- CLI


def thermaudit(*args: str | Path) -> subprocess.CompletedProcess[str]:
    r = run_cli(*args, timeout=300)
    # rich wraps long lines at the terminal width: compare words, not line breaks
    r.stderr = " ".join(r.stderr.split())
    return r


def test_cli_keygen_sign_verify(signed_master: Path, tmp_path: Path, unsigned_report: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(signed_master, out)
    for f in ("manifest.json", "manifest.sig"):
        (out / f).unlink()
    key = tmp_path / "cli.key"
    r = thermaudit("keygen", "-o", key, "--signer", SIGNER)
    assert r.returncode == 0, r.stderr
    fp = fingerprint(load_public_key(Path(f"{key}.pub")))
    assert fp in r.stdout

    r = thermaudit("keygen", "-o", key)
    assert r.returncode == 2 and "already exists" in r.stderr and "Traceback" not in r.stderr

    (out / "report.pdf").write_bytes((unsigned_report / "report.pdf").read_bytes())
    r = thermaudit("sign", out, "--key", key)
    assert r.returncode == 0, r.stderr
    assert "signed 5 files" in r.stdout
    assert "signed " + str(out / "report.pdf") + " as assessor: 王芳 Wang Fang" in r.stdout

    r = thermaudit("verify", out)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("valid")
    assert fp in r.stdout and "embedded" in r.stdout
    assert "report.pdf signed by the assessor: 王芳 Wang Fang, Example Energy Audit Co." in r.stdout
    assert "self-signed certificate, not trusted by itself" in r.stdout

    r = thermaudit("verify", out, "--key", f"{key}.pub")
    assert r.returncode == 0 and "trusted key" in r.stdout
    assert "; the trusted key" in r.stdout  # the PDF signature's certificate is that key

    flip_byte(out / "report.html")
    r = thermaudit("verify", out)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.startswith("INVALID") and "modified: report.html" in r.stdout
    assert sha256(out / "report.html") in r.stdout

    r = thermaudit("verify", out, "--json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["valid"] is False
    assert [(p["kind"], p["file"]) for p in doc["problems"]] == [("modified", "report.html")]


def test_cli_exit_codes_for_usage_errors_and_wrong_key(signed: Path, tmp_path: Path) -> None:
    r = thermaudit("verify", tmp_path / "missing")
    assert r.returncode == 2 and "no such folder" in r.stderr and "Traceback" not in r.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    r = thermaudit("keygen", "-o", tmp_path / "k.key")
    assert r.returncode == 2 and "--signer" in r.stderr and "Traceback" not in r.stderr
    r = thermaudit("keygen", "-o", tmp_path / "k.key", "--signer", "Other, Body")
    assert r.returncode == 0, r.stderr
    r = thermaudit("sign", empty, "--key", tmp_path / "k.key")
    assert r.returncode == 2 and "assessment.json" in r.stderr and "Traceback" not in r.stderr

    r = thermaudit("verify", signed, "--key", f"{tmp_path / 'k.key'}.pub")
    assert r.returncode == 1
    assert "untrusted_key" in r.stdout

    r = thermaudit("verify", signed, "--key", tmp_path / "no.pub")
    assert r.returncode == 2 and "no such key file" in r.stderr
