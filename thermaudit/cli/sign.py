"""``thermaudit keygen``, ``thermaudit sign`` and ``thermaudit verify``: thin adapters over
:mod:`thermaudit.signing`.

Exit codes of ``verify``: 0 the folder is valid, 1 it is not (a verification failure is a
finding about the folder, not a mistake in the command), 2 the command could not run (no
such folder, unreadable key), as for every other command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from thermaudit.cli import app, console, styled
from thermaudit.signing import (
    MANIFEST,
    SIGNATURE,
    VerifyResult,
    generate_key,
    printable,
    sign_folder,
    verify_folder,
)

#: exit code of ``verify`` for a folder that fails verification
EXIT_INVALID = 1

SignerOption = Annotated[
    str | None,
    typer.Option("--signer", help='Assessor name and organisation, e.g. "名字 / Name, Body".'),
]


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@app.command()
def keygen(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Private key file (never overwritten).")
    ],
    signer: SignerOption = None,
) -> None:
    """Create an Ed25519 signing key: KEYFILE (private, mode 0600) and KEYFILE.pub."""
    info = generate_key(output, signer=signer)
    _say(f"wrote private key {info.private_path} (keep it secret, mode 0600)")
    _say(f"wrote public key  {info.public_path} (hand this out for `thermaudit verify --key`)")
    if info.signer:
        _say(f"signer: {info.signer}")
    _say(f"fingerprint: {info.fingerprint}")


@app.command()
def sign(
    out: Annotated[Path, typer.Argument(help="Output folder holding assessment.json.")],
    key: Annotated[Path, typer.Option("--key", "-k", help="Private key file from keygen.")],
    signer: SignerOption = None,
) -> None:
    """Sign every file in OUT: writes OUT/manifest.json and OUT/manifest.sig."""
    manifest = sign_folder(out, key, signer=signer)
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
    result = verify_folder(out, key, dataset=dataset)
    if as_json:
        _say(json.dumps(_as_dict(result), ensure_ascii=False, indent=2))
    else:
        _print(result, out, trusted=key is not None)
    if not result.valid:
        raise typer.Exit(EXIT_INVALID)


def _print(result: VerifyResult, out: Path, *, trusted: bool) -> None:
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


def _as_dict(result: VerifyResult) -> dict[str, object]:
    m = result.manifest
    return {
        "valid": result.valid,
        "signature_valid": result.signature_valid,
        "fingerprint": result.fingerprint,
        "trusted_fingerprint": result.trusted_fingerprint,
        "problems": [p.as_dict() for p in result.problems],
        "manifest": m.to_dict() if m is not None else None,
    }
