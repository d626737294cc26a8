"""Proof bundles: one record version's place in the log, checkable offline.

A bundle is JSON (`offentlig.inclusion-proof/1`): the object's key and the SHA-256 of its
exact stored bytes, its leaf index, the inclusion proof (base64 hashes, bottom-up, as in
RFC 9162 §2.1.3) and the signed checkpoint it leads to. `check_bundle` needs nothing but this
package and the log's public key: it is what `offentlig verify-proof` runs.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from service.integrity import merkle
from service.integrity.leaves import entry
from service.integrity.note import Checkpoint, NoteError, Verifier, open_checkpoint
from service.records.canonical import verify as verify_seal

SCHEMA = "offentlig.inclusion-proof/1"


def b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


def unb64(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v, validate=True) for v in values]


def make_bundle(
    key: str, sha256_hex: str, index: int, proof: list[bytes], note: str, checkpoint: Checkpoint
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "object_key": key,
        "sha256": sha256_hex,
        "leaf_index": index,
        "tree_size": checkpoint.size,
        "inclusion_proof": b64(proof),
        "checkpoint": note,
    }


class BundleError(ValueError):
    """The object, the proof or the checkpoint is not what the bundle says."""


@dataclass(frozen=True)
class Proven:
    key: str
    sha256: str
    checkpoint: Checkpoint


def check_bundle(data: bytes, bundle: dict[str, Any], verifier: Verifier) -> Proven:
    """That `data` is exactly the object logged at the bundle's leaf, in a tree whose root the
    log's key signed; and, for a record version, that it is the version the key names and
    that its own seal holds."""
    if bundle.get("schema") != SCHEMA:
        raise BundleError(f"not an Offentlig proof (schema {SCHEMA})")
    key, claimed = str(bundle["object_key"]), str(bundle["sha256"])
    actual = hashlib.sha256(data).hexdigest()
    if actual != claimed:
        raise BundleError(
            f"the file's SHA-256 is {actual}, the proof is for {claimed}: not the logged bytes"
        )
    try:
        checkpoint = open_checkpoint(str(bundle["checkpoint"]), verifier)
    except NoteError as exc:
        raise BundleError(f"the checkpoint: {exc}") from None
    if checkpoint.size != bundle["tree_size"]:
        raise BundleError("the proof is for another tree size than its checkpoint")
    try:
        proof = unb64(list(bundle["inclusion_proof"]))
        merkle.verify_inclusion(
            int(bundle["leaf_index"]),
            checkpoint.size,
            merkle.leaf_hash(entry(actual, key)),
            proof,
            checkpoint.root,
        )
    except (merkle.ProofError, ValueError) as exc:
        raise BundleError(f"the inclusion proof: {exc}") from None
    _check_document(data, key)
    return Proven(key, actual, checkpoint)


def _check_document(data: bytes, key: str) -> None:
    """A record version must be sealed and be the version its key names."""
    if "/versions/" not in key:
        return
    try:
        document = verify_seal(data)
    except (ValueError, json.JSONDecodeError):
        raise BundleError("the version's own sha256 does not match its content") from None
    parts = key.split("/")  # sites/{site}/{folder}/{n}/versions/{version}.json
    expected = (parts[1], parts[3], int(parts[5].removesuffix(".json")))
    found = (
        str(document.get("site", {}).get("id")),
        str(document.get("source_id")),
        int(document.get("version", 0)),
    )
    if found != expected:
        raise BundleError(f"the document is {found}, but the log has it as {key}")
