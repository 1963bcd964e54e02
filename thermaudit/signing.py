"""Signed assessment folders: the assessor signs the report inside the PDF, and the folder.

:func:`sign_folder` first signs ``report.pdf`` itself (a PAdES signature in the signer's
slot on the cover, :mod:`thermaudit.pdf_signature`), then writes a manifest of every file in
the output folder, the signed PDF included, and signs it. :func:`verify_folder` checks the
manifest's signature, every file, and every signature inside the PDF, and says exactly what
changed. Keys, certificates and their files are in :mod:`thermaudit.signing_keys`.

Files
-----
``OUT/report.pdf``
    Signed in place by each role in turn (assessor, then optionally reviewer and approver),
    each signature an incremental update: the PDF stays PDF/A-3b with ``assessment.json``
    attached, and earlier signatures keep verifying.
``OUT/manifest.json``
    Canonical JSON: keys sorted, UTF-8 (not ``\\u`` escaped), no insignificant
    whitespace, no trailing newline. *These exact bytes are what is signed*, so a verifier
    never re-serialises anything before checking the signature. Fields::

        schema         "thermaudit.manifest/1"
        software       {"name": "thermaudit", "version": "0.1.0"}
        specification  specification id@version, from assessment.json
        inputs         [{"file", "sha256"}] of the dataset, from assessment.json
        files          [{"path", "sha256", "size"}] of every regular file under OUT
                       (recursive, "/"-separated, Unicode NFC, sorted), except
                       manifest.json and manifest.sig themselves
        signer         free text such as "名字 Name, Body", or null
        signed_at      UTC time of signing, "YYYY-MM-DDTHH:MM:SSZ" (the signer's claim,
                       not a trusted timestamp)
        public_key     {"algorithm": one of signing_keys.MANIFEST_ALGORITHMS,
                        "key": base64 (raw 32 bytes for Ed25519, DER SubjectPublicKeyInfo
                        for ECDSA and RSA), "fingerprint": hex SHA-256 of those bytes}

``OUT/manifest.sig``
    Canonical JSON ``{"algorithm": …, "manifest_sha256": hex, "signature": base64 of the
    signature over manifest.json}`` (ECDSA and RSA with SHA-256; see
    :data:`~thermaudit.signing_keys.MANIFEST_ALGORITHMS`).

    The signature is *detached* rather than embedded so that the signed bytes are a plain
    file that standard tools can check (``jq -r .signature manifest.sig | base64 -d``,
    then ``openssl dgst -sha256 -verify`` over ``manifest.json``). ``manifest_sha256`` is
    not needed for security: it lets :func:`verify_folder` tell a changed ``manifest.json``
    from a changed ``manifest.sig``.

Trust
-----
The manifest embeds the public key and the PDF its signers' certificates, so a valid
signature alone only shows that *someone* holding that key signed; anyone can re-sign a
changed folder with a key of their own. Trust comes from comparing the key: pass the
assessor's published ``KEYFILE.pub`` as ``public_key`` (``verify --key``), or compare the
printed fingerprints with the ones the assessor published. A self-signed certificate is
reported as such, which is not a failure.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thermaudit._version import __version__
from thermaudit.pdf_signature import PdfSignature, PdfSigningError, sign_pdf, verify_pdf
from thermaudit.report.signature_slots import ROLES
from thermaudit.signing_keys import (
    MANIFEST_ALGORITHMS,
    KeyInfo,
    PasswordNeeded,
    PublicKey,
    SignatureError,
    algorithm_of,
    check_signer,
    fingerprint,
    generate_key,
    key_bytes,
    load_public_key,
    load_signing_key,
    public_from,
    sign_bytes,
    signer_of,
    verifies,
)

__all__ = [
    "MANIFEST",
    "PROBLEM_KINDS",
    "REPORT",
    "ROLES",
    "SIGNATURE",
    "KeyInfo",
    "Manifest",
    "PasswordNeeded",
    "PdfSignature",
    "SignatureError",
    "VerifyProblem",
    "VerifyResult",
    "fingerprint",
    "generate_key",
    "load_public_key",
    "load_signing_key",
    "printable",
    "sign_folder",
    "sign_folder_and_report",
    "verify_folder",
]

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
ASSESSMENT = "assessment.json"
#: the report signed inside (when the folder has one)
REPORT = "report.pdf"
MANIFEST_SCHEMA = "thermaudit.manifest/1"
#: the two files a manifest never lists (they are checked by the signature instead)
_RESERVED = frozenset({MANIFEST, SIGNATURE})
_HEX64 = re.compile(r"[0-9a-f]{64}")

#: every ``VerifyProblem.kind``, with what it means
PROBLEM_KINDS: dict[str, str] = {
    "modified": "a listed file's content differs from the manifest",
    "missing": "a listed file is gone",
    "added": "a file is present that the manifest does not list",
    "not_regular": "a symlink, special file or duplicate name is present (never signed)",
    "manifest": "manifest.json is missing, malformed or was changed after signing",
    "signature": "manifest.sig is missing, malformed or does not verify",
    "untrusted_key": "the folder was signed with a key other than the trusted one",
    "inputs": "the inputs in the manifest and in assessment.json disagree",
    "input_modified": "a dataset input's content differs from the manifest (dataset given)",
    "input_missing": "a dataset input is gone (dataset given)",
    "pdf_signature": "a signature inside report.pdf does not verify, or the PDF was changed "
    "after it was signed",
}


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Manifest:
    """The signed statement about one output folder (see the module docstring)."""

    software: dict[str, str]
    specification: str
    inputs: list[dict[str, str]]
    files: list[dict[str, Any]]
    signer: str | None
    signed_at: str
    public_key: dict[str, str]
    schema: str = MANIFEST_SCHEMA

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "software": dict(self.software),
            "specification": self.specification,
            "inputs": [dict(i) for i in self.inputs],
            "files": [dict(f) for f in self.files],
            "signer": self.signer,
            "signed_at": self.signed_at,
            "public_key": dict(self.public_key),
        }

    def canonical_bytes(self) -> bytes:
        """The exact bytes of ``manifest.json``, which are the bytes signed."""
        return _canonical(self.to_dict())

    @property
    def fingerprint(self) -> str:
        return self.public_key["fingerprint"]

    @classmethod
    def from_dict(cls, doc: Any) -> Manifest:
        """Parse a manifest, raising :class:`ValueError` naming the first bad field."""
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
        if doc.get("schema") != MANIFEST_SCHEMA:
            raise ValueError(f"schema is {doc.get('schema')!r}, expected {MANIFEST_SCHEMA!r}")
        expected = {
            "schema", "software", "specification", "inputs", "files", "signer", "signed_at",
            "public_key",
        }  # fmt: skip
        if set(doc) != expected:
            raise ValueError(f"fields are {sorted(doc)}, expected {sorted(expected)}")
        files = doc["files"]
        if not isinstance(files, list) or not all(
            isinstance(f, dict)
            and set(f) == {"path", "sha256", "size"}
            and isinstance(f["path"], str)
            and isinstance(f["sha256"], str)
            and _HEX64.fullmatch(f["sha256"])
            and type(f["size"]) is int
            for f in files
        ):
            raise ValueError("files must be a list of {path, sha256 (hex), size}")
        inputs = doc["inputs"]
        if not isinstance(inputs, list) or not all(
            isinstance(i, dict)
            and set(i) == {"file", "sha256"}
            and all(isinstance(v, str) for v in i.values())
            for i in inputs
        ):
            raise ValueError("inputs must be a list of {file, sha256}")
        key = doc["public_key"]
        if not (
            isinstance(key, dict)
            and set(key) == {"algorithm", "key", "fingerprint"}
            and all(isinstance(v, str) for v in key.values())
        ):
            raise ValueError("public_key must be {algorithm, key, fingerprint}")
        if key["algorithm"] not in MANIFEST_ALGORITHMS:
            raise ValueError(
                f"public_key.algorithm is {key['algorithm']!r}, expected one of "
                f"{', '.join(MANIFEST_ALGORITHMS)}"
            )
        if not isinstance(doc["software"], dict) or not isinstance(doc["specification"], str):
            raise ValueError("software must be an object and specification a string")
        if not isinstance(doc["signed_at"], str) or not (
            doc["signer"] is None or isinstance(doc["signer"], str)
        ):
            raise ValueError("signed_at must be a string and signer a string or null")
        return cls(
            software=doc["software"],
            specification=doc["specification"],
            inputs=inputs,
            files=files,
            signer=doc["signer"],
            signed_at=doc["signed_at"],
            public_key=key,
        )


@dataclass(frozen=True)
class VerifyProblem:
    """One thing that makes a folder fail verification.

    Parameters
    ----------
    kind : str
        One of :data:`PROBLEM_KINDS`.
    file : str
        The file concerned, relative to the folder ("/"-separated); for dataset inputs,
        the input's name in the dataset.
    message : str
        What is wrong, in words.
    expected, found : str or None
        For content changes, the SHA-256 recorded and the SHA-256 found.
    """

    kind: str
    file: str
    message: str
    expected: str | None = None
    found: str | None = None

    def __str__(self) -> str:
        text = f"{self.kind}: {printable(self.file)}: {self.message}"
        if self.expected is not None or self.found is not None:
            text += f" (expected {self.expected}, found {self.found})"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
        }


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of :func:`verify_folder`.

    ``valid`` is true only when the signature verifies, the key is the trusted one (when a
    trusted key was given) and every file matches the manifest. ``manifest`` is the parsed
    manifest whenever it could be read, authentic or not; ``signature_valid`` says whether
    it is authentic for its embedded key, whose fingerprint is ``fingerprint``.
    ``pdf_signatures`` are the signatures found inside ``report.pdf``, in signing order
    (empty for an unsigned report or a folder without one).
    """

    valid: bool
    problems: list[VerifyProblem] = field(default_factory=list)
    manifest: Manifest | None = None
    signature_valid: bool = False
    fingerprint: str | None = None
    trusted_fingerprint: str | None = None
    pdf_signatures: list[PdfSignature] = field(default_factory=list)


