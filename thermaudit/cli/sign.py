"""``thermaudit keygen``, ``thermaudit sign`` and ``thermaudit verify``: thin adapters over
:mod:`thermaudit.signing`.

Exit codes of ``verify``: 0 the folder is valid, 1 it is not (a verification failure is a
finding about the folder, not a mistake in the command), 2 the command could not run (no
such folder, unreadable key), as for every other command. A self-signed certificate that is
not the trusted key is reported, and is not a failure.

The password of an encrypted key or PKCS#12 file is read from ``$THERMAUDIT_KEY_PASSWORD``,
else asked for on the terminal; without a terminal the command refuses.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from thermaudit.cli import app, console, styled
from thermaudit.report.signature_slots import ROLES
from thermaudit.signing_options import KEY_ALGORITHMS, PASSWORD_ENV

if TYPE_CHECKING:
    from thermaudit.signing import PdfSignature, VerifyResult

# thermaudit.signing (cryptography, the PDF signer) loads when a command runs

#: exit code of ``verify`` for a folder that fails verification
EXIT_INVALID = 1

SignerOption = Annotated[
    str | None,
    typer.Option("--signer", help='Signer name and organisation, e.g. "王芳 Wang Fang, Body".'),
]


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@app.command()
def keygen(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Private key file (never overwritten).")
    ],
    signer: SignerOption = None,
    algorithm: Annotated[
        str,
        typer.Option("--algorithm", help=f"Key algorithm: {', '.join(KEY_ALGORITHMS)}."),
    ] = KEY_ALGORITHMS[0],
) -> None:
    """Create a signing key and its self-signed certificate: KEYFILE (private, mode 0600),
    KEYFILE.crt and KEYFILE.pub."""
    from thermaudit.signing import generate_key

    info = generate_key(output, signer=signer, algorithm=algorithm)
    _say(f"wrote private key {info.private_path} (keep it secret, mode 0600)")
    _say(f"wrote certificate {info.certificate_path} (self-signed, {info.algorithm})")
    _say(f"wrote public key  {info.public_path} (hand this out for `thermaudit verify --key`)")
    if info.signer:
        _say(f"signer: {info.signer}")
    _say(f"fingerprint: {info.fingerprint}")
    _say(f"certificate SHA-256: {info.certificate_sha256}")


@app.command()
def sign(
    out: Annotated[Path, typer.Argument(help="Output folder holding assessment.json.")],
    key: Annotated[
        Path,
        typer.Option("--key", "-k", help="Private key file from keygen, PEM key or PKCS#12."),
    ],
    signer: SignerOption = None,
    role: Annotated[
        str, typer.Option("--role", help=f"Who signs the report: {', '.join(ROLES)}.")
    ] = ROLES[0],
    cert: Annotated[
        Path | None,
        typer.Option("--cert", help="The key's certificate (default: in KEY or KEY.crt)."),
    ] = None,
) -> None:
    """Sign OUT/report.pdf in place (the ROLE's field on the cover), then every file in
    OUT: writes OUT/manifest.json and OUT/manifest.sig."""
    from thermaudit.signing import (
        MANIFEST,
        SIGNATURE,
        PasswordNeeded,
        printable,
        sign_folder_and_report,
    )

    password = os.environ.get(PASSWORD_ENV) or None
    try:
        manifest, pdf_sig = sign_folder_and_report(
            out, key, signer, role=role, certificate=cert, password=password
        )
    except PasswordNeeded as exc:
        if password is not None or not sys.stdin.isatty():
            raise exc from None
        password = typer.prompt(f"password for {key}", hide_input=True)
        manifest, pdf_sig = sign_folder_and_report(
            out, key, signer, role=role, certificate=cert, password=password
        )
    if pdf_sig is not None:
        _say(
            f"signed {out / 'report.pdf'} as {pdf_sig.role}: {printable(pdf_sig.name)}"
            + (f", {printable(pdf_sig.organisation)}" if pdf_sig.organisation else "")
        )
        _say(f"  certificate {printable(pdf_sig.subject)}, SHA-256 {pdf_sig.certificate_sha256}")
    _say(f"signed {len(manifest.files)} files in {out}")
    for f in manifest.files:
        _say(f"  {f['sha256'][:16]}…  {f['size']:>10}  {printable(f['path'])}")
    _say(f"inputs: {len(manifest.inputs)}, specification {manifest.specification}")
    if manifest.signer:
        _say(f"signer: {printable(manifest.signer)}")
    _say(f"fingerprint: {manifest.fingerprint}")
    _say(f"wrote {out / MANIFEST} and {out / SIGNATURE}")


@app.command()
def verify(
    out: Annotated[Path, typer.Argument(help="Signed output folder.")],
    key: Annotated[
        Path | None,
        typer.Option("--key", "-k", help="Trusted public key (KEYFILE.pub) of the assessor."),
    ] = None,
    dataset: Annotated[
        Path | None,
        typer.Option("--dataset", help="Also check the dataset's files against the manifest."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check the signature and every file of OUT; print `valid` or exactly what changed.

    Exit code 0 valid, 1 invalid, 2 when verification cannot run.
    """
    from thermaudit.signing import verify_folder

    result = verify_folder(out, key, dataset=dataset)
    if as_json:
        _say(json.dumps(_as_dict(result), ensure_ascii=False, indent=2))
    else:
        _print(result, out, trusted=key is not None)
    if not result.valid:
        raise typer.Exit(EXIT_INVALID)


def _print_pdf(result: VerifyResult) -> None:
    sigs = result.pdf_signatures
    if not sigs:
        _say("report.pdf carries no signature inside")
        return
    for ps in sigs:
        _say(_describe(ps))


def _describe(ps: PdfSignature) -> str:
    from thermaudit.signing import printable

    state = "valid" if ps.ok else f"INVALID: {ps.problem}"
    who = printable(ps.name or "(signer unreadable)") + (
        f", {printable(ps.organisation)}" if ps.organisation else ""
    )
    if ps.trusted is True:
        trust = "the trusted key"
    elif ps.trusted is False:
        trust = "not the trusted key" + (" (self-signed certificate)" if ps.self_signed else "")
    elif ps.self_signed:
        trust = "self-signed certificate, not trusted by itself: compare its SHA-256"
    else:
        trust = "certificate not checked against a trusted key"
    return (
        f"report.pdf signed by the {ps.role or ps.field}: {who} at {ps.signed_at or '?'} — "
        f"{state}"
        + (
            f"; certificate {printable(ps.subject)}, SHA-256 {ps.certificate_sha256}; {trust}"
            if ps.subject
            else ""
        )
    )


def _print(result: VerifyResult, out: Path, *, trusted: bool) -> None:
    from thermaudit.signing import printable

    m = result.manifest
    if result.valid and m is not None:
        console.print(
            styled(
                "[bold green]valid[/]: {n} files in {out} match the signed manifest",
                n=len(m.files),
                out=out,
            ),
            soft_wrap=True,
        )
        _say(f"signed at {printable(m.signed_at)} by {printable(m.signer or '(no signer given)')}")
        _say(
            printable(
                f"specification {m.specification}, {m.software.get('name')} "
                f"{m.software.get('version')}, {len(m.inputs)} inputs"
            )
        )
        if trusted:
            _say(f"signed with the trusted key, fingerprint {result.fingerprint}")
        else:
            _say(
                "signature valid for the key embedded in the manifest, "
                f"fingerprint {result.fingerprint}"
            )
            _say(
                "compare this fingerprint with the one the assessor published, or pass "
                "--key KEYFILE.pub: anyone can sign a folder with a key of their own"
            )
        _print_pdf(result)
        return
    n = len(result.problems)
    console.print(
        styled(
            "[bold red]INVALID[/]: {n} problem{s} in {out}", n=n, s="s" if n != 1 else "", out=out
        ),
        soft_wrap=True,
    )
    for p in result.problems:
        _say(f"  {p}")
    if not result.signature_valid:
        _say(
            "the manifest is not authentic, so the file comparisons above are against "
            "an unverified manifest"
        )
    if result.fingerprint:
        _say(f"key embedded in the manifest: fingerprint {result.fingerprint}")
    for ps in result.pdf_signatures:
        _say(_describe(ps))


def _as_dict(result: VerifyResult) -> dict[str, object]:
    m = result.manifest
    return {
        "valid": result.valid,
        "signature_valid": result.signature_valid,
        "fingerprint": result.fingerprint,
        "trusted_fingerprint": result.trusted_fingerprint,
        "problems": [p.as_dict() for p in result.problems],
        "pdf_signatures": [ps.as_dict() for ps in result.pdf_signatures],
        "manifest": m.to_dict() if m is not None else None,
    }
