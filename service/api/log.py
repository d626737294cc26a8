"""`/v1/log`: the tamper-evident log's checkpoints, consistency proofs and public key — open to
anyone, as they reveal only hashes — and `/v1/records/{id}/versions/{n}/proof`."""

from __future__ import annotations

import base64
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.log import (
    CheckpointSchema,
    ConsistencyArgsSchema,
    ConsistencySchema,
    InclusionProofSchema,
    PublicKeySchema,
    SignedCheckpointSchema,
)
from service.api.auth import actor, require
from service.api.context import services
from service.api.records import VERSION_NUMBER, visible_record
from service.auth.tokens import ADMIN, READ
from service.errors import NotFound, Unavailable
from service.integrity.archive import IntegrityLog
from service.integrity.note import Checkpoint
from service.integrity.proofs import b64

blp = Blueprint("log", __name__, url_prefix="/v1", description="The tamper-evident log.")
PUBLIC: list[dict[str, list[str]]] = []  # OpenAPI: no token needed


def integrity() -> IntegrityLog:
    found = services().integrity
    if found is None:
        raise Unavailable("The integrity log is switched off (OFFENTLIG_LOG_ENABLED).")
    return found


def as_checkpoint(checkpoint: Checkpoint, note: str) -> dict[str, Any]:
    return {
        "origin": checkpoint.origin,
        "tree_size": checkpoint.size,
        "root_hash": base64.b64encode(checkpoint.root).decode(),
        "time": checkpoint.time,
        "note": note,
    }


@blp.route("/log/checkpoint")
class LatestCheckpoint(MethodView):
    @blp.response(200, CheckpointSchema)
    @blp.doc(security=PUBLIC)
    def get(self) -> dict[str, Any]:
        """The latest signed checkpoint (no token needed)"""
        return as_checkpoint(*integrity().latest())


@blp.route("/log/checkpoints")
class Checkpoints(MethodView):
    @require(ADMIN)
    @blp.response(201, SignedCheckpointSchema)
    def post(self) -> dict[str, Any]:
        """Sequence everything stored and sign a checkpoint now"""
        signed = integrity().checkpoint()
        services().audit.record(
            "log.checkpoint",
            f"log/{signed.checkpoint.size}",
            actor=actor(),
            details={"tree_size": signed.checkpoint.size, "added": signed.added},
            decision=True,
        )
        # The audit entry just stored is in the next checkpoint; its leaf waits in storage
        # (log/pending), not in this process, so `verify` knows it is on its way.
        integrity().queue.flush()
        return {**as_checkpoint(signed.checkpoint, signed.note), "added": signed.added}


@blp.route("/log/consistency")
class Consistency(MethodView):
    @blp.arguments(ConsistencyArgsSchema, location="query")
    @blp.response(200, ConsistencySchema)
    @blp.doc(security=PUBLIC)
    def get(self, args: dict[str, int]) -> dict[str, Any]:
        """That the tree of `from` leaves is a prefix of the tree of `to` (no token needed)"""
        old, new = args["from_"], args["to"]
        return {"from_": old, "to": new, "proof": b64(integrity().consistency(old, new))}


@blp.route("/log/public-key")
class PublicKey(MethodView):
    @blp.response(200, PublicKeySchema)
    @blp.doc(security=PUBLIC)
    def get(self) -> dict[str, Any]:
        """The key that signs checkpoints, as a signed-note verifier key (no token needed)"""
        log = integrity()
        return {"public_key": log.public_key, "origin": log.sequencer.signer.name}


@blp.route(f"/records/<record_id>/versions/{VERSION_NUMBER}/proof")
class VersionProof(MethodView):
    @require(READ)
    @blp.response(200, InclusionProofSchema)
    def get(self, record_id: str, number: int) -> dict[str, Any]:
        """That this version's exact bytes are in the log, under a signed checkpoint"""
        visible_record(record_id)
        row = services().queries.version(record_id, number)
        if row is None:
            raise NotFound(f"No version {number} of {record_id!r}.")
        return integrity().proof(row.storage_key)