# --------------------------------------------------------------------------- sign


def sign_folder(
    out: Path | str,
    key_path: Path | str,
    signer: str | None = None,
    *,
    role: str = "assessor",
    certificate: Path | str | None = None,
    password: str | bytes | None = None,
    sign_report: bool = True,
) -> Manifest:
    """Sign an output folder: ``report.pdf`` inside (when there is one), then the manifest.

    The same as :func:`sign_folder_and_report` without the PDF signature's details.
    """
    return sign_folder_and_report(
        out,
        key_path,
        signer,
        role=role,
        certificate=certificate,
        password=password,
        sign_report=sign_report,
    )[0]


def sign_folder_and_report(
    out: Path | str,
    key_path: Path | str,
    signer: str | None = None,
    *,
    role: str = "assessor",
    certificate: Path | str | None = None,
    password: str | bytes | None = None,
    sign_report: bool = True,
) -> tuple[Manifest, PdfSignature | None]:
    """Sign ``out/report.pdf`` in place as ``role``, then write and sign the manifest.

    Signing again replaces the manifest (for instance after the reviewer signed the PDF, or
    the report was regenerated); a role signs the PDF once.

    Parameters
    ----------
    out : Path
        Folder written by ``thermaudit assess`` (and ``report``); must hold
        ``assessment.json``.
    key_path : Path
        Private key file (:func:`generate_key`, any PEM key, or a PKCS#12 file); must not
        lie inside ``out``.
    signer : str, optional
        Overrides the signer recorded in the manifest (default: the key file's, else the
        certificate's subject). The PDF shows the certificate's name.
    role : str
        One of :data:`ROLES`: the cover slot the PDF signature fills.
    certificate : Path, optional
        The key's certificate when it is neither in the key file nor ``KEYFILE.crt``.
    password : str, optional
        For an encrypted key or a PKCS#12 file.
    sign_report : bool
        Sign ``report.pdf`` inside (default). False signs the manifest only, as a service
        that seals a folder does, leaving the cover's fields to the people who sign.

    Returns
    -------
    (Manifest, PdfSignature or None)
        The signed manifest, and the PDF signature added (None without a report).

    Raises
    ------
    SignatureError
        When the folder or assessment is missing or unreadable, the key is unusable or lies
        inside the folder, the report cannot be signed (no certificate, not a PDF, the
        role signed already), or the folder holds symlinks or special files.
    """
    out = Path(out)
    key_path = Path(key_path)
    _require_folder(out)
    assessment_path = out / ASSESSMENT
    if not assessment_path.is_file():
        raise SignatureError(
            f"{out} holds no {ASSESSMENT}; only an assessment folder can be signed",
            path=out,
            hint=f"run `thermaudit assess DATASET -o {out}` first",
        )
    if key_path.resolve().is_relative_to(out.resolve()):
        raise SignatureError(
            f"the key {key_path} lies inside {out}; it would be listed and handed out "
            "with the report",
            path=key_path,
            hint="keep the private key outside the output folder",
        )
    if role not in ROLES:
        raise SignatureError(
            f"unknown role {role!r}; the roles are {', '.join(ROLES)}", path="--role"
        )
    key = load_signing_key(key_path, certificate=certificate, password=password)
    signer = check_signer(signer) if signer is not None else signer_of(key)
    specification, inputs = _assessment_facts(assessment_path)
    found, odd = _walk(out)
    if odd:
        raise SignatureError(
            f"{out} holds symlinks or special files, which cannot be signed: "
            + ", ".join(printable(o) for o in odd),
            path=out,
            hint="replace them with regular files or remove them",
        )

    pdf_sig = None
    if REPORT in found and sign_report:
        if key.certificate is None:
            raise SignatureError(
                f"{key_path} has no X.509 certificate (an Ed25519 key from an earlier "
                "`thermaudit keygen`), so it cannot sign the report inside the PDF; it still "
                "verifies the folders it signed",
                path=key_path,
                hint='make a new key: thermaudit keygen -o KEYFILE --signer "Name, Organisation"',
            )
        try:
            pdf_sig = sign_pdf(
                found[REPORT],
                key.private_key,
                key.certificate,
                role=role,
                chain=key.chain,
            )
        except PdfSigningError as exc:
            raise SignatureError(str(exc), path=found[REPORT]) from None

    files = []
    for rel in sorted(found):
        sha, size = _hash_file(found[rel])
        files.append({"path": rel, "sha256": sha, "size": size})
    pub = key.public_key
    algorithm = algorithm_of(pub)
    manifest = Manifest(
        software={"name": "thermaudit", "version": __version__},
        specification=specification,
        inputs=inputs,
        files=files,
        signer=signer,
        signed_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        public_key={
            "algorithm": algorithm,
            "key": base64.b64encode(key_bytes(pub)).decode("ascii"),
            "fingerprint": fingerprint(pub),
        },
    )
    body = manifest.canonical_bytes()
    sig = _canonical(
        {
            "algorithm": algorithm,
            "manifest_sha256": hashlib.sha256(body).hexdigest(),
            "signature": base64.b64encode(sign_bytes(key.private_key, body)).decode("ascii"),
        }
    )
    _write_atomic(out / MANIFEST, body)
    _write_atomic(out / SIGNATURE, sig)
    return manifest, pdf_sig


