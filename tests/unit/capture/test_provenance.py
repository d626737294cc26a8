"""Each capture path is idempotent on its own key, and no path can take another's id."""

from __future__ import annotations

from service.capture.provenance import Provenance, Via
from service.capture.signature import WEBHOOK_ID


def test_a_webhook_is_remembered_by_its_webhook_id_as_before() -> None:
    assert Provenance.webhook("msg_0001").delivery_id == "msg_0001"


def test_other_paths_cannot_collide_with_any_webhook_id() -> None:
    backfill = Provenance(Via.BACKFILL, "01run.post.12")
    reconcile = Provenance(Via.RECONCILE, "01run.post.12")

    assert backfill.delivery_id == "backfill:01run.post.12"
    assert backfill.delivery_id != reconcile.delivery_id
    assert not WEBHOOK_ID.match(backfill.delivery_id)  # webhook-ids never hold a colon


def test_provenance_is_written_down_with_its_path() -> None:
    assert Provenance(Via.BACKFILL, "k").as_dict() == {"via": "backfill", "key": "k"}
