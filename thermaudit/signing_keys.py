"""Signing keys and certificates: what ``thermaudit keygen`` writes and what ``sign`` reads.

Files written by :func:`generate_key` for ``KEYFILE``
-----------------------------------------------------
``KEYFILE`` (private key)
    PKCS#8 PEM, unencrypted, mode 0600, never overwritten, preceded by one RFC 7468
    explanatory line ``Signer: …``.
``KEYFILE.crt`` (certificate)
    A self-signed X.509 certificate for the key, subject ``CN=name, O=organisation`` from
    ``--signer "Name, Organisation"``, valid three years, key usage *digital signature* and
    *non-repudiation*. This is what signs inside the PDF; a certificate from a certification
    authority can be used instead (``sign --cert``, or a PKCS#12 file as ``--key``).
``KEYFILE.pub`` (public key, handed out for ``verify --key``)
    ``Signer:`` and ``Fingerprint:`` lines, the SubjectPublicKeyInfo PEM and the certificate.

Algorithms
----------
ECDSA P-256 (default) or RSA 3072, SHA-256: both verify in Adobe Acrobat and in poppler's
``pdfsig`` (Debian 12's NSS does not verify Ed25519 CMS signatures). Keys made by earlier
versions of ``keygen`` are Ed25519 without a certificate: they still verify the manifests
they signed, and can no longer sign (make a new key).

Fingerprints
------------
Hex SHA-256 of the 32 raw bytes for Ed25519 (as before), of the DER SubjectPublicKeyInfo
for ECDSA and RSA.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from thermaudit.errors import ThermauditError
from thermaudit.signing_options import KEY_ALGORITHMS, PASSWORD_ENV

__all__ = [
    "KEY_ALGORITHMS",
    "PASSWORD_ENV",
    "KeyInfo",
    "PasswordNeeded",
    "SignatureError",
    "SigningKey",
    "algorithm_of",
    "fingerprint",
    "generate_key",
    "load_public_key",
    "load_signing_key",
    "public_from",
    "sign_bytes",
    "verifies",
]

#: manifest ``public_key.algorithm`` values, with the signature each means
MANIFEST_ALGORITHMS: Final = {
    "Ed25519": "Ed25519 (RFC 8032) over the manifest bytes",
    "ECDSA-P256": "ECDSA on P-256 with SHA-256, DER signature",
    "ECDSA-P384": "ECDSA on P-384 with SHA-256, DER signature",
    "RSA": "RSASSA-PKCS1-v1_5 with SHA-256",
}
_CURVES: Final = {"secp256r1": "ECDSA-P256", "secp384r1": "ECDSA-P384"}
_CERT_YEARS: Final = 3
_SIGNER_MAX: Final = 200

PublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
PrivateKey = Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class SignatureError(ThermauditError, ValueError):
    """Signing or verification could not start: a missing folder or key, a key file that
    would be overwritten, a folder without an assessment.

    A folder that fails verification is *not* an error: ``verify_folder`` returns a
    result with ``valid=False``.

    Attributes
    ----------
    path : str
        The file or folder concerned.
    """

    def __init__(self, message: str, *, path: Path | str, hint: str = "") -> None:
        self.path = str(path)
        super().__init__(message, hint=hint)


class PasswordNeeded(SignatureError):
    """The key file is encrypted and no password was given (the CLI then asks for one)."""


@dataclass(frozen=True)
class KeyInfo:
    """What :func:`generate_key` wrote."""

    private_path: Path
    public_path: Path
    certificate_path: Path
    fingerprint: str
    signer: str | None
    algorithm: str
    certificate_sha256: str


@dataclass(frozen=True)
class SigningKey:
    """A private key with its certificate (None for an old Ed25519 key) and chain."""

    path: Path
    private_key: PrivateKey
    certificate: x509.Certificate | None
    chain: list[x509.Certificate] = field(default_factory=list)
    signer: str | None = None

    @property
    def public_key(self) -> PublicKey:
        return self.private_key.public_key()


# --------------------------------------------------------------------------- algorithms


def algorithm_of(key: PublicKey | object) -> str:
    """The manifest algorithm name of a public key.

    Raises
    ------
    ValueError
        For a key type or size the manifest does not support (named in the message).
    """
    if isinstance(key, Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _CURVES:
        return _CURVES[key.curve.name]
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
        return "RSA"
    what = getattr(getattr(key, "curve", None), "name", None) or getattr(key, "key_size", "")
    raise ValueError(
        f"a {type(key).__name__.lstrip('_')} {what} key; supported are Ed25519, ECDSA P-256 "
        "or P-384 and RSA of 2048 bits or more"
    )


def key_bytes(key: PublicKey) -> bytes:
    """The bytes a manifest records: raw for Ed25519, DER SubjectPublicKeyInfo otherwise."""
    if isinstance(key, Ed25519PublicKey):
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_from(algorithm: str, data: bytes) -> PublicKey:
    """The public key a manifest records (inverse of :func:`key_bytes`).

    Raises
    ------
    ValueError
        When the bytes are not a key of that algorithm.
    """
    if algorithm == "Ed25519":
        return Ed25519PublicKey.from_public_bytes(data)
    try:
        key = serialization.load_der_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"not a DER public key ({exc})") from None
    if algorithm_of(key) != algorithm:
        raise ValueError(f"a {algorithm_of(key)} key where {algorithm} is declared")
    return key  # type: ignore[return-value]


def fingerprint(key: PublicKey) -> str:
    """Hex SHA-256 of :func:`key_bytes`."""
    return hashlib.sha256(key_bytes(key)).hexdigest()


def sign_bytes(key: PrivateKey, body: bytes) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        return key.sign(body)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(body, ec.ECDSA(hashes.SHA256()))
    return key.sign(body, padding.PKCS1v15(), hashes.SHA256())


def verifies(key: PublicKey, signature: bytes, body: bytes) -> bool:
    try:
        if isinstance(key, Ed25519PublicKey):
            key.verify(signature, body)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
        else:
            key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


# --------------------------------------------------------------------------- keygen


def generate_key(
    path: Path | str, *, signer: str | None = None, algorithm: str = "ecdsa-p256"
) -> KeyInfo:
    """Create a key, its self-signed certificate and its public file.

    Writes ``path`` (private, mode 0600), ``path.crt`` and ``path.pub`` (see the module
    docstring).

    Parameters
    ----------
    path : Path
        Private key file. Neither it nor ``path.pub`` nor ``path.crt`` may exist: a key is
        never overwritten. Missing parent folders are created.
    signer : str
        ``"Name, Organisation"``: the certificate's subject (CN before the first comma, O
        after it), shown in the PDF's signature fields and recorded in the manifest.
    algorithm : str
        One of :data:`KEY_ALGORITHMS`.

    Raises
    ------
    SignatureError
        When a file exists, the signer is missing or unusable, or the algorithm unknown.
    """
    private_path = Path(path)
    public_path = _beside(private_path, ".pub")
    cert_path = _beside(private_path, ".crt")
    if algorithm not in KEY_ALGORITHMS:
        raise SignatureError(
            f"unknown key algorithm {algorithm!r}; choose one of {', '.join(KEY_ALGORITHMS)}",
            path="--algorithm",
        )
    for p in (private_path, public_path, cert_path):
        if p.exists() or p.is_symlink():
            raise SignatureError(
                f"{p} already exists; a key is never overwritten",
                path=p,
                hint="choose another file name, or delete the old key deliberately first",
            )
    signer = check_signer(signer)
    if signer is None:
        raise SignatureError(
            'a signing certificate names its holder: give --signer "Name, Organisation"',
            path="--signer",
            hint='e.g. --signer "王芳 Wang Fang, Example Energy Audit Co."',
        )
    private_path.parent.mkdir(parents=True, exist_ok=True)
    key: PrivateKey = (
        ec.generate_private_key(ec.SECP256R1())
        if algorithm == "ecdsa-p256"
        else rsa.generate_private_key(public_exponent=65537, key_size=3072)
    )
    cert = self_signed_certificate(key, signer)
    header = f"Signer: {signer}\n".encode()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    fp = fingerprint(key.public_key())
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    written: list[Path] = []
    try:
        _create_exclusive(private_path, header + private_pem, 0o600)
        written.append(private_path)
        _create_exclusive(cert_path, cert_pem, 0o644)
        written.append(cert_path)
        _create_exclusive(
            public_path, header + f"Fingerprint: {fp}\n".encode() + public_pem + cert_pem, 0o644
        )
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        raise
    return KeyInfo(
        private_path,
        public_path,
        cert_path,
        fp,
        signer,
        algorithm_of(key.public_key()),
        hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest(),
    )


def self_signed_certificate(
    key: PrivateKey, signer: str, *, now: dt.datetime | None = None
) -> x509.Certificate:
    """A certificate for ``key`` whose subject and issuer are ``signer`` ("Name, Body")."""
    name, _, org = signer.partition(",")
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, name.strip())]
    if org.strip():
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org.strip()))
    subject = x509.Name(attrs)
    now = now or dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * _CERT_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


# --------------------------------------------------------------------------- reading keys


def load_public_key(path: Path | str) -> PublicKey:
    """Read a trusted public key: ``KEYFILE.pub``, a certificate, or a private key file.

    Raises
    ------
    SignatureError
        When the file is missing or holds no usable key (the file is named).
    """
    path = Path(path)
    data = _read_key_file(path)
    blocks = _pem_blocks(data)
    if not blocks:
        raise SignatureError(
            f"{path} is not a PEM key file",
            path=path,
            hint="pass the KEYFILE.pub written by `thermaudit keygen`",
        )
    key: object = None
    for label, block in blocks:
        try:
            if label == "PUBLIC KEY":
                key = serialization.load_pem_public_key(block)
            elif label == "CERTIFICATE":
                key = x509.load_pem_x509_certificate(block).public_key()
            elif label.endswith("PRIVATE KEY") and "ENCRYPTED" not in label:
                key = serialization.load_pem_private_key(block, password=None).public_key()
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
        if key is not None:
            break
    if key is None:
        raise SignatureError(
            f"{path} holds no readable public key",
            path=path,
            hint="pass the KEYFILE.pub written by `thermaudit keygen`",
        )
    try:
        algorithm_of(key)
    except ValueError as exc:
        raise SignatureError(f"{path} holds {exc}", path=path) from None
    return key  # type: ignore[return-value]


def load_signing_key(
    path: Path | str,
    *,
    certificate: Path | str | None = None,
    password: str | bytes | None = None,
) -> SigningKey:
    """Read a private key and its certificate for signing.

    ``path`` is a PEM private key (``KEYFILE`` from keygen, or any PKCS#8 / traditional
    PEM key, encrypted or not) or a PKCS#12 file (``.p12``/``.pfx``: key, certificate and
    chain). For a PEM key the certificate is ``certificate``, else a ``CERTIFICATE`` block
    in the key file, else ``KEYFILE.crt`` beside it; an old Ed25519 key has none.

    Raises
    ------
    PasswordNeeded
        When the file is encrypted and ``password`` is None.
    SignatureError
        For a missing or unreadable file, a wrong password, a public key, a private key
        readable by others, or a certificate that is not the key's (the file is named).
    """
    path = Path(path)
    data = _read_key_file(path)
    pw = password.encode("utf-8") if isinstance(password, str) else password
    blocks = _pem_blocks(data)
    if not blocks:
        return _load_pkcs12(path, data, pw)
    private = [(label, b) for label, b in blocks if label.endswith("PRIVATE KEY")]
    if not private:
        if any(label == "PUBLIC KEY" for label, _ in blocks):
            raise SignatureError(
                f"{path} is a public key; signing needs the private key",
                path=path,
                hint="pass KEYFILE, not KEYFILE.pub",
            )
        raise SignatureError(
            f"{path} holds no private key (found {', '.join(lbl for lbl, _ in blocks)})",
            path=path,
            hint="pass the private key file written by `thermaudit keygen`, or a PKCS#12 file",
        )
    label, block = private[0]
    encrypted = "ENCRYPTED" in label or b"Proc-Type: 4,ENCRYPTED" in block
    if not encrypted:
        _require_private_mode(path)
    elif pw is None:
        raise PasswordNeeded(
            f"{path} is encrypted: a password is needed",
            path=path,
            hint=f"type it when asked, or set {PASSWORD_ENV}",
        )
    try:
        key = serialization.load_pem_private_key(block, password=pw if encrypted else None)
    except TypeError:
        raise SignatureError(f"{path} is not encrypted; give no password", path=path) from None
    except (ValueError, UnsupportedAlgorithm):
        if encrypted:
            raise SignatureError(
                f"wrong password for {path}: the key could not be decrypted",
                path=path,
                hint=f"type the password again, or check {PASSWORD_ENV}",
            ) from None
        raise SignatureError(
            f"{path} holds no readable private key",
            path=path,
            hint="create one with `thermaudit keygen -o KEYFILE`",
        ) from None
    _check_private(key, path)
    cert, chain = _certificate_for(path, blocks, certificate)
    signing = SigningKey(path, key, cert, chain, check_signer(_signer_from_header(data)))  # type: ignore[arg-type]
    _check_pair(signing)
    return signing


def _load_pkcs12(path: Path, data: bytes, pw: bytes | None) -> SigningKey:
    from asn1crypto import pkcs12 as asn1_pkcs12

    try:
        asn1_pkcs12.Pfx.load(data).native  # noqa: B018  (parses the whole structure)
    except Exception:
        raise SignatureError(
            f"{path} is neither a PEM key file nor a PKCS#12 file",
            path=path,
            hint="pass the private key written by `thermaudit keygen`, or a .p12/.pfx file",
        ) from None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, pw)
    except ValueError:
        if pw is None:
            raise PasswordNeeded(
                f"{path} is a PKCS#12 file protected by a password",
                path=path,
                hint=f"type it when asked, or set {PASSWORD_ENV}",
            ) from None
        raise SignatureError(
            f"wrong password for {path}: the PKCS#12 file could not be opened",
            path=path,
            hint=f"type the password again, or check {PASSWORD_ENV}",
        ) from None
    if key is None or cert is None:
        raise SignatureError(
            f"{path} holds {'no private key' if key is None else 'no certificate'}; "
            "signing needs both",
            path=path,
        )
    _check_private(key, path)
    signing = SigningKey(path, key, cert, list(extra), _subject_text(cert))  # type: ignore[arg-type]
    _check_pair(signing)
    return signing


def _certificate_for(
    path: Path, blocks: list[tuple[str, bytes]], certificate: Path | str | None
) -> tuple[x509.Certificate | None, list[x509.Certificate]]:
    if certificate is not None:
        source = Path(certificate)
        cert_blocks = [b for lbl, b in _pem_blocks(_read_key_file(source)) if lbl == "CERTIFICATE"]
        if not cert_blocks:
            raise SignatureError(f"{source} holds no PEM certificate", path=source)
    else:
        source = path
        cert_blocks = [b for lbl, b in blocks if lbl == "CERTIFICATE"]
        beside = _beside(path, ".crt")
        if not cert_blocks and beside.is_file():
            source = beside
            cert_blocks = [b for lbl, b in _pem_blocks(beside.read_bytes()) if lbl == "CERTIFICATE"]
    try:
        certs = [x509.load_pem_x509_certificate(b) for b in cert_blocks]
    except ValueError as exc:
        raise SignatureError(
            f"{source} holds an unreadable certificate ({exc})", path=source
        ) from None
    return (certs[0], certs[1:]) if certs else (None, [])


def _check_private(key: object, path: Path) -> None:
    try:
        algorithm_of(key.public_key())  # type: ignore[attr-defined]
    except (ValueError, AttributeError) as exc:
        raise SignatureError(
            f"{path} holds {exc}",
            path=path,
            hint="create one with `thermaudit keygen -o KEYFILE`",
        ) from None


def _check_pair(signing: SigningKey) -> None:
    cert = signing.certificate
    if cert is not None and key_bytes(cert.public_key()) != key_bytes(signing.public_key):  # type: ignore[arg-type]
        raise SignatureError(
            f"the certificate {_subject_text(cert)} is not the certificate of the key "
            f"{signing.path}",
            path=signing.path,
            hint="pass the certificate issued for this key with --cert",
        )


def _subject_text(cert: x509.Certificate) -> str:
    """``"Name, Organisation"`` from a certificate's subject."""

    def first(oid: x509.ObjectIdentifier) -> str:
        values = cert.subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    cn, org = first(NameOID.COMMON_NAME), first(NameOID.ORGANIZATION_NAME)
    return (f"{cn}, {org}" if org else cn) or cert.subject.rfc4514_string()