def _assessment_facts(path: Path) -> tuple[str, list[dict[str, str]]]:
    try:
        doc = json.loads(path.read_bytes())
        spec = doc["specification"]
        inputs = [{"file": i["file"], "sha256": i["sha256"]} for i in doc["inputs"]]
        if not isinstance(spec, str) or not all(
            isinstance(v, str) for i in inputs for v in i.values()
        ):
            raise TypeError("specification, inputs[].file and inputs[].sha256 must be strings")
    except (ValueError, KeyError, TypeError) as exc:
        raise SignatureError(
            f"{path} is not a readable assessment ({type(exc).__name__}: {exc})",
            path=path,
            hint="re-run `thermaudit assess` to write it again",
        ) from None
    return spec, inputs


# --------------------------------------------------------------------------- verify


def verify_folder(
    out: Path | str,
    public_key: PublicKey | Path | str | None = None,
    *,
    dataset: Path | str | None = None,
) -> VerifyResult:
    """Check a signed folder and say exactly what changed.

    Parameters
    ----------
    out : Path
        Signed output folder.
    public_key : public key or Path, optional
        The trusted key (or its ``.pub`` file). Without it, the signature is checked
        against the key embedded in the manifest only; see the module docstring, *Trust*.
    dataset : Path, optional
        Dataset folder: also check each input's SHA-256 against the manifest.

    Returns
    -------
    VerifyResult
        ``valid`` and every problem found. Problems never raise.

    Raises
    ------
    SignatureError
        Only when verification cannot start: no such folder, an unreadable trusted key.
    """
    out = Path(out)
    _require_folder(out)
    trusted: PublicKey | None
    if public_key is None or not isinstance(public_key, Path | str):
        trusted = public_key
    else:
        trusted = load_public_key(public_key)
    if dataset is not None:
        _require_folder(Path(dataset))
    trusted_fp = fingerprint(trusted) if trusted is not None else None
    problems: list[VerifyProblem] = []

    def fail(kind: str, file: str, message: str, **kw: str | None) -> None:
        problems.append(VerifyProblem(kind, file, message, **kw))

    body = _read_optional(out / MANIFEST)
    sig_bytes = _read_optional(out / SIGNATURE)
    if body is None:
        fail("manifest", MANIFEST, "missing: the folder is not signed or the manifest was removed")
    if sig_bytes is None:
        fail("signature", SIGNATURE, "missing: the signature was removed")
    if body is None:
        return VerifyResult(False, problems, trusted_fingerprint=trusted_fp)

    manifest: Manifest | None = None
    try:
        manifest = Manifest.from_dict(json.loads(body))
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        fail("manifest", MANIFEST, f"not a readable manifest: {exc}")
    else:
        if manifest.canonical_bytes() != body:
            fail("manifest", MANIFEST, "not in canonical form: changed after signing")

    embedded: PublicKey | None = None
    if manifest is not None:
        algorithm = manifest.public_key["algorithm"]
        try:
            raw = base64.b64decode(manifest.public_key["key"], validate=True)
            embedded = public_from(algorithm, raw)
        except (binascii.Error, ValueError):
            fail("manifest", MANIFEST, f"public_key.key is not a base64 {algorithm} public key")
        else:
            if fingerprint(embedded) != manifest.fingerprint:
                fail(
                    "manifest",
                    MANIFEST,
                    "public_key.fingerprint does not match public_key.key",
                    expected=fingerprint(embedded),
                    found=manifest.fingerprint,
                )

    sig = _parse_signature(sig_bytes) if sig_bytes is not None else None
    if sig_bytes is not None and sig is None:
        fail("signature", SIGNATURE, "malformed: not a thermaudit manifest signature file")

    # signature, against the embedded key; then the embedded key against the trusted one
    signature_valid = False
    body_sha = hashlib.sha256(body).hexdigest()
    if sig is not None and embedded is not None and manifest is not None:
        signature, recorded_sha, sig_algorithm = sig
        signature_valid = sig_algorithm == manifest.public_key["algorithm"] and verifies(
            embedded, signature, body
        )
        if not signature_valid and recorded_sha != body_sha:
            fail(
                "manifest",
                MANIFEST,
                "changed after signing: the signature does not match it",
                expected=recorded_sha,
                found=body_sha,
            )
        elif not signature_valid:
            fail(
                "signature",
                SIGNATURE,
                "does not verify manifest.json with the key in the manifest: the signature "
                "was changed or belongs to another key",
            )
        elif recorded_sha != body_sha:
            fail(
                "signature",
                SIGNATURE,
                "manifest_sha256 was changed (the signature itself verifies)",
                expected=body_sha,
                found=recorded_sha,
            )
    if trusted is not None and embedded is not None and key_bytes(trusted) != key_bytes(embedded):
        fail(
            "untrusted_key",
            MANIFEST,
            "signed with a key that is not the trusted key",
            expected=trusted_fp,
            found=fingerprint(embedded),
        )

    if manifest is None:
        return VerifyResult(False, problems, trusted_fingerprint=trusted_fp)

    # every file, against the manifest (authentic or not: the problems above say which)
    listed = {f["path"]: f for f in manifest.files}
    found, odd = _walk(out)
    for rel in odd:
        fail(
            "not_regular",
            rel,
            "symlink, special file or name duplicated by Unicode normalisation; "
            "only regular files are signed",
        )
    for rel in sorted(listed.keys() - found.keys()):
        if rel not in odd:
            fail("missing", rel, "listed in the manifest but not found")
    for rel in sorted(found.keys() - listed.keys()):
        fail("added", rel, "not listed in the manifest")
    for rel in sorted(found.keys() & listed.keys()):
        sha, size = _hash_file(found[rel])
        want = listed[rel]
        if sha != want["sha256"]:
            fail(
                "modified",
                rel,
                f"content changed ({want['size']} bytes signed, {size} bytes now)",
                expected=want["sha256"],
                found=sha,
            )

    # the inputs recorded in the manifest are those of the assessment it lists
    if ASSESSMENT in found:
        try:
            _spec, inputs = _assessment_facts(found[ASSESSMENT])
        except SignatureError:
            inputs = None  # reported above as a modified file
        if inputs is not None and inputs != manifest.inputs:
            fail("inputs", ASSESSMENT, "its inputs differ from those in manifest.json")
    if dataset is not None:
        for item in manifest.inputs:
            name = Path(item["file"])
            if name.is_absolute() or ".." in name.parts:
                fail("input_missing", item["file"], "not a file name inside a dataset folder")
                continue
            path = Path(dataset) / name
            if not path.is_file():
                fail("input_missing", item["file"], f"not found in {dataset}")
                continue
            sha, _size = _hash_file(path)
            if sha != item["sha256"]:
                fail(
                    "input_modified",
                    item["file"],
                    "dataset file differs from the one assessed",
                    expected=item["sha256"],
                    found=sha,
                )

    pdf_signatures: list[PdfSignature] = []
    if REPORT in found:
        try:
            pdf_signatures = verify_pdf(found[REPORT], trusted)
        except PdfSigningError as exc:
            fail("pdf_signature", REPORT, str(exc))
        for ps in pdf_signatures:
            if not ps.ok:
                who = f"{ps.role or ps.field} signature" + (
                    f" ({printable(ps.name)})" if ps.name else ""
                )
                fail("pdf_signature", REPORT, f"{who}: {ps.problem}")

    return VerifyResult(
        pdf_signatures=pdf_signatures,
        valid=not problems,
        problems=problems,
        manifest=manifest,
        signature_valid=signature_valid,
        fingerprint=fingerprint(embedded) if embedded is not None else None,
        trusted_fingerprint=trusted_fp,
    )


