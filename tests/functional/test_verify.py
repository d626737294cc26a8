"""`offentlig verify` catches every kind of tampering and names the object; `verify-proof`
checks a downloaded version offline and refuses a changed one (DOMAIN rule 10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import update

from service.index import tables as t
from service.integrity.note import Checkpoint, Signer
from tests.factories import comment_data, post_data


@pytest.fixture
def archive(app, client, site, token):  # type: ignore[no-untyped-def]
    """A few records with several versions and events, all in a signed checkpoint."""
    send = site.sender.send
    assert send("post.published", post_data(1, title="Budget")).status_code < 300
    assert send("post.updated", post_data(1, title="Budget, rättad")).status_code < 300
    assert send("post.updated", post_data(1, title="Budget, rättad igen")).status_code < 300
    assert send("post.published", post_data(2, title="Vinter")).status_code < 300
    assert send("comment.received", comment_data(10, post_id=1)).status_code < 300
    answer = client.post("/v1/log/checkpoints", headers=token("admin"))
    assert answer.status_code == 201
    svc = app.extensions["offentlig"]
    svc.integrity.checkpoint()  # the request's own audit entry is in the next one
    return svc


def version_key(svc, site_id: str, post: int, number: int) -> str:  # type: ignore[no-untyped-def]
    return f"sites/{site_id}/posts/{post}/versions/{number:010d}.json"


def faults(cli) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    result = cli("verify", "--json")
    found = json.loads(result.output)["discrepancies"]
    assert (result.exit_code != 0) == bool(found)
    return found  # type: ignore[no-any-return]


def named(found: list[dict[str, str]], key: str) -> list[str]:
    return [d["problem"] for d in found if d["key"] == key]


def test_an_untouched_archive_verifies(archive, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("verify", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["discrepancies"] == []
    assert report["objects"] >= 6 and report["leaves"] >= report["objects"]


def test_a_flipped_byte_in_a_version_is_named(archive, cli, site) -> None:  # type: ignore[no-untyped-def]
    key = version_key(archive, site.id, 1, 2)
    data = bytearray(archive.storage.inner.get(key))
    data[data.index(b"Budget")] ^= 0x20
    archive.storage.inner.put(key, bytes(data))
    problems = named(faults(cli), key)
    assert any("the log has" in p for p in problems)
    assert any("own sha256" in p for p in problems)


def test_a_deleted_version_is_named(archive, cli, site) -> None:  # type: ignore[no-untyped-def]
    key = version_key(archive, site.id, 1, 2)
    archive.storage.inner.delete(key)
    found = faults(cli)
    assert "in the log but missing from storage" in named(found, key)
    assert any("gap" in p for p in named(found, version_key(archive, site.id, 1, 3)))


def test_swapped_versions_are_named(archive, cli, site) -> None:  # type: ignore[no-untyped-def]
    first, second = version_key(archive, site.id, 1, 1), version_key(archive, site.id, 1, 2)
    a, b = archive.storage.inner.get(first), archive.storage.inner.get(second)
    archive.storage.inner.put(first, b)
    archive.storage.inner.put(second, a)
    found = faults(cli)
    assert any("stored as 1" in p for p in named(found, first))
    assert any("the log has" in p for p in named(found, second))


def test_an_edited_index_row_is_named(archive, cli, site) -> None:  # type: ignore[no-untyped-def]
    key = version_key(archive, site.id, 2, 1)
    with archive.engine.begin() as conn:
        conn.execute(
            update(t.record_versions)
            .where(t.record_versions.c.storage_key == key)
            .values(sha256="0" * 64)
        )
    assert any("record_versions has sha256" in p for p in named(faults(cli), key))


def test_a_replaced_checkpoint_is_named(archive, cli) -> None:  # type: ignore[no-untyped-def]
    kept = [k for k in archive.storage.list("log/checkpoints/")]
    note = archive.storage.get(kept[-1]).decode()
    lines = note.split("\n")
    lines[1] = str(int(lines[1]) + 1)
    archive.storage.inner.put(kept[-1], "\n".join(lines).encode())
    assert any("signature" in p for p in named(faults(cli), kept[-1]))


def test_a_checkpoint_signed_with_another_key_is_named(archive, cli) -> None:  # type: ignore[no-untyped-def]
    kept = list(archive.storage.list("log/checkpoints/"))
    origin = archive.integrity.sequencer.signer.name
    size, root = archive.integrity.latest()[0].size, archive.integrity.latest()[0].root
    forged = Signer.generate(origin).sign(Checkpoint(origin, size, root).text()).encode()
    archive.storage.inner.put(kept[-1], forged)
    archive.storage.inner.put("log/checkpoint", forged)
    assert any("not signed by" in p for p in named(faults(cli), kept[-1]))


def test_verify_proof_checks_a_download_offline(
    archive, client, site, reader, cli, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    record = f"{site.id}.post.1"
    version = tmp_path / "0000000002.json"
    proof = tmp_path / "0000000002.proof.json"
    version.write_bytes(client.get(f"/v1/records/{record}/versions/2", headers=reader).data)
    bundle = client.get(f"/v1/records/{record}/versions/2/proof", headers=reader).json
    proof.write_text(json.dumps(bundle))
    key = client.get("/v1/log/public-key").json["public_key"]

    ok = cli("verify-proof", str(version), str(proof), "--key", key)
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output

    changed = tmp_path / "changed.json"
    changed.write_bytes(version.read_bytes().replace(b"Budget", b"Bidget"))
    refused = cli("verify-proof", str(changed), str(proof), "--key", key)
    assert refused.exit_code == 1 and "NOT PROVEN" in refused.output

    # The same proof against another tree: a later checkpoint, or the size changed to match it.
    site.sender.send("post.published", post_data(3))
    later = client.post("/v1/log/checkpoints", headers={"Authorization": reader["Authorization"]})
    assert later.status_code == 403
    other = archive.integrity.checkpoint()
    for forged in (
        {**bundle, "checkpoint": other.note},
        {**bundle, "checkpoint": other.note, "tree_size": other.checkpoint.size},
    ):
        proof.write_text(json.dumps(forged))
        assert cli("verify-proof", str(version), str(proof), "--key", key).exit_code == 1

    proof.write_text(json.dumps(bundle))
    stranger = str(Signer.generate(archive.integrity.sequencer.signer.name).verifier)
    assert cli("verify-proof", str(version), str(proof), "--key", stranger).exit_code == 1


def test_what_a_dead_process_never_logged_is_found_by_the_sweep(archive, client, site, cli) -> None:  # type: ignore[no-untyped-def]
    assert site.sender.send("post.published", post_data(7)).status_code < 300
    archive.integrity.queue._leaves.clear()  # the process died before writing its queue
    archive.integrity.checkpoint()
    key = version_key(archive, site.id, 7, 1)
    assert named(faults(cli), key) == ["stored but not in the log (run `offentlig log sweep`)"]

    swept = cli("log", "sweep", "--grace-minutes", "0", "--json")
    assert swept.exit_code == 0, swept.output
    assert key in json.loads(swept.output)["logged"]
    assert cli("verify").exit_code == 0