def signer_of(signing: SigningKey) -> str | None:
    """The signer recorded in a manifest: the key file's, else the certificate's subject."""
    if signing.signer:
        return signing.signer
    return _subject_text(signing.certificate) if signing.certificate is not None else None


# --------------------------------------------------------------------------- helpers


def check_signer(signer: str | None) -> str | None:
    import unicodedata

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
            hint='e.g. --signer "王芳 Wang Fang, Example Energy Audit Co."',
        )
    return text


def _beside(private_path: Path, suffix: str) -> Path:
    return private_path.with_name(private_path.name + suffix)


def _read_key_file(path: Path) -> bytes:
    if not path.is_file():
        raise SignatureError(
            f"{path}: no such key file",
            path=path,
            hint="create one with `thermaudit keygen -o KEYFILE`",
        )
    return path.read_bytes()


def _pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """``(label, block)`` of every PEM block, in order (RFC 7468)."""
    out = []
    pos = 0
    while (start := data.find(b"-----BEGIN ", pos)) >= 0:
        head_end = data.find(b"-----", start + 11)
        if head_end < 0:
            break
        label = data[start + 11 : head_end].decode("ascii", "replace")
        end_marker = f"-----END {label}-----".encode()
        end = data.find(end_marker, head_end)
        if end < 0:
            break
        out.append((label, data[start : end + len(end_marker)] + b"\n"))
        pos = end + len(end_marker)
    return out


def _signer_from_header(data: bytes) -> str | None:
    head = data[: max(data.find(b"-----BEGIN "), 0)]
    for line in head.decode("utf-8", "replace").splitlines():
        if line.startswith("Signer: "):
            return line[len("Signer: ") :].strip() or None
    return None


def _require_private_mode(path: Path) -> None:
    if os.name != "posix":
        return
    mode = path.stat().st_mode
    if mode & 0o077:
        raise SignatureError(
            f"{path} is readable by other users (mode {stat.S_IMODE(mode):04o}); "
            "refusing to use a private key that is not private",
            path=path,
            hint=f"chmod 600 {path}",
        )


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