def _parse_signature(data: bytes) -> tuple[bytes, str, str] | None:
    """``(signature, manifest_sha256, algorithm)`` from manifest.sig, or None unless it is exactly
    the canonical file :func:`sign_folder` writes (so any changed byte is noticed)."""
    try:
        doc = json.loads(data)
        if not isinstance(doc, dict) or set(doc) != {"algorithm", "manifest_sha256", "signature"}:
            return None
        if doc["algorithm"] not in MANIFEST_ALGORITHMS or not isinstance(
            doc["manifest_sha256"], str
        ):
            return None
        if not _HEX64.fullmatch(doc["manifest_sha256"]) or _canonical(doc) != data:
            return None
        signature = base64.b64decode(doc["signature"], validate=True)
    except (ValueError, TypeError, binascii.Error):
        return None
    if doc["algorithm"] == "Ed25519" and len(signature) != 64:
        return None
    if base64.b64encode(signature).decode("ascii") != doc["signature"]:
        return None
    return signature, doc["manifest_sha256"], doc["algorithm"]


# --------------------------------------------------------------------------- helpers


def _canonical(doc: Any) -> bytes:
    return json.dumps(
        doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def _require_folder(path: Path) -> None:
    if not path.is_dir():
        raise SignatureError(
            f"{path} is not a folder" if path.exists() else f"{path}: no such folder",
            path=path,
            hint="pass the output folder written by `thermaudit assess -o OUT`",
        )


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _read_optional(path: Path) -> bytes | None:
    if path.is_symlink() or not path.is_file():
        return None
    return path.read_bytes()


def _hash_file(path: Path) -> tuple[str, int]:
    """SHA-256 and size from the same read, so the two always describe the same bytes."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _walk(out: Path) -> tuple[dict[str, Path], list[str]]:
    """Regular files under ``out`` by "/"-separated NFC relative path (the manifest and its
    signature excluded), and the relative paths of symlinks and special files."""
    files: dict[str, Path] = {}
    odd: list[str] = []
    stack = [out]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                path = Path(entry.path)
                rel = unicodedata.normalize("NFC", path.relative_to(out).as_posix())
                if entry.is_symlink():
                    odd.append(rel)
                elif entry.is_dir(follow_symlinks=False):
                    stack.append(path)
                elif entry.is_file(follow_symlinks=False):
                    if rel in _RESERVED:
                        continue
                    if rel in files:
                        odd.append(rel)  # two names that differ only in Unicode normalisation
                    files[rel] = path
                else:
                    odd.append(rel)
    return files, sorted(odd)


def printable(name: str) -> str:
    """A file name or text safe to print: control characters escaped (no terminal tricks)."""
    return "".join(
        c if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp") else repr(c)[1:-1]
        for c in name
    )
