"""`offentlig cull`, `rules` and `holds`: what an archivist types, against the app's storage and
database."""

from __future__ import annotations

import json
from typing import Any

from tests.factories import comment_data, post_data


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


RULE = (
    "--decision-reference",
    "KS 2026/114 § 12",
    "--decision-date",
    "2026-06-01",
    "--retention",
    "P2Y",
    "--counted-from",
    "published",
)


def test_cull_is_a_dry_run_until_told_to_execute(client, reader, site, cli):
    site.sender.send("post.published", post_data(1))
    site.sender.send("post.published", post_data(2, terms={"category": ["Kultur"]}))
    site.sender.send("comment.received", comment_data(10, post_id=1))
    rule = ok(cli("rules", "add", *RULE, "--kind", "post", "--term", "category:Trafik", "--json"))
    hold = ok(cli("holds", "set", "--reason", "Tvist", "--kind", "comment", "--json"))
    other = ok(cli("rules", "add", *RULE, "--kind", "comment", "--json"))

    dry = ok(cli("cull", "--as-of", "2030-01-01", "--json"))
    kept = client.get(f"/v1/records/{site.id}.post.1", headers=reader).status_code
    executed = ok(cli("cull", "--execute", "--as-of", "2030-01-01", "--json"))
    text = cli("cull", "--as-of", "2030-01-01")

    assert (dry["dry_run"], dry["state"], dry["counts"]["culled"]) == (True, "planned", 0)
    assert dry["counts"]["rules"][rule["id"]]["due"] == 1
    assert dry["counts"]["rules"][other["id"]]["held"] == 1
    assert kept == 200
    assert (executed["state"], executed["counts"]["culled"]) == ("finished", 1)
    assert client.get(f"/v1/records/{site.id}.post.1", headers=reader).status_code == 410
    assert client.get(f"/v1/records/{site.id}.post.2", headers=reader).status_code == 200
    assert client.get(f"/v1/records/{site.id}.comment.10", headers=reader).status_code == 200
    assert text.exit_code == 0 and "(planned): 1 records planned, 0 culled." in text.stdout
    lifted = ok(cli("holds", "lift", hold["id"], "--reason", "Avgjort", "--json"))
    assert lifted["active"] is False
    assert [h["active"] for h in ok(cli("holds", "list", "--json"))] == [False]


def test_rules_list_and_supersede(cli):
    rule = ok(cli("rules", "add", *RULE, "--json"))

    new = ok(cli("rules", "supersede", rule["id"], *RULE[:4], "--retention", "P5Y",
                 "--counted-from", "last_change", "--json"))  # fmt: skip
    listed = ok(cli("rules", "list", "--json"))

    assert new["supersedes"] == rule["id"]
    assert [(r["id"], r["state"]) for r in listed] == [
        (rule["id"], "superseded"),
        (new["id"], "active"),
    ]


def test_cull_refuses_bad_input_in_one_line(cli):
    bad_duration = cli(
        "rules", "add", *RULE[:4], "--retention", "2Y", "--counted-from", "published"
    )
    bad_date = cli("cull", "--as-of", "tomorrow")
    unknown_rule = cli("cull", "--rule", "nosuchrule")

    for result, word in ((bad_duration, "retention"), (bad_date, "as-of"), (unknown_rule, "rule")):
        assert result.exit_code != 0
        assert "Traceback" not in result.output
        assert word in result.output.lower(), result.output
