"""Signed manifests for an assessment folder: an assessor signs what the report says.

:func:`generate_key` makes an Ed25519 key pair, :func:`sign_folder` writes a manifest of
every file in an output folder and signs it, :func:`verify_folder` checks the signature and
every file and says exactly what changed.

Files
-----
``KEYFILE`` (private key)
    PKCS#8 PEM, unencrypted, created with mode 0600 and never overwritten. When a signer
    is given to :func:`generate_key`, one RFC 7468 explanatory line ``Signer: …`` precedes
    the PEM block; :func:`sign_folder` uses it when no signer is passed.
``KEYFILE.pub`` (public key)
    SubjectPublicKeyInfo PEM preceded by ``Signer: …`` (optional) and ``Fingerprint: …``
    lines. This is the file an assessor hands out for ``verify --key``.
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
        signer         free text such as "名字 / Name, Body", or null
        signed_at      UTC time of signing, "YYYY-MM-DDTHH:MM:SSZ" (the signer's claim,
                       not a trusted timestamp)
        public_key     {"algorithm": "Ed25519", "key": base64 of the 32 raw bytes,
                        "fingerprint": hex SHA-256 of the 32 raw bytes}

``OUT/manifest.sig``
    Canonical JSON ``{"algorithm": "Ed25519", "manifest_sha256": hex,
    "signature": base64 of the 64-byte Ed25519 signature over manifest.json}``.

    The signature is *detached* rather than embedded so that the signed bytes are a plain
    file that standard tools can check (``jq -r .signature manifest.sig | base64 -d``,
    then any Ed25519 verifier over ``manifest.json``). ``manifest_sha256`` is not needed
    for security: it lets :func:`verify_folder` tell a changed ``manifest.json`` from a
    changed ``manifest.sig``.

Trust
-----
The manifest embeds the public key, so a valid signature alone only shows that *someone*
holding that key signed the folder; anyone can re-sign a changed folder with a key of their
own. Trust comes from comparing the key: pass the assessor's published ``KEYFILE.pub`` as
``public_key`` (``verify --key``), or compare the printed fingerprint with the one the
assessor published.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from thermaudit._version import __version__
from thermaudit.errors import ThermauditError

__all__ = [
    "MANIFEST",
    "PROBLEM_KINDS",
    "SIGNATURE",
    "KeyInfo",
    "Manifest",
    "SignatureError",
    "VerifyProblem",
    "VerifyResult",
    "fingerprint",
    "generate_key",
    "load_public_key",
    "printable",
    "sign_folder",
    "verify_folder",
]

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
ASSESSMENT = "assessment.json"
MANIFEST_SCHEMA = "thermaudit.manifest/1"
ALGORITHM = "Ed25519"
#: the two files a manifest never lists (they are checked by the signature instead)
_RESERVED = frozenset({MANIFEST, SIGNATURE})
_SIGNER_MAX = 200
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
}


class SignatureError(ThermauditError, ValueError):
    """Signing or verification could not start: a missing folder or key, a key file that
    would be overwritten, a folder without an assessment.

    A folder that fails verification is *not* an error: :func:`verify_folder` returns a
    :class:`VerifyResult` with ``valid=False``.

    Attributes
    ----------
    path : str
        The file or folder concerned.
    """

    def __init__(self, message: str, *, path: Path | str, hint: str = "") -> None:
        self.path = str(path)
        super().__init__(message, hint=hint)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class KeyInfo:
    """What :func:`generate_key` wrote."""

    private_path: Path
    public_path: Path
    fingerprint: str
    signer: str | None


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
        if key["algorithm"] != ALGORITHM:
            raise ValueError(f"public_key.algorithm is {key['algorithm']!r}, expected Ed25519")
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
    """

    valid: bool
    problems: list[VerifyProblem] = field(default_factory=list)
    manifest: Manifest | None = None
    signature_valid: bool = False
    fingerprint: str | None = None
    trusted_fingerprint: str | None = None


# --------------------------------------------------------------------------- keys


def fingerprint(key: Ed25519PublicKey) -> str:
    """Hex SHA-256 of the 32 raw bytes of an Ed25519 public key."""
    return hashlib.sha256(_raw(key)).hexdigest()


def generate_key(path: Path | str, *, signer: str | None = None) -> KeyInfo:
    """Create an Ed25519 key pair: ``path`` (private, mode 0600) and ``path.pub``.

    Parameters
    ----------
    path : Path
        Private key file. Neither it nor ``path.pub`` may exist: a key is never
        overwritten. Missing parent folders are created.
    signer : str, optional
        Name and organisation of the assessor, one line (``"名字 / Name, Body"``); recorded
        in both files and used by :func:`sign_folder` when it is given no signer.

    Raises
    ------
    SignatureError
        When either file exists or the signer text is unusable.
    """
    private_path = Path(path)
    public_path = _pub_path(private_path)
    signer = _check_signer(signer)
    for p in (private_path, public_path):
        if p.exists() or p.is_symlink():
            raise SignatureError(
                f"{p} already exists; a key is never overwritten",
                path=p,
                hint="choose another file name, or delete the old key deliberately first",
            )
    private_path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    header = f"Signer: {signer}\n".encode() if signer else b""
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fp = fingerprint(key.public_key())
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _create_exclusive(private_path, header + private_pem, 0o600)
    try:
        _create_exclusive(public_path, header + f"Fingerprint: {fp}\n".encode() + public_pem, 0o644)
    except BaseException:
        private_path.unlink(missing_ok=True)
        raise
    return KeyInfo(private_path, public_path, fp, signer)


