"""Signed checkpoints: C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys and
the tlog-checkpoint body (https://c2sp.org/tlog-checkpoint), readable by existing tooling
(golang.org/x/mod/sumdb/note, transparency-dev, sigsum).

Keys are strings in the note format: the signer key `PRIVATE+KEY+<name>+<id>+<base64>` is a
secret (`OFFENTLIG_LOG_SIGNING_KEY`), the verifier key `<name>+<id>+<base64>` is public.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = b"\x01"
DASH = "\u2014"  # em dash: starts every signature line
TIME_PREFIX = "time "  # our one extension line: when the checkpoint was signed (RFC 3339, UTC)
_NAME = re.compile(r"^[^\s+]+$")


class NoteError(ValueError):
    """A note or key that is malformed, or a signature that does not verify."""


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public).digest()[:4]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    name: str
    public: bytes  # 32 bytes

    @classmethod
    def parse(cls, text: str) -> Verifier:
        parts = text.strip().split("+", 2)  # base64 may hold "+"
        if len(parts) != 3 or not _NAME.match(parts[0]):
            raise NoteError("a verifier key is <name>+<id>+<base64 key>")
        name, hex_id, encoded = parts
        raw = _b64(encoded, "verifier key")
        if len(raw) != 33 or raw[:1] != ED25519:
            raise NoteError("only Ed25519 verifier keys are supported")
        verifier = cls(name, raw[1:])
        if hex_id != verifier.id.hex():
            raise NoteError("the verifier key's id does not match its key")
        return verifier

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.public)

    def __str__(self) -> str:
        return f"{self.name}+{self.id.hex()}+{base64.b64encode(ED25519 + self.public).decode()}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    name: str
    seed: bytes  # 32 bytes

    @classmethod
    def generate(cls, name: str) -> Signer:
        if not _NAME.match(name):
            raise NoteError(f"a key name has no spaces or '+': {name!r}")
        seed = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return cls(name, seed)

    @classmethod
    def parse(cls, text: str) -> Signer:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not _NAME.match(parts[2]):
            raise NoteError("a signing key is PRIVATE+KEY+<name>+<id>+<base64 key>")
        raw = _b64(parts[4], "signing key")
        if len(raw) != 33 or raw[:1] != ED25519:
            raise NoteError("only Ed25519 signing keys are supported")
        signer = cls(parts[2], raw[1:])
        if parts[3] != signer.verifier.id.hex():
            raise NoteError("the signing key's id does not match its key")
        return signer

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, _raw_public(self._key().public_key()))

    def _key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    def __str__(self) -> str:
        encoded = base64.b64encode(ED25519 + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.id.hex()}+{encoded}"

    def sign(self, text: str) -> str:
        """`text` (ending in a newline) as a signed note."""
        if not text.endswith("\n"):
            raise NoteError("note text ends with a newline")
        signature = self._key().sign(text.encode())
        line = base64.b64encode(self.verifier.id + signature).decode()
        return f"{text}\n{DASH} {self.name} {line}\n"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    time: datetime | None = None

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        if self.time is not None:
            moment = self.time.astimezone(UTC).isoformat(timespec="microseconds")
            lines.append(TIME_PREFIX + moment.replace("+00:00", "Z"))
        return "\n".join(lines) + "\n"


def open_checkpoint(note: str | bytes, verifier: Verifier) -> Checkpoint:
    """The checkpoint in a signed note, once `verifier`'s signature on it checks out."""
    text = open_note(note, verifier)
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise NoteError("a checkpoint has an origin, a size and a root hash")
    origin, size_text, root_text = lines[:3]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise NoteError(f"bad tree size {size_text!r}")
    root = _b64(root_text, "root hash")
    if len(root) != 32:
        raise NoteError("the root hash is not 32 bytes")
    moment = None
    for extra in lines[3:]:
        if extra.startswith(TIME_PREFIX):
            try:
                moment = datetime.fromisoformat(extra[len(TIME_PREFIX) :])
            except ValueError:
                raise NoteError(f"bad time line {extra!r}") from None
    return Checkpoint(origin, int(size_text), root, moment)


def open_note(note: str | bytes, verifier: Verifier) -> str:
    """The note's text if `verifier` signed it; `NoteError` otherwise."""
    if isinstance(note, bytes):
        try:
            note = note.decode()
        except UnicodeDecodeError:
            raise NoteError("a note is UTF-8") from None
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("a note has no control characters but newlines")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("a note is text, a blank line, then signature lines")
    text, signatures = note[: cut + 1], note[cut + 2 :]
    found = False
    for line in signatures[:-1].split("\n"):
        match = re.fullmatch(rf"{DASH} (\S+) (\S+)", line)
        if not match:
            raise NoteError(f"malformed signature line {line!r}")
        name, encoded = match.groups()
        blob = _b64(encoded, "signature")
        if len(blob) < 5:
            raise NoteError("a signature is too short")
        if name != verifier.name or blob[:4] != verifier.id:
            continue  # someone else's signature (a witness, an older key): not ours to judge
        if not verifier.verify(text.encode(), blob[4:]):
            raise NoteError(f"the signature by {name} does not verify")
        found = True
    if not found:
        raise NoteError(f"not signed by {verifier.name}+{verifier.id.hex()}")
    return text


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"the {what} is not base64") from None


__all__ = ["Checkpoint", "NoteError", "Signer", "Verifier", "open_checkpoint"]
