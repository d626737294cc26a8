"""`offentlig log …`, `offentlig verify` and `offentlig verify-proof`: the tamper-evident log
at the command line."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from service.cli import _progress, console, emit, json_option, opened


@click.group("log")
def log_group() -> None:
    """The tamper-evident log of every stored object."""


def _integrity(svc: Any) -> Any:
    if svc.integrity is None:
        raise click.ClickException("the log is switched off (OFFENTLIG_LOG_ENABLED)")
    return svc.integrity


@log_group.command("checkpoint")
@json_option
def log_checkpoint(as_json: bool) -> None:
    """Sequence every pending leaf and sign a checkpoint now."""
    from service.auth.actor import operator

    with opened() as svc:
        signed = _integrity(svc).checkpoint()
        svc.audit.record(
            "log.checkpoint",
            f"log/{signed.checkpoint.size}",
            actor=operator(),
            details={"tree_size": signed.checkpoint.size, "added": signed.added},
            decision=True,
        )
    result = {
        "tree_size": signed.checkpoint.size,
        "added": signed.added,
        "key": signed.key,
        "note": signed.note,
    }
    emit(
        result,
        as_json,
        lambda r: console.print(f"Checkpoint {r['tree_size']} (+{r['added']}) signed: {r['key']}"),
    )


@log_group.command("sweep")
@click.option(
    "--grace-minutes", default=5, show_default=True, type=int, help="Leave younger objects alone."
)
@json_option
def log_sweep(grace_minutes: int, as_json: bool) -> None:
    """Log every stored object the log lacks (a process died with leaves queued)."""
    from service.integrity.sweep import sweep

    with opened() as svc, _progress(as_json) as progress:
        task = progress.add_task("Sweeping", total=None)
        found = sweep(
            _integrity(svc),
            svc.clock(),
            timedelta(minutes=grace_minutes),
            lambda n: progress.advance(task, n),
        )
        if found:
            _integrity(svc).checkpoint()
    emit(
        {"logged": found},
        as_json,
        lambda r: console.print(f"Logged {len(r['logged'])} objects the log lacked."),
    )


@log_group.command("public-key")
@json_option
def log_public_key(as_json: bool) -> None:
    """Print the key that verifies checkpoints (give it to whoever checks proofs)."""
    with opened() as svc:
        key = _integrity(svc).public_key
    emit({"public_key": key}, as_json, lambda r: click.echo(r["public_key"]))


@click.command("verify")
@click.option(
    "--since",
    "since_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A checkpoint file: check only what was added after it (and consistency with it).",
)
@click.option(
    "--key",
    "key_text",
    default=None,
    help="Check checkpoints against this verifier key (default: the service's own).",
)
@click.option("--threads", default=16, show_default=True, type=click.IntRange(1, 256))
@json_option
def verify(since_file: str | None, key_text: str | None, threads: int, as_json: bool) -> None:
    """Re-read and check every object, chain, checkpoint and index row; exit 1 on any fault."""
    from service.errors import IntegrityError
    from service.integrity.note import NoteError, open_checkpoint
    from service.integrity.verify import ArchiveVerifier

    with opened() as svc, _progress(as_json) as progress:
        integrity = _integrity(svc)
        verifier = _verifier(key_text) if key_text else integrity.sequencer.signer.verifier
        since = None
        if since_file:
            try:
                since = open_checkpoint(Path(since_file).read_bytes(), verifier)
            except NoteError as exc:
                raise click.ClickException(f"{since_file}: {exc}") from None
        try:
            total = integrity.sequencer.size() - (since.size if since else 0)
        except IntegrityError:
            total = 0  # the latest checkpoint is itself at fault: the report will say so
        task = progress.add_task("Verifying", total=max(total, 0))
        checker = ArchiveVerifier(
            svc.storage,
            svc.engine,
            verifier,
            threads=threads,
            advance=lambda n: progress.advance(task, n),
        )
        report = checker.run(since)
    result = {
        "tree_size": report.tree_size,
        "leaves": report.leaves,
        "objects": report.objects,
        "checkpoints": report.checkpoints,
        "discrepancies": [{"key": d.key, "problem": d.problem} for d in report.discrepancies],
    }

    def render(r: dict[str, Any]) -> None:
        console.print(
            f"Checked {r['objects']} objects, {r['leaves']} log entries, "
            f"{r['checkpoints']} checkpoints (tree size {r['tree_size']})."
        )
        for d in r["discrepancies"]:
            console.print(f"[red]FAULT[/] {d['key']}: {d['problem']}", highlight=False)
        if not r["discrepancies"]:
            console.print("[green]OK[/]: everything matches.")

    emit(result, as_json, render)
    if report.discrepancies:
        sys.exit(1)


@click.command("verify-proof")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--key",
    "key_text",
    required=True,
    help="The log's public key (<name>+<id>+<base64>, from the authority), or a file holding it.",
)
@json_option
def verify_proof(files: tuple[str, ...], key_text: str, as_json: bool) -> None:
    """Check downloaded record versions against their proofs, offline.

    Give each version file with its proof file (`….proof.json`, as the API returns it)."""
    from service.integrity.proofs import SCHEMA, BundleError, check_bundle

    verifier = _verifier(key_text)
    proofs: list[tuple[str, bytes, Any]] = []
    documents: list[tuple[str, bytes, Any]] = []
    for name in files:
        data = Path(name).read_bytes()
        try:
            parsed = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            parsed = None
        (
            proofs if isinstance(parsed, dict) and parsed.get("schema") == SCHEMA else documents
        ).append((name, data, parsed))
    if not proofs or not documents:
        raise click.ClickException("give a version file and its proof file")
    results, failed = [], False
    for doc_name, data, _ in documents:
        outcome: dict[str, Any] = {"file": doc_name, "ok": False}
        errors = []
        for proof_name, _, bundle in proofs:
            try:
                proven = check_bundle(data, bundle, verifier)
            except BundleError as exc:
                errors.append(f"{proof_name}: {exc}")
                continue
            c = proven.checkpoint
            outcome = {
                "file": doc_name,
                "ok": True,
                "proof": proof_name,
                "object_key": proven.key,
                "sha256": proven.sha256,
                "tree_size": c.size,
                "signed_by": c.origin,
                "checkpoint_time": c.time.isoformat() if c.time else None,
            }
            break
        else:
            outcome["errors"] = errors
            failed = True
        results.append(outcome)

    def render(rows: list[dict[str, Any]]) -> None:
        for r in rows:
            if r["ok"]:
                console.print(
                    f"[green]OK[/] {r['file']}: exactly {r['object_key']} as logged "
                    f"(sha256 {r['sha256']}), in the log of {r['signed_by']} at size "
                    f"{r['tree_size']}, signed {r['checkpoint_time']}.",
                    highlight=False,
                )
            else:
                console.print(
                    f"[red]NOT PROVEN[/] {r['file']}: " + "; ".join(r["errors"]), highlight=False
                )

    emit(results, as_json, render)
    if failed:
        sys.exit(1)


def _verifier(text: str) -> Any:
    from service.integrity.note import NoteError, Verifier

    path = Path(text)
    if "+" not in text and path.is_file():
        text = path.read_text()
    try:
        return Verifier.parse(text)
    except NoteError as exc:
        raise click.ClickException(f"--key: {exc}") from None