def load_public_key(path: Path | str) -> Ed25519PublicKey:
    """Read a trusted Ed25519 public key (``KEYFILE.pub``; a private key file also works).

    Raises
    ------
    SignatureError
        When the file is missing or holds no Ed25519 key.
    """
    path = Path(path)
    data = _read_key_file(path)
    try:
        pub = serialization.load_pem_public_key(_pem_block(data, path))
    except (ValueError, UnsupportedAlgorithm):
        try:
            priv = serialization.load_pem_private_key(_pem_block(data, path), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise SignatureError(
                f"{path} holds no readable public key",
                path=path,
                hint="pass the KEYFILE.pub written by `thermaudit keygen`",
            ) from None
        pub = priv.public_key()
    if not isinstance(pub, Ed25519PublicKey):
        raise SignatureError(
            f"{path} holds a {type(pub).__name__}, expected an Ed25519 key", path=path
        )
    return pub


def _load_private_key(path: Path) -> tuple[Ed25519PrivateKey, str | None]:
    data = _read_key_file(path)
    block = _pem_block(data, path)
    if b"PUBLIC KEY" in block.split(b"\n", 1)[0]:
        raise SignatureError(
            f"{path} is a public key; signing needs the private key",
            path=path,
            hint="pass KEYFILE, not KEYFILE.pub",
        )
    if os.name == "posix":
        mode = path.stat().st_mode
        if mode & 0o077:
            raise SignatureError(
                f"{path} is readable by other users (mode {stat.S_IMODE(mode):04o}); "
                "refusing to use a private key that is not private",
                path=path,
                hint=f"chmod 600 {path}",
            )
    try:
        key = serialization.load_pem_private_key(block, password=None)
    except TypeError:
        raise SignatureError(
            f"{path} is an encrypted private key, which is not supported", path=path
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise SignatureError(
            f"{path} holds no readable private key",
            path=path,
            hint="create one with `thermaudit keygen -o KEYFILE`",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(
            f"{path} holds a {type(key).__name__}, expected an Ed25519 key",
            path=path,
            hint="create one with `thermaudit keygen -o KEYFILE`",
        )
    return key, _check_signer(_signer_from_header(data))


# --------------------------------------------------------------------------- sign


def sign_folder(out: Path | str, key_path: Path | str, signer: str | None = None) -> Manifest:
    """Sign an output folder: write ``out/manifest.json`` and ``out/manifest.sig``.

    Signing again replaces both (for instance after the report was regenerated).

    Parameters
    ----------
    out : Path
        Folder written by ``thermaudit assess`` (and ``report``); must hold
        ``assessment.json``.
    key_path : Path
        Private key file from :func:`generate_key`; must not lie inside ``out``.
    signer : str, optional
        Overrides the signer recorded in the key file.

    Raises
    ------
    SignatureError
        When the folder or assessment is missing or unreadable, the key is unusable or lies
        inside the folder, or the folder holds symlinks or special files.
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
    key, key_signer = _load_private_key(key_path)
    signer = _check_signer(signer) if signer is not None else key_signer
    specification, inputs = _assessment_facts(assessment_path)

    found, odd = _walk(out)
    if odd:
        raise SignatureError(
            f"{out} holds symlinks or special files, which cannot be signed: "
            + ", ".join(printable(o) for o in odd),
            path=out,
            hint="replace them with regular files or remove them",
        )
    files = []
    for rel in sorted(found):
        sha, size = _hash_file(found[rel])
        files.append({"path": rel, "sha256": sha, "size": size})

    pub = key.public_key()
    manifest = Manifest(
        software={"name": "thermaudit", "version": __version__},
        specification=specification,
        inputs=inputs,
        files=files,
        signer=signer,
        signed_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        public_key={
            "algorithm": ALGORITHM,
            "key": base64.b64encode(_raw(pub)).decode("ascii"),
            "fingerprint": fingerprint(pub),
        },
    )
    body = manifest.canonical_bytes()
    sig = _canonical(
        {
            "algorithm": ALGORITHM,
            "manifest_sha256": hashlib.sha256(body).hexdigest(),
            "signature": base64.b64encode(key.sign(body)).decode("ascii"),
        }
    )
    _write_atomic(out / MANIFEST, body)
    _write_atomic(out / SIGNATURE, sig)
    return manifest


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
    public_key: Ed25519PublicKey | Path | str | None = None,
    *,
    dataset: Path | str | None = None,
) -> VerifyResult:
    """Check a signed folder and say exactly what changed.

    Parameters
    ----------
    out : Path
        Signed output folder.
    public_key : Ed25519PublicKey or Path, optional
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
    trusted: Ed25519PublicKey | None
    if public_key is None or isinstance(public_key, Ed25519PublicKey):
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

    embedded: Ed25519PublicKey | None = None
    if manifest is not None:
        try:
            raw = base64.b64decode(manifest.public_key["key"], validate=True)
            embedded = Ed25519PublicKey.from_public_bytes(raw)
        except (binascii.Error, ValueError):
            fail("manifest", MANIFEST, "public_key.key is not a base64 Ed25519 public key")
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
        fail("signature", SIGNATURE, "malformed: not a thermaudit Ed25519 signature file")

    # signature, against the embedded key; then the embedded key against the trusted one
    signature_valid = False
    body_sha = hashlib.sha256(body).hexdigest()
    if sig is not None and embedded is not None:
        signature, recorded_sha = sig
        signature_valid = _verifies(embedded, signature, body)
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
    if trusted is not None and embedded is not None and _raw(trusted) != _raw(embedded):
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

    return VerifyResult(
        valid=not problems,
        problems=problems,
        manifest=manifest,
        signature_valid=signature_valid,
        fingerprint=fingerprint(embedded) if embedded is not None else None,
        trusted_fingerprint=trusted_fp,
    )


def _parse_signature(data: bytes) -> tuple[bytes, str] | None:
    """``(signature, manifest_sha256)`` from manifest.sig, or None unless it is exactly
    the canonical file :func:`sign_folder` writes (so any changed byte is noticed)."""
    try:
        doc = json.loads(data)
        if not isinstance(doc, dict) or set(doc) != {"algorithm", "manifest_sha256", "signature"}:
            return None
        if doc["algorithm"] != ALGORITHM or not isinstance(doc["manifest_sha256"], str):
            return None
        if not _HEX64.fullmatch(doc["manifest_sha256"]) or _canonical(doc) != data:
            return None
        signature = base64.b64decode(doc["signature"], validate=True)
    except (ValueError, TypeError, binascii.Error):
        return None
    if len(signature) != 64 or base64.b64encode(signature).decode("ascii") != doc["signature"]:
        return None
    return signature, doc["manifest_sha256"]


def _verifies(key: Ed25519PublicKey, signature: bytes, body: bytes) -> bool:
    try:
        key.verify(signature, body)
    except InvalidSignature:
        return False
    return True


# --------------------------------------------------------------------------- helpers


def _canonical(doc: Any) -> bytes:
    return json.dumps(
        doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _pub_path(private_path: Path) -> Path:
    return private_path.with_name(private_path.name + ".pub")


def _require_folder(path: Path) -> None:
    if not path.is_dir():
        raise SignatureError(
            f"{path} is not a folder" if path.exists() else f"{path}: no such folder",
            path=path,
            hint="pass the output folder written by `thermaudit assess -o OUT`",
        )


def _read_key_file(path: Path) -> bytes:
    if not path.is_file():
        raise SignatureError(
            f"{path}: no such key file",
            path=path,
            hint="create one with `thermaudit keygen -o KEYFILE`",
        )
    return path.read_bytes()


def _pem_block(data: bytes, path: Path) -> bytes:
    """The PEM block of a key file, without the explanatory lines before it."""
    start = data.find(b"-----BEGIN ")
    if start < 0:
        raise SignatureError(
            f"{path} is not a PEM key file",
            path=path,
            hint="create one with `thermaudit keygen -o KEYFILE`",
        )
    return data[start:]


def _signer_from_header(data: bytes) -> str | None:
    head = data[: max(data.find(b"-----BEGIN "), 0)]
    for line in head.decode("utf-8", "replace").splitlines():
        if line.startswith("Signer: "):
            return line[len("Signer: ") :].strip() or None
    return None


def _check_signer(signer: str | None) -> str | None:
    if signer is None:
        return None
    text = unicodedata.normalize("NFC", signer.strip())
    if not text:
        return None
    bad = [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    if bad or len(text) > _SIGNER_MAX:
        raise SignatureError(
            f"the signer must be one line of at most {_SIGNER_MAX} printable characters, "
            f"found {len(text)} characters"
            + (f" with control characters {sorted({repr(c) for c in bad})}" if bad else ""),
            path="--signer",
            hint='e.g. --signer "王芳 / Wang Fang, Example Energy Audit Co."',
        )
    return text


def _create_exclusive(path: Path, data: bytes, mode: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        raise SignatureError(
            f"{path} already exists; a key is never overwritten", path=path
        ) from None
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)  # the umask may have removed bits; never added any
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


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
