"""Signatures inside report.pdf: PAdES by the assessor, reviewer and approver, checked by
thermaudit's own verifier and, independently, by poppler's ``pdfsig``; the PDF keeps its
attachment and its PDF/A identification; key files in every supported form; tampering.

The report is the real one of the conformance fixture (Typst, PDF/A-3b). veraPDF is not
installable here (neither Debian nor PyPI ships it), so PDF/A is checked through what the
signing could break: the attachment, the XMP identification, the widgets' print flag and
that every earlier revision is left byte for byte as it was.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12

from thermaudit.api import assess_path
from thermaudit.pdf_signature import appearance
from thermaudit.report.build import write_report
from thermaudit.signing import (
    SignatureError,
    generate_key,
    sign_folder,
    sign_folder_and_report,
    verify_folder,
)
from thermaudit.signing_keys import PASSWORD_ENV, PasswordNeeded, self_signed_certificate

MINI = Path(__file__).parent / "fixtures" / "conformance" / "mini"
ZH = "王芳 Wang Fang, 示例能源审计有限公司"
KO = "김민준 Kim Minjun, 예시 에너지 감사"
EN = "Jane Doe, Example Certification Body Ltd."


def pdfsig(pdf: Path) -> str:
    return subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True, check=False).stdout


def pdftext(pdf: Path, page: int = 1) -> str:
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def thermaudit(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed CLI in a subprocess (no terminal: a password cannot be asked for)."""
    r = subprocess.run(
        [sys.executable, "-m", "thermaudit", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    r.stderr = " ".join(r.stderr.split())  # rich wraps at the terminal width
    r.stdout = " ".join(r.stdout.split())
    return r


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("unsigned") / "out"
    assess_path(MINI, out)
    write_report(json.loads((out / "assessment.json").read_text("utf-8")), out, lang="zh+en")
    return out


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("keys")
    return {
        "assessor": generate_key(root / "assessor.key", signer=ZH).private_path,
        "reviewer": generate_key(
            root / "reviewer.key", signer=KO, algorithm="rsa-3072"
        ).private_path,
        "approver": generate_key(root / "approver.key", signer=EN).private_path,
    }


@pytest.fixture
def folder(unsigned: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(unsigned, out)
    return out


@pytest.fixture(scope="module")
def three_signed(
    unsigned: Path, keys: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Signed by the assessor (Chinese name, ECDSA), the reviewer (Korean, RSA 3072) and the
    approver (English, ECDSA), one after another."""
    out = tmp_path_factory.mktemp("three") / "out"
    shutil.copytree(unsigned, out)
    for role, key in keys.items():
        sign_folder(out, key, role=role)
    return out


# --------------------------------------------------------------------------- valid


def test_pdfsig_reports_every_signature_valid(three_signed: Path) -> None:
    """Independent route: poppler (NSS) verifies each CMS signature over its byte range."""
    text = pdfsig(three_signed / "report.pdf")
    blocks = re.split(r"^Signature #\d+:", text, flags=re.M)[1:]
    assert len(blocks) == 3, text
    fields = [re.search(r"Signature Field Name: (\S+)", b).group(1) for b in blocks]  # type: ignore[union-attr]
    assert fields == ["thermaudit-assessor", "thermaudit-reviewer", "thermaudit-approver"]
    for b in blocks:
        assert "Signature Validation: Signature is Valid." in b, b
        assert "ETSI.CAdES.detached" in b and "SHA-256" in b
    assert "Signer Certificate Common Name: 王芳 Wang Fang" in blocks[0]
    assert "O=예시 에너지 감사,CN=김민준 Kim Minjun" in blocks[1]
    assert "Signer Certificate Common Name: Jane Doe" in blocks[2]
    assert "Total document signed" in blocks[2]  # the last one covers the whole file


def test_verify_names_who_signed_what(three_signed: Path, keys: dict[str, Path]) -> None:
    result = verify_folder(three_signed, Path(f"{keys['approver']}.pub"))
    assert result.valid, [str(p) for p in result.problems]
    got = [
        (s.role, s.name, s.organisation, s.ok, s.self_signed, s.trusted)
        for s in result.pdf_signatures
    ]
    assert got == [
        ("assessor", "王芳 Wang Fang", "示例能源审计有限公司", True, True, False),
        ("reviewer", "김민준 Kim Minjun", "예시 에너지 감사", True, True, False),
        ("approver", "Jane Doe", "Example Certification Body Ltd.", True, True, True),
    ]
    crt = (Path(f"{keys['reviewer']}.crt")).read_bytes()
    from cryptography import x509

    der = x509.load_pem_x509_certificate(crt).public_bytes(serialization.Encoding.DER)
    import hashlib

    assert result.pdf_signatures[1].certificate_sha256 == hashlib.sha256(der).hexdigest()
    # the manifest was signed last by the approver, over the PDF as the approver left it
    assert result.manifest is not None and result.manifest.signer == EN


def test_cover_fields_show_name_role_and_date_in_the_report_languages(three_signed: Path) -> None:
    text = pdftext(three_signed / "report.pdf")
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    for expected in (
        "王芳 Wang Fang",
        "示例能源审计有限公司",
        "김민준 Kim Minjun",
        "예시 에너지 감사",
        "Jane Doe",
        "评估人 / Assessor",
        "审核人 / Reviewer",
        "批准人 / Approved by",
        f"数字签名 / Digitally signed {today}",
    ):
        assert expected in text, expected


@pytest.mark.parametrize(
    ("lang", "role", "expected"),
    [
        ("en-GB", "reviewer", ["Reviewer", "Digitally signed 2026-12-07"]),
        ("ko-KR", "approver", ["승인자", "전자서명 2026-12-07"]),
        ("zh-CN", "assessor", ["评估人 / Assessor", "数字签名 / Digitally signed 2026-12-07"]),
    ],
)
def test_appearance_speaks_the_report_language(
    tmp_path: Path, lang: str, role: str, expected: list[str]
) -> None:
    pdf = tmp_path / "a.pdf"
    when = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)
    pdf.write_bytes(appearance("王芳 김민준", "Body", role, when, lang))
    text = " ".join(pdftext(pdf).split())
    for e in [*expected, "王芳 김민준"]:
        assert e in text, (e, text)


def test_pdf_stays_pdf_a_with_its_attachment(
    three_signed: Path, unsigned: Path, tmp_path: Path
) -> None:
    signed_pdf = (three_signed / "report.pdf").read_bytes()
    original = (unsigned / "report.pdf").read_bytes()
    # incremental: the report as Typst wrote it is the first revision, byte for byte
    assert signed_pdf.startswith(original) and len(signed_pdf) > len(original)
    listing = subprocess.run(
        ["pdfdetach", "-list", str(three_signed / "report.pdf")], capture_output=True, text=True
    ).stdout
    assert "1: assessment.json" in listing
    subprocess.run(
        [
            "pdfdetach",
            "-save",
            "1",
            "-o",
            str(tmp_path / "a.json"),
            str(three_signed / "report.pdf"),
        ],
        check=True,
    )
    assert (tmp_path / "a.json").read_bytes() == json.dumps(
        json.loads((unsigned / "assessment.json").read_text("utf-8")), ensure_ascii=False, indent=2
    ).encode("utf-8")

    from pyhanko.pdf_utils.reader import PdfFileReader

    r = PdfFileReader(io.BytesIO(signed_pdf))
    xmp = r.root["/Metadata"].get_object().data.decode("utf-8")
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "/NeedAppearances" not in r.root["/AcroForm"]  # forbidden by PDF/A
    widgets = [a.get_object() for a in r.root["/Pages"]["/Kids"][0].get_object()["/Annots"]]
    sig_widgets = [w for w in widgets if w.get("/FT") == "/Sig"]
    assert len(sig_widgets) == 3
    for w in sig_widgets:
        assert int(w["/F"]) & 4  # printed (PDF/A requires the print flag)
        assert "/N" in w["/AP"]  # with a normal appearance


# --------------------------------------------------------------------------- tampering


def test_a_changed_byte_in_the_signed_pdf_fails_with_a_clear_message(
    three_signed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(three_signed, out)
    pdf = out / "report.pdf"
    data = bytearray(pdf.read_bytes())
    # the document language in the report as Typst wrote it, under every signature
    i = data.index(b"/Lang(zh-CN)") + len(b"/Lang(zh-")
    data[i] ^= 0x01
    pdf.write_bytes(bytes(data))
    r = thermaudit("verify", out)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "INVALID" in r.stdout and "modified: report.pdf" in r.stdout
    assert "pdf_signature: report.pdf: assessor signature (王芳 Wang Fang)" in r.stdout
    assert "changed after this signature" in r.stdout
    assert "Signature is Valid" not in pdfsig(pdf).split("Signature #2")[0]


def _append_drawing(pdf: Path) -> None:
    """An incremental update that draws on the first page: what a forger would append."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with pdf.open("rb+") as f:
        w = IncrementalPdfFileWriter(f)
        ref = w.add_object(generic.StreamObject(stream_data=b"0 0 m 300 300 l S"))
        w.add_stream_to_page(0, ref)
        w.write_in_place()


def test_an_appended_change_fails_even_when_the_folder_is_signed_again(
    folder: Path, keys: dict[str, Path]
) -> None:
    sign_folder(folder, keys["assessor"])
    _append_drawing(folder / "report.pdf")
    result = verify_folder(folder)
    assert not result.valid
    kinds = {(p.kind, p.file) for p in result.problems}
    assert kinds == {("modified", "report.pdf"), ("pdf_signature", "report.pdf")}
    assert any(
        "more than further signatures" in p.message
        for p in result.problems
        if p.kind == "pdf_signature"
    )
    # a reviewer signing over the change, and the manifest signed again: the assessor's
    # signature still says that more than signatures came after it
    sign_folder(folder, keys["reviewer"], role="reviewer")
    result = verify_folder(folder)
    assert not result.valid
    [problem] = result.problems
    assert problem.kind == "pdf_signature" and "assessor signature" in problem.message
    assert "more than further signatures" in problem.message
    assert [s.ok for s in result.pdf_signatures] == [False, True]


def test_a_role_signs_once(folder: Path, keys: dict[str, Path]) -> None:
    sign_folder(folder, keys["assessor"])
    with pytest.raises(SignatureError, match="already signed by the assessor") as exc:
        sign_folder(folder, keys["reviewer"], role="assessor")
    assert exc.value.path == str(folder / "report.pdf")
    with pytest.raises(SignatureError, match=r"unknown role 'boss'.*assessor, reviewer, approver"):
        sign_folder(folder, keys["reviewer"], role="boss")
    assert verify_folder(folder).valid  # nothing was changed by the refusals


# --------------------------------------------------------------------------- key files


def _key_and_cert(signer: str) -> tuple[ec.EllipticCurvePrivateKey, object]:
    key = ec.generate_private_key(ec.SECP256R1())
    return key, self_signed_certificate(key, signer)


def test_pkcs12_with_password_from_the_environment(folder: Path, tmp_path: Path) -> None:
    key, cert = _key_and_cert(KO)
    p12 = tmp_path / "signer.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer",
            key,
            cert,
            None,
            serialization.BestAvailableEncryption(b"s3cret"),  # type: ignore[arg-type]
        )
    )
    env = {**os.environ, PASSWORD_ENV: "wrong"}
    r = thermaudit("sign", folder, "--key", p12, env=env)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"wrong password for {p12}" in r.stderr
    assert not (folder / "manifest.json").exists()

    env_none = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    r = thermaudit("sign", folder, "--key", p12, env=env_none)  # no terminal to ask on
    assert r.returncode == 2 and "protected by a password" in r.stderr and PASSWORD_ENV in r.stderr

    r = thermaudit("sign", folder, "--key", p12, env={**os.environ, PASSWORD_ENV: "s3cret"})
    assert r.returncode == 0, r.stderr
    assert "as assessor: 김민준 Kim Minjun, 예시 에너지 감사" in r.stdout
    r = thermaudit("verify", folder)
    assert r.returncode == 0, r.stdout
    assert "report.pdf signed by the assessor: 김민준 Kim Minjun" in r.stdout
    r = thermaudit("verify", folder, "--json")
    [ps] = json.loads(r.stdout)["pdf_signatures"]
    assert (ps["role"], ps["name"], ps["organisation"], ps["ok"], ps["self_signed"]) == (
        "assessor",
        "김민준 Kim Minjun",
        "예시 에너지 감사",
        True,
        True,
    )
    assert ps["subject"] == "O=예시 에너지 감사,CN=김민준 Kim Minjun"
    assert "Signature is Valid." in pdfsig(folder / "report.pdf")


def test_encrypted_pem_key_with_its_certificate(folder: Path, tmp_path: Path) -> None:
    key, cert = _key_and_cert(ZH)
    pem = tmp_path / "signer.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    crt = tmp_path / "signer-cert.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))  # type: ignore[attr-defined]
    with pytest.raises(PasswordNeeded, match="encrypted"):
        sign_folder(folder, pem, certificate=crt)
    with pytest.raises(SignatureError, match=f"wrong password for {re.escape(str(pem))}"):
        sign_folder(folder, pem, certificate=crt, password="nope")
    with pytest.raises(SignatureError, match=r"certificate .* is not the certificate of the key"):
        _, other = _key_and_cert(EN)
        wrong = tmp_path / "other.pem"
        wrong.write_bytes(other.public_bytes(serialization.Encoding.PEM))  # type: ignore[attr-defined]
        sign_folder(folder, pem, certificate=wrong, password="pw")
    manifest, sig = sign_folder_and_report(folder, pem, certificate=crt, password="pw")
    assert (
        sig is not None
        and sig.name == "王芳 Wang Fang"
        and sig.organisation == "示例能源审计有限公司"
    )
    assert manifest.signer == ZH.replace(", ", ", ")  # from the certificate's subject
    assert verify_folder(folder).valid
    assert "Signature is Valid." in pdfsig(folder / "report.pdf")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a key\n", "neither a PEM key file nor a PKCS#12 file"),
        (
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "no readable private key",
        ),
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "holds no private key"),
    ],
)
def test_a_bad_key_file_is_refused_naming_it(
    folder: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.key"
    bad.write_bytes(content)
    bad.chmod(0o600)
    r = thermaudit("sign", folder, "--key", bad)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert str(bad) in r.stderr and message in r.stderr
    assert not (folder / "manifest.json").exists()


def _old_ed25519_key(path: Path, signer: str) -> Path:
    """A key as the earlier keygen wrote it: Ed25519, Signer line, no certificate."""
    key = Ed25519PrivateKey.generate()
    header = f"Signer: {signer}\n".encode()
    path.write_bytes(
        header
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    pub = path.with_name(path.name + ".pub")
    pub.write_bytes(
        header
        + key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


def test_old_ed25519_keys_verify_their_manifests_but_cannot_sign_the_pdf(
    folder: Path, tmp_path: Path
) -> None:
    old = _old_ed25519_key(tmp_path / "old.key", "Old Assessor")
    with pytest.raises(SignatureError, match=r"no X\.509 certificate") as exc:
        sign_folder(folder, old)
    assert exc.value.path == str(old)
    # a folder without a report, as `thermaudit assess` leaves it: the manifest alone
    (folder / "report.pdf").unlink()
    for name in ("report.html", "report.xlsx"):
        (folder / name).unlink(missing_ok=True)
    manifest = sign_folder(folder, old)
    assert manifest.public_key["algorithm"] == "Ed25519"
    assert len(json.loads((folder / "manifest.sig").read_bytes())["signature"]) == 88  # 64 bytes
    r = thermaudit("verify", folder, "--key", f"{old}.pub")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "signed with the trusted key" in r.stdout


def test_a_service_seals_the_folder_without_signing_inside_the_pdf(
    folder: Path, tmp_path: Path
) -> None:
    """The web service signs the manifest only: the cover's fields stay for the people."""
    old = _old_ed25519_key(tmp_path / "service.key", "thermaudit web service")
    before = (folder / "report.pdf").read_bytes()
    sign_folder(folder, old, sign_report=False)
    assert (folder / "report.pdf").read_bytes() == before
    result = verify_folder(folder)
    assert result.valid and result.pdf_signatures == []
    r = thermaudit("verify", folder)
    assert r.returncode == 0 and "report.pdf carries no signature inside" in r.stdout


def test_bytes_appended_after_the_last_signature_fail(three_signed: Path, tmp_path: Path) -> None:
    """pdfsig still calls each signature valid here (each covers its own revision); verify
    also requires the last one to cover the whole file."""
    out = tmp_path / "out"
    shutil.copytree(three_signed, out)
    with (out / "report.pdf").open("ab") as f:
        f.write(b"\n% appended after signing\n")
    result = verify_folder(out)
    assert [(p.kind, p.file) for p in result.problems] == [
        ("modified", "report.pdf"),
        ("pdf_signature", "report.pdf"),
    ]
    assert result.problems[1].message == (
        "approver signature (Jane Doe): bytes were appended to the document after its last "
        "signature"
    )
