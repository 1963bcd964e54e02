"""PAdES signatures inside ``report.pdf``: the assessor, reviewer and approver sign the report.

:func:`sign_pdf` adds one signature (PAdES baseline B-B, CMS ``ETSI.CAdES.detached``,
SHA-256) as an *incremental update*: the bytes written before stay as they were, so the
report stays PDF/A-3b with ``assessment.json`` attached, and an earlier signature keeps
verifying after a later one is added. Each role's signature field is put over its slot on
the cover (:mod:`thermaudit.report.signature_slots`) and shows the signer's name,
organisation, role and date in the report's language.

:func:`verify_pdf` checks every signature of a PDF: the document digest (*intact*), the
signature over it (*valid*), that what was added after a signature is only further
signatures (*modification level*), and that the last signature covers the whole file.
Trust is a separate question: a self-signed certificate made by ``thermaudit keygen`` is
reported as *untrusted* unless its public key is the one the verifier was given, and that is
not a failure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from thermaudit.report.fonts import FAMILIES, font_dirs, uncovered
from thermaudit.report.labels import Bi
from thermaudit.report.signature_slots import ROLES, signing_area
from thermaudit.report.typst_render import PDF_STANDARD, s

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import (
        CertificateIssuerPrivateKeyTypes,
        PublicKeyTypes,
    )

__all__ = ["ROLE_LABELS", "PdfSignature", "PdfSigningError", "sign_pdf", "verify_pdf"]

# pyHanko logs each validation step it could not complete (a self-signed certificate has no
# path to a trust anchor) with a traceback; those are findings reported by verify_pdf, so
# they go to the application's logging configuration, never straight to stderr
logging.getLogger("pyhanko").addHandler(logging.NullHandler())
logging.getLogger("pyhanko_certvalidator").addHandler(logging.NullHandler())

#: the role of each signature field, as the cover names it (zh, en, ko)
ROLE_LABELS: dict[str, Bi] = {
    "assessor": Bi("评估人", "Assessor", "평가자"),
    "reviewer": Bi("审核人", "Reviewer", "검토자"),
    "approver": Bi("批准人", "Approved by", "승인자"),
}
_SIGNED = Bi("数字签名", "Digitally signed", "전자서명")
#: signature field name of each role (a field name has no dots)
_FIELD = {role: f"thermaudit-{role}" for role in ROLES}
_ROLE_OF_FIELD = {v: k for k, v in _FIELD.items()}


class PdfSigningError(ValueError):
    """A PDF that cannot be signed: not a PDF, the role's field already signed."""


@dataclass(frozen=True)
class PdfSignature:
    """One signature of a PDF as :func:`verify_pdf` found it.

    ``ok`` is true when the signature verifies and what follows it is only further
    signatures; ``trusted`` is None when no trusted key was given, else whether the
    certificate's public key is that key.
    """

    field: str
    role: str | None
    name: str
    organisation: str
    subject: str
    certificate_sha256: str
    self_signed: bool
    signed_at: str | None
    ok: bool
    problem: str | None
    trusted: bool | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "role": self.role,
            "name": self.name,
            "organisation": self.organisation,
            "subject": self.subject,
            "certificate_sha256": self.certificate_sha256,
            "self_signed": self.self_signed,
            "signed_at": self.signed_at,
            "ok": self.ok,
            "problem": self.problem,
            "trusted": self.trusted,
        }


