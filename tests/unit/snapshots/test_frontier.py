"""The frontier: each URL once, however it is spelled or however often it is linked."""

from __future__ import annotations

from service.snapshots.frontier import Frontier
from service.snapshots.policy import SitePolicy

SITE = "http://www.example.se/"


def frontier() -> Frontier:
    return Frontier(SitePolicy(SITE), max_pages=None, max_redirects=5)


def taken(queue: Frontier) -> list[str]:
    found = []
    while queue.queued:
        task = queue.take()
        assert task is not None
        found.append(task.url)
        queue.done()
    return found


def test_a_url_is_queued_once_however_often_and_however_spelled() -> None:
    queue = frontier()
    for _ in range(3):  # a menu link on every page
        queue.add("http://www.example.se/om-oss/", requisite=False, found_on=SITE)
    queue.add("HTTP://WWW.EXAMPLE.SE:80/om-oss/#team", requisite=False, found_on=SITE)
    queue.add("http://www.example.se/a/../om-oss/", requisite=False, found_on=SITE)

    assert taken(queue) == ["http://www.example.se/om-oss/"]


def test_other_origins_are_refused_once_and_redirects_to_them_each_time() -> None:
    queue = frontier()
    for _ in range(2):
        queue.add("http://elsewhere.example/x", requisite=False, found_on=SITE)
    for hop in (1, 2):
        queue.add("http://elsewhere.example/x", requisite=False, found_on=SITE, redirects=hop)

    assert taken(queue) == []
    assert [r["reason"] for r in queue.refusals] == [
        "other origin",
        "redirect to other origin",
        "redirect to other origin",
    ]
