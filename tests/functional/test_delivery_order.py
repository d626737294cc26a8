"""Deliveries arrive in any order (retries, outages, several senders): a late copy of
content already kept makes no second version; a change back to earlier content does."""

from __future__ import annotations

from tests.factories import comment_data, post_data

T1, T2, T3 = "2026-11-28T09:00:00Z", "2026-11-28T09:05:00Z", "2026-11-28T09:10:00Z"


def versions(client, reader, record_id: str) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    items = client.get(f"/v1/records/{record_id}/versions", headers=reader).json["items"]
    return [(v["version"], v["occurred_at"]) for v in items]


def test_a_late_twin_of_kept_content_makes_no_version(site, client, reader):
    site.sender.send("post.published", post_data(1, title="X"), timestamp=T1)
    site.sender.send("post.updated", post_data(1, title="Y"), timestamp=T2)

    # WordPress sent the first state twice, under another webhook-id; that one comes last.
    twin = site.sender.send("post.published", post_data(1, title="X"), timestamp=T1)

    assert (twin.status_code, twin.json["version"]) == (200, 1)
    assert [v for v, _ in versions(client, reader, f"{site.id}.post.1")] == [1, 2]


def test_an_edit_arriving_after_a_later_one_is_kept_as_a_version(site, client, reader):
    site.sender.send("post.published", post_data(2, title="X"), timestamp=T1)
    site.sender.send("post.updated", post_data(2, title="Z"), timestamp=T3)

    late = site.sender.send("post.updated", post_data(2, title="Y"), timestamp=T2)

    assert (late.status_code, late.json["version"]) == (201, 3)
    kept = versions(client, reader, f"{site.id}.post.2")
    # Version numbers are arrival order; WordPress's order is the versions' occurred_at.
    by_time = sorted(kept, key=lambda v: v[1])
    assert [number for number, _ in by_time] == [1, 3, 2]
    assert [at[11:16] for _, at in by_time] == ["09:00", "09:05", "09:10"]


def test_a_change_back_to_earlier_content_is_a_new_version(site, client, reader):
    site.sender.send("post.published", post_data(3, title="X"), timestamp=T1)
    site.sender.send("post.updated", post_data(3, title="Y"), timestamp=T2)

    back = site.sender.send("post.updated", post_data(3, title="X"), timestamp=T3)

    assert (back.status_code, back.json["version"]) == (201, 3)


def test_a_late_twin_of_a_comment_with_personal_data_makes_no_version(site, client, reader):
    site.sender.send("comment.received", comment_data(20, content="Ett"), timestamp=T1)
    site.sender.send("comment.edited", comment_data(20, content="Två"), timestamp=T2)

    twin = site.sender.send("comment.received", comment_data(20, content="Ett"), timestamp=T1)

    assert (twin.status_code, twin.json["version"]) == (200, 1)