def _pyhanko() -> Any:
    """pyHanko's modules, imported on first use (they take ~0.5 s to import).

    ``pyhanko.sign.signers.pdf_cms`` imports cryptography's DSA names, which cryptography 46
    deprecates; pyHanko never signs with DSA here, so that one warning is silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*DSA is deprecated", category=Warning)
        from pyhanko.keys import internal
        from pyhanko.pdf_utils import layout
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign import fields, signers
        from pyhanko.sign.signers.pdf_cms import SimpleSigner
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko.stamp import StaticStampStyle
        from pyhanko_certvalidator import ValidationContext
        from pyhanko_certvalidator.registry import SimpleCertificateStore
    return SimpleNamespace(
        cert_to_asn1=internal.translate_pyca_cryptography_cert_to_asn1,
        key_to_asn1=internal.translate_pyca_cryptography_key_to_asn1,
        IncrementalPdfFileWriter=IncrementalPdfFileWriter,
        PdfFileReader=PdfFileReader,
        fields=fields,
        layout=layout,
        signers=signers,
        SimpleSigner=SimpleSigner,
        validate_pdf_signature=validate_pdf_signature,
        StaticStampStyle=StaticStampStyle,
        ValidationContext=ValidationContext,
        SimpleCertificateStore=SimpleCertificateStore,
    )


# --------------------------------------------------------------------------- sign


def sign_pdf(
    pdf: Path,
    key: CertificateIssuerPrivateKeyTypes,
    certificate: x509.Certificate,
    *,
    role: str = "assessor",
    chain: list[x509.Certificate] | None = None,
    when: dt.datetime | None = None,
) -> PdfSignature:
    """Sign ``pdf`` in place as ``role``, in the role's slot on the cover.

    Parameters
    ----------
    pdf : Path
        A report written by thermaudit (or any PDF: the field is put at the slot's place
        on its first page).
    key, certificate
        The signer's private key (ECDSA or RSA) and its X.509 certificate.
    role : str
        One of :data:`thermaudit.report.signature_slots.ROLES`.
    chain : list of x509.Certificate, optional
        Intermediate certificates to embed (from a PKCS#12 file).
    when : datetime, optional
        Signing time shown in the field (default: now, UTC).

    Raises
    ------
    PdfSigningError
        When the file is not a readable PDF or ``role`` has signed it already.
    """
    ph = _pyhanko()
    if role not in ROLES:
        raise PdfSigningError(f"unknown role {role!r}; the roles are {', '.join(ROLES)}")
    when = when or dt.datetime.now(dt.UTC)
    data = pdf.read_bytes()
    try:
        reader = ph.PdfFileReader(io.BytesIO(data))
        lang = str(reader.root.get("/Lang", ""))
        done = {e.field_name for e in reader.embedded_signatures}
    except Exception as exc:  # pyHanko raises its own errors and ValueErrors alike
        raise PdfSigningError(f"{pdf} is not a readable PDF ({exc})") from None
    if _FIELD[role] in done:
        raise PdfSigningError(
            f"{pdf} is already signed by the {role}; each role signs once "
            "(write the report again to start over)"
        )
    name, org = _names(certificate)
    with tempfile.TemporaryDirectory(prefix="thermaudit-sign-") as tmp:
        stamp = Path(tmp) / "appearance.pdf"
        stamp.write_bytes(appearance(name, org, role, when, lang))
        style = ph.StaticStampStyle.from_pdf_file(
            str(stamp),
            border_width=0,
            # the appearance page is the size of the field: drawn at 1:1, no extra margin
            background_layout=ph.layout.SimpleBoxLayoutRule(
                x_align=ph.layout.AxisAlignment.ALIGN_MIN,
                y_align=ph.layout.AxisAlignment.ALIGN_MIN,
                margins=ph.layout.Margins.uniform(0),
            ),
        )
        return _sign(ph, pdf, data, key, certificate, chain, role, style, when)


def _sign(
    ph: Any,
    pdf: Path,
    data: bytes,
    key: CertificateIssuerPrivateKeyTypes,
    certificate: x509.Certificate,
    chain: list[x509.Certificate] | None,
    role: str,
    style: Any,
    when: dt.datetime,
) -> PdfSignature:
    name, org = _names(certificate)
    label = ROLE_LABELS[role]
    store = ph.SimpleCertificateStore()
    store.register_multiple([ph.cert_to_asn1(c) for c in chain or []])
    signer = ph.SimpleSigner(
        signing_cert=ph.cert_to_asn1(certificate),
        signing_key=ph.key_to_asn1(key),
        cert_registry=store,
    )
    meta = ph.signers.PdfSignatureMetadata(
        field_name=_FIELD[role],
        md_algorithm="sha256",
        subfilter=ph.fields.SigSeedSubFilter.PADES,
        reason=f"{label.en} ({role})",
        name=name,
    )
    x0, y0, x1, y1 = signing_area(role)
    spec = ph.fields.SigFieldSpec(
        sig_field_name=_FIELD[role],
        on_page=0,
        box=(x0, y0, x1, y1),
        readable_field_name=label.en,
    )
    out = io.BytesIO()
    ph.signers.PdfSigner(meta, signer, stamp_style=style, new_field_spec=spec).sign_pdf(
        ph.IncrementalPdfFileWriter(io.BytesIO(data)), output=out
    )
    tmp = pdf.with_name(f".{pdf.name}.signing")
    tmp.write_bytes(out.getvalue())
    os.replace(tmp, pdf)
    return PdfSignature(
        field=_FIELD[role],
        role=role,
        name=name,
        organisation=org,
        subject=certificate.subject.rfc4514_string(),
        certificate_sha256=_cert_sha256(certificate),
        self_signed=certificate.issuer == certificate.subject,
        signed_at=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ok=True,
        problem=None,
        trusted=None,
    )


def _in(text: Bi, lang: str) -> str:
    """A label in the report's language (its PDF ``/Lang``): both for Chinese reports,
    whose cover labels are bilingual, else the one language."""
    if lang.startswith("en"):
        return text.en
    if lang.startswith("ko"):
        return text.ko or text.en
    return f"{text.zh} / {text.en}"


def appearance(name: str, org: str, role: str, when: dt.datetime, lang: str) -> bytes:
    """The visible part of a signature: a one-page PDF the size of the signing area, laid
    out by Typst in the report's fonts (so Chinese, Korean and Latin mix on one line),
    with the signer's name and organisation, the role and the date.

    Raises
    ------
    PdfSigningError
        When the report fonts have no glyph for a character of the name or organisation.
    """
    import typst

    missing = uncovered(name + org)
    if missing:
        raise PdfSigningError(
            f"the report fonts have no glyph for {', '.join(repr(c) for c in missing)} in "
            f"the signer's name or organisation ({name}, {org}); spell them with Chinese, "
            "Korean or Latin characters in the certificate"
        )
    x0, y0, x1, y1 = signing_area(role)
    fonts = ", ".join(s(f) for f in FAMILIES)
    body = [
        f"#text(size: 9pt, weight: 600, {s(name)})",
        f"#text({s(org)})" if org else "",
        f'#text(fill: rgb("#5b6577"), {s(_in(ROLE_LABELS[role], lang))})',
        f'#text(fill: rgb("#5b6577"), {s(_in(_SIGNED, lang) + " " + when.strftime("%Y-%m-%d"))})',
    ]
    src = "\n".join(
        [
            f"#set page(width: {x1 - x0}pt, height: {y1 - y0}pt, margin: (x: 4pt, y: 3pt))",
            f'#set text(font: ({fonts},), size: 6.5pt, fill: rgb("#1f2a44"), hyphenate: false)',
            "#set par(leading: 0.4em, spacing: 0.4em)",
            " #linebreak()\n".join(x for x in body if x),
        ]
    )
    with tempfile.TemporaryDirectory(prefix="thermaudit-appearance-") as tmp:
        (Path(tmp) / "a.typ").write_text(src, "utf-8")
        return bytes(
            typst.compile(
                str(Path(tmp) / "a.typ"),
                root=tmp,
                font_paths=[str(d) for d in font_dirs()],
                ignore_system_fonts=True,
                format="pdf",
                pdf_standards=[PDF_STANDARD],
                pdf_tags=False,
            )
        )


def _names(cert: x509.Certificate) -> tuple[str, str]:
    def first(oid: x509.ObjectIdentifier) -> str:
        values = cert.subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    return first(NameOID.COMMON_NAME) or cert.subject.rfc4514_string(), first(
        NameOID.ORGANIZATION_NAME
    )


def _cert_sha256(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


# --------------------------------------------------------------------------- verify


def verify_pdf(pdf: Path, trusted: PublicKeyTypes | None = None) -> list[PdfSignature]:
    """Every signature in ``pdf``, checked (an unsigned PDF gives an empty list).

    Raises
    ------
    PdfSigningError
        When the file is not a readable PDF.
    """
    ph = _pyhanko()
    data = pdf.read_bytes()
    try:
        reader = ph.PdfFileReader(io.BytesIO(data))
        embedded = list(reader.embedded_signatures)
    except Exception as exc:
        raise PdfSigningError(f"{pdf} is not a readable PDF ({exc})") from None
    found = []
    for i, sig in enumerate(embedded):
        last = i == len(embedded) - 1
        found.append(_check(ph, sig, last, trusted))
    return found


def _check(ph: Any, sig: Any, last: bool, trusted: PublicKeyTypes | None) -> PdfSignature:
    problem: str | None = None
    cert: x509.Certificate | None = None
    signed_at = None
    try:
        status = ph.validate_pdf_signature(
            sig, ph.ValidationContext(trust_roots=[], allow_fetching=False)
        )
    except Exception as exc:  # a damaged signature dictionary or CMS object
        status = None
        problem = f"the signature cannot be read ({type(exc).__name__}: {exc})"
    if status is not None:
        cert = x509.load_der_x509_certificate(status.signing_cert.dump())
        if status.signer_reported_dt is not None:
            signed_at = status.signer_reported_dt.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        level = status.modification_level
        if not status.intact:
            problem = "the document was changed after this signature: its digest does not match"
        elif not status.valid:
            problem = "the signature does not verify with the certificate it carries"
        elif level is None or level.name not in ("NONE", "FORM_FILLING") or not status.docmdp_ok:
            problem = (
                "what was added to the document after this signature is more than further "
                f"signatures ({level.name if level is not None else 'unknown'} changes)"
            )
        elif last and status.coverage.name != "ENTIRE_FILE":
            problem = "bytes were appended to the document after its last signature"
    name, org = _names(cert) if cert is not None else ("", "")
    is_trusted = None
    if trusted is not None and cert is not None:
        is_trusted = _same_key(cert.public_key(), trusted)
    return PdfSignature(
        field=sig.field_name,
        role=_ROLE_OF_FIELD.get(sig.field_name),
        name=name,
        organisation=org,
        subject=cert.subject.rfc4514_string() if cert is not None else "",
        certificate_sha256=_cert_sha256(cert) if cert is not None else "",
        self_signed=cert is not None and cert.issuer == cert.subject,
        signed_at=signed_at,
        ok=problem is None,
        problem=problem,
        trusted=is_trusted,
    )


def _same_key(a: PublicKeyTypes, b: PublicKeyTypes) -> bool:
    def der(k: PublicKeyTypes) -> bytes:
        return k.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    return der(a) == der(b)
