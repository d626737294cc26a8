"""Signed notes and checkpoints byte for byte as the reference implementations make them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.integrity.note import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    open_checkpoint,
    open_note,
)

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "signed-note.json").read_text())


def test_signing_reproduces_the_go_reference_note() -> None:
    go = VECTORS["go"]
    signer = Signer.parse(go["signer"])
    assert str(signer) == go["signer"]
    assert str(signer.verifier) == go["verifier"]
    assert signer.sign(go["text"]) == go["note"]
    assert open_note(go["note"], Verifier.parse(go["verifier"])) == go["text"]


def test_the_c2sp_example_note_opens_with_its_key() -> None:
    c2sp = VECTORS["c2sp"]
    assert (
        open_note(c2sp["note"], Verifier.parse(c2sp["verifier"])) == "This is an example message.\n"
    )


def test_a_checkpoint_round_trips_and_carries_its_time() -> None:
    signer = Signer.generate("arkiv.example.se/log")
    moment = datetime(2026, 11, 28, 9, 0, 0, 123456, tzinfo=UTC)
    note = signer.sign(Checkpoint("arkiv.example.se/log", 42, b"\x07" * 32, moment).text())
    lines = note.split("\n")
    assert lines[:4] == [
        "arkiv.example.se/log",
        "42",
        "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
        "time 2026-11-28T09:00:00.123456Z",
    ]
    assert lines[5].startswith("\u2014 arkiv.example.se/log ")
    assert open_checkpoint(note, signer.verifier) == Checkpoint(
        "arkiv.example.se/log", 42, b"\x07" * 32, moment
    )


def test_changed_text_another_key_or_no_signature_is_refused() -> None:
    signer = Signer.generate("arkiv.example.se/log")
    note = signer.sign(Checkpoint("arkiv.example.se/log", 42, b"\x07" * 32).text())
    with pytest.raises(NoteError, match="does not verify"):
        open_checkpoint(note.replace("\n42\n", "\n43\n"), signer.verifier)
    impostor = Signer.generate("arkiv.example.se/log")
    with pytest.raises(NoteError, match="not signed by"):
        open_checkpoint(
            impostor.sign(Checkpoint("arkiv.example.se/log", 42, b"\x07" * 32).text()),
            signer.verifier,
        )
    with pytest.raises(NoteError):
        open_checkpoint("arkiv.example.se/log\n42\nBwc=\n", signer.verifier)


def test_malformed_keys_are_refused() -> None:
    for bad in ("", "name+00000000+AAAA", "PRIVATE+KEY+x+00000000+AAAA", "a b+1+2"):
        with pytest.raises(NoteError):
            Verifier.parse(bad)
        with pytest.raises(NoteError):
            Signer.parse(bad)
