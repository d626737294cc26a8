"""The tamper-evident log as the API shows it: checkpoints, proofs, the public key."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class CheckpointSchema(Schema):
    origin = fields.String(dump_only=True, metadata={"description": "The log's name."})
    tree_size = fields.Integer(dump_only=True)
    root_hash = fields.String(dump_only=True, metadata={"description": "Base64, as in the note."})
    time = fields.DateTime(dump_only=True, allow_none=True)
    note = fields.String(
        dump_only=True,
        metadata={"description": "The signed checkpoint (C2SP signed-note, tlog-checkpoint)."},
    )


class SignedCheckpointSchema(CheckpointSchema):
    added = fields.Integer(dump_only=True, metadata={"description": "Leaves since the last one."})


class ConsistencyArgsSchema(Schema):
    from_ = fields.Integer(
        data_key="from",
        required=True,
        validate=validate.Range(min=0, max=2**53),
        metadata={"description": "The older tree size."},
    )
    to = fields.Integer(
        required=True,
        validate=validate.Range(min=0, max=2**53),
        metadata={"description": "The newer tree size (at most the latest checkpoint's)."},
    )


class ConsistencySchema(Schema):
    from_ = fields.Integer(data_key="from", dump_only=True)
    to = fields.Integer(dump_only=True)
    proof = fields.List(
        fields.String(),
        dump_only=True,
        metadata={"description": "RFC 9162 §2.1.4 consistency proof, base64 hashes."},
    )


class InclusionProofSchema(Schema):
    schema = fields.String(dump_only=True)
    object_key = fields.String(dump_only=True)
    sha256 = fields.String(
        dump_only=True, metadata={"description": "SHA-256 (hex) of the version's exact bytes."}
    )
    leaf_index = fields.Integer(dump_only=True)
    tree_size = fields.Integer(dump_only=True)
    inclusion_proof = fields.List(
        fields.String(),
        dump_only=True,
        metadata={"description": "RFC 9162 §2.1.3 audit path, bottom-up, base64 hashes."},
    )
    checkpoint = fields.String(dump_only=True, metadata={"description": "The signed note."})


class PublicKeySchema(Schema):
    public_key = fields.String(
        dump_only=True, metadata={"description": "The note verifier key: <name>+<id>+<base64>."}
    )
    origin = fields.String(dump_only=True)
