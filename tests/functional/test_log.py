"""The tamper-evident log over HTTP: every stored version is in a signed checkpoint, and its
proof checks offline against the public key (DOMAIN rule 10)."""

from __future__ import annotations

import base64

import pytest

from service.integrity import merkle
from service.integrity.note import Verifier, open_checkpoint
from service.integrity.proofs import BundleError, check_bundle
from tests.factories import post_data


def record_id(site_id: str, post: int) -> str:
    return f"{site_id}.post.{post}"


@pytest.fixture
def admin(token):  # type: ignore[no-untyped-def]
    return token("admin")


def checkpoint(client, admin) -> dict:  # type: ignore[no-untyped-def, type-arg]
    answer = client.post("/v1/log/checkpoints", headers=admin)
    assert answer.status_code == 201, answer.json
    return answer.json  # type: ignore[no-any-return]


def test_every_version_is_proven_under_a_signed_checkpoint(client, site, reader, admin) -> None:  # type: ignore[no-untyped-def]
    for n in (1, 2):
        assert (
            site.sender.send("post.published", post_data(n, title=f"Nyhet {n}")).status_code < 300
        )
    assert site.sender.send("post.updated", post_data(1, title="Nyhet 1, rättad")).status_code < 300
    signed = checkpoint(client, admin)
    assert signed["tree_size"] >= 3

    verifier = Verifier.parse(client.get("/v1/log/public-key").json["public_key"])
    latest = client.get("/v1/log/checkpoint")
    assert latest.status_code == 200
    assert open_checkpoint(latest.json["note"], verifier).size == signed["tree_size"]

    rid = record_id(site.id, 1)
    for number in (1, 2):
        version = client.get(f"/v1/records/{rid}/versions/{number}", headers=reader)
        proof = client.get(f"/v1/records/{rid}/versions/{number}/proof", headers=reader)
        assert proof.status_code == 200, proof.json
        proven = check_bundle(version.data, proof.json, verifier)
        assert proven.key.endswith(f"/posts/1/versions/{number:010d}.json")

    first = client.get(f"/v1/records/{rid}/versions/1", headers=reader).data
    bundle = client.get(f"/v1/records/{rid}/versions/1/proof", headers=reader).json
    with pytest.raises(BundleError, match="SHA-256"):
        check_bundle(first.replace(b"Nyhet", b"NyheT"), bundle, verifier)
    second = client.get(f"/v1/records/{rid}/versions/2", headers=reader).data
    with pytest.raises(BundleError):
        check_bundle(second, bundle, verifier)


def test_consistency_between_checkpoints(client, site, admin) -> None:  # type: ignore[no-untyped-def]
    site.sender.send("post.published", post_data(1))
    old = checkpoint(client, admin)
    site.sender.send("post.published", post_data(2))
    site.sender.send("post.published", post_data(3))
    new = checkpoint(client, admin)
    answer = client.get(f"/v1/log/consistency?from={old['tree_size']}&to={new['tree_size']}")
    assert answer.status_code == 200
    merkle.verify_consistency(
        old["tree_size"],
        new["tree_size"],
        base64.b64decode(old["root_hash"]),
        base64.b64decode(new["root_hash"]),
        [base64.b64decode(h) for h in answer.json["proof"]],
    )


def test_bad_consistency_sizes_are_422_naming_the_parameter(client, site, admin) -> None:  # type: ignore[no-untyped-def]
    site.sender.send("post.published", post_data(1))
    size = checkpoint(client, admin)["tree_size"]
    assert client.get(f"/v1/log/consistency?from=0&to={size + 1}").json["errors"].keys() == {"to"}
    assert client.get(f"/v1/log/consistency?from={size}&to=1").json["errors"].keys() == {"from"}
    answer = client.get("/v1/log/consistency?from=x&to=1")
    assert answer.status_code == 422
    assert "from" in str(answer.json["errors"])


def test_a_version_not_yet_in_a_checkpoint_has_no_proof_yet(client, site, reader, admin) -> None:  # type: ignore[no-untyped-def]
    site.sender.send("post.published", post_data(1))
    checkpoint(client, admin)
    site.sender.send("post.published", post_data(2))
    answer = client.get(f"/v1/records/{record_id(site.id, 2)}/versions/1/proof", headers=reader)
    assert answer.status_code == 409


def test_two_instances_append_to_one_log_without_forking(
    app_config, client, site, admin, cli
) -> None:  # type: ignore[no-untyped-def]
    """Two instances on one bucket and database: each queues, both sequence; one tree."""
    from service import create_app
    from tests.factories import Sender

    other_app = create_app(dict(app_config))
    try:
        other = Sender(other_app.test_client(), site.id, site.secret)
        for n in range(1, 7):
            sender = site.sender if n % 2 else other
            assert sender.send("post.published", post_data(n)).status_code < 300
            if n % 3 == 0:
                # The other instance's queue is written; this one sequences both batches.
                other_app.extensions["offentlig"].integrity.queue.flush()
                checkpoint(client, admin)
        other_app.extensions["offentlig"].integrity.checkpoint()
    finally:
        other_app.extensions["offentlig"].close()
    sizes = [
        c.split("/")[-1][:12]
        for c in other_app.extensions["offentlig"].storage.list("log/checkpoints/")
    ]
    assert sizes == sorted(sizes)
    result = cli("verify")
    assert result.exit_code == 0, result.output
