"""The disclosure export through the API, on every backend: what the ZIP holds, masking,
secrecy, the manifest, the PDF, the proofs, the audit trail, bad input, and `reindex`."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from service.exports.masking import EMAIL_MASK
from service.index.text import plain_text
from service.secrecy.detect import find_identity_numbers
from tests.factories import TEST_ACTOR
from tests.support.exports import (
    ANY_EMAIL,
    TITLES,
    Archive,
    archive_fixture,  # noqa: F401 - a fixture
    export,
    made,
    run_exports,
)
from tests.support.review import PERSONNUMMER


def texts(package: zipfile.ZipFile, tmp_path: Path) -> dict[str, str]:
    """Every file's text as a reader gets it: HTML as shown, the PDF through pdftotext."""
    found = {}
    for name in package.namelist():
        data = package.read(name)
        if name.endswith(".pdf"):
            path = tmp_path / "disclosure.pdf"
            path.write_bytes(data)
            found[name] = pdftotext(path)
        elif name.endswith(".html"):
            text = data.decode("utf-8")
            found[name] = text + "\n" + plain_text(text)
        else:
            found[name] = data.decode("utf-8")
    return found


def pdftotext(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=120
    )
    return done.stdout.decode("utf-8")


def test_a_masked_export_of_a_search(app, client, reader, archive: Archive, tmp_path) -> None:
    shown, package = made(app, client, reader, query={"site": archive.post.split(".")[0]})
    names = package.namelist()
    assert names[-1] == "manifest.json"
    for record in (archive.post, archive.page, archive.comment):
        assert f"records/{record}/v1.html" in names
        assert f"records/{record}/v1.proof.json" in names
    assert f"records/{archive.post}/v2.html" in names
    assert shown["counts"]["records"] == 3 and shown["counts"]["versions"] == 4

    everything = texts(package, tmp_path)
    # The secret record is nowhere, not even counted for a token that cannot see it.
    assert not any(
        archive.secret in text or TITLES["secret"] in text for text in everything.values()
    )
    assert shown["counts"]["withheld_secret"] == 0
    # No e-mail address and no valid identity number in any file, by the screen's detector.
    for name, text in everything.items():
        assert ANY_EMAIL.findall(text) == [], name
        assert find_identity_numbers(text) == [], name
    comment_page = everything[f"records/{archive.comment}/v1.html"]
    assert "XXXXXX-XXXX" in comment_page and EMAIL_MASK in comment_page
    assert "192.0.2.10" not in "".join(everything.values())
    # The comment's stored bytes hold the number: withheld, its proof still there.
    assert f"records/{archive.comment}/v1.json" not in names
    assert f"records/{archive.post}/v1.json" in names
    assert shown["counts"]["stored_files_withheld"] == 1


def test_the_manifest_names_every_file_with_its_hash(app, client, reader, archive) -> None:
    shown, package = made(app, client, reader, record_ids=[archive.post, archive.page])
    manifest = json.loads(package.read("manifest.json"))
    assert manifest["schema"] == "offentlig.export-manifest/1"
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == set(package.namelist()) - {"manifest.json"}
    for name, entry in listed.items():
        data = package.read(name)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), name
        assert entry["size"] == len(data)
    assert shown["manifest_sha256"] == hashlib.sha256(package.read("manifest.json")).hexdigest()
    lines = package.read("records.csv").decode("utf-8-sig").splitlines()
    assert lines[0].startswith("record_id;version;kind;origin")
    assert len(lines) == 1 + 3  # the post's two versions and the page


def test_the_pdf_has_a_page_per_record_with_its_title(
    app, client, reader, archive, tmp_path
) -> None:
    ids = [archive.post, archive.page, archive.comment]
    shown, package = made(app, client, reader, record_ids=ids)
    path = tmp_path / "d.pdf"
    path.write_bytes(package.read("disclosure.pdf"))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, timeout=60)
    pages = int(re.search(rb"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]
    assert pages >= len(ids) == shown["counts"]["records"]
    assert pages == shown["counts"]["pdf_pages"]
    text = pdftotext(path)
    for title in (TITLES["post"], TITLES["page"], TITLES["comment"]):
        assert title in text


def test_proofs_in_the_zip_verify_offline(app, client, reader, archive, cli, tmp_path) -> None:
    _, package = made(app, client, reader, record_ids=[archive.post])
    package.extractall(tmp_path)
    folder = tmp_path / "records" / archive.post
    key = (tmp_path / "log" / "public-key.txt").read_text().strip()
    checked = cli("verify-proof", str(folder / "v2.json"), str(folder / "v2.proof.json"),
                  "--key", key, "--json")  # fmt: skip
    assert checked.exit_code == 0, checked.output
    [outcome] = json.loads(checked.output)
    assert outcome["ok"] and outcome["object_key"].endswith("/posts/1/versions/0000000002.json")
    # Every proof leads to the one checkpoint in the package.
    checkpoint = (tmp_path / "log" / "checkpoint.txt").read_text()
    proof = json.loads((folder / "v1.proof.json").read_text())
    assert proof["checkpoint"] == checkpoint
    # A changed file is not proven.
    changed = tmp_path / "changed.json"
    changed.write_bytes((folder / "v2.json").read_bytes().replace(b"fyra", b"fem!"))
    refused = cli("verify-proof", str(changed), str(folder / "v2.proof.json"), "--key", key)
    assert refused.exit_code == 1


def test_secret_records_only_when_asked_with_the_scope(app, client, token, archive) -> None:
    secret_reader = token("records:read", "records:read-secret")
    shown, package = made(app, client, secret_reader, record_ids=[archive.secret, archive.post])
    assert not any(archive.secret in name for name in package.namelist())
    assert shown["counts"]["withheld_secret"] == 1  # this token may know
    shown, package = made(
        app, client, secret_reader, record_ids=[archive.secret], include_secret=True
    )
    assert f"records/{archive.secret}/v1.html" in package.namelist()
    # Only tokens with the scope see that export at all.
    assert (
        client.get(f"/v1/exports/{shown['id']}", headers=token("records:read")).status_code == 404
    )
    # Without the scope, a secret record is no record.
    answer = client.post("/v1/exports", json={"record_ids": [archive.secret]}, headers=token())
    assert answer.status_code == 422
    assert answer.json["errors"]["record_ids"] == {"0": [f"No record {archive.secret!r}."]}


def test_unmasked_shows_personal_data_and_audits_each_read(app, client, token, archive) -> None:
    personal = token("records:read", "records:read-personal")
    _, package = made(
        app,
        client,
        personal,
        record_ids=[archive.comment],
        mask_personal_data=False,
        include_events=True,
    )
    page = package.read(f"records/{archive.comment}/v1.html").decode()
    assert "bertil@example.se" in page and "192.0.2.10" in page and PERSONNUMMER in page
    assert "comment.approved" in page  # its events
    assert f"records/{archive.comment}/v1.json" in package.namelist()
    svc = app.extensions["offentlig"]
    svc.audit.flush()
    entries = client.get(
        "/v1/audit", query_string={"subject": archive.comment}, headers=token("admin")
    ).json["items"]
    assert "read-personal-data" in {e["action"] for e in entries}


def test_every_export_is_audited(app, client, token, reader, archive) -> None:
    shown, _ = made(app, client, reader, record_ids=[archive.page])
    svc = app.extensions["offentlig"]
    svc.audit.flush()
    entries = client.get(
        "/v1/audit", query_string={"subject": shown["id"]}, headers=token("admin")
    ).json["items"]
    actions = {e["action"]: e for e in entries}
    assert set(actions) == {"export-requested", "read-export"}
    assert actions["export-requested"]["details"]["record_ids"] == [archive.page]
    assert actions["export-requested"]["actor"]["name"] == "test"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "record_ids"),
        ({"record_ids": [], "query": {}}, 422, "record_ids"),
        ({"record_ids": ["nope.post.1"]}, 422, "record_ids"),
        ({"record_ids": "x"}, 422, "record_ids"),
        ({"query": {"kind": "tweet"}}, 422, "query"),
        ({"query": {"limit": 5}}, 422, "query"),
        ({"query": {"q": "finnsinte"}}, 422, "query"),
        ({"query": {}, "language": "de"}, 422, "language"),
        ({"query": {}, "mask_personal_data": "perhaps"}, 422, "mask_personal_data"),
        ({"query": {}, "include_secret": True}, 403, "include_secret"),
        ({"query": {}, "mask_personal_data": False}, 403, "mask_personal_data"),
        ({"query": {}, "kind": "sip"}, 422, "kind"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    app, client, reader, archive, body, status, field
) -> None:
    svc = app.extensions["offentlig"]
    before = list(svc.storage.list("authority/exports/"))
    answer = client.post("/v1/exports", json=body, headers=reader)
    assert answer.status_code == status, answer.get_data(as_text=True)
    errors = answer.json["errors"]
    assert field in (errors.get("json", errors))
    assert list(svc.storage.list("authority/exports/")) == before
    assert run_exports(app) == []


def test_too_many_records_is_refused(app, client, reader, archive) -> None:
    app.extensions["offentlig"].exports.max_records = 2
    answer = client.post("/v1/exports", json={"query": {}}, headers=reader)
    assert answer.status_code == 422
    assert "More than 2 records" in answer.json["errors"]["query"][0]


def test_status_before_and_download_only_when_finished(app, client, reader, archive) -> None:
    asked = export(client, reader, record_ids=[archive.page])
    shown = client.get(f"/v1/exports/{asked['id']}", headers=reader).json
    assert shown["state"] == "queued" and shown["file"] is None
    assert client.get(f"/v1/exports/{asked['id']}/download", headers=reader).status_code == 409
    run_exports(app)
    listed = client.get("/v1/exports", headers=reader).json["items"]
    assert [e["id"] for e in listed] == [asked["id"]] and listed[0]["state"] == "finished"


def test_a_site_limited_token_exports_its_site_only(app, client, token, site, archive) -> None:
    other, _ = app.extensions["offentlig"].sites.add(
        "Annan", "https://annan.example.se", actor=TEST_ACTOR
    )
    limited = token("records:read", site=other["id"])
    answer = client.post("/v1/exports", json={"record_ids": [archive.post]}, headers=limited)
    assert answer.status_code == 422
    mine = export(client, token("records:read", site=site.id), record_ids=[archive.post])
    assert client.get(f"/v1/exports/{mine['id']}", headers=limited).status_code == 404


def test_exports_come_back_from_reindex(app, client, reader, archive, cli) -> None:
    shown, _ = made(app, client, reader, record_ids=[archive.page])
    assert cli("reindex").exit_code == 0
    again = client.get(f"/v1/exports/{shown['id']}", headers=reader).json
    assert again["state"] == "finished" and again["file"] == shown["file"]


def test_the_cli_exports_with_a_file(app, archive, cli, tmp_path) -> None:
    target = tmp_path / "out.zip"
    done = cli(
        "export",
        "disclosure",
        "--record",
        archive.post,
        "--events",
        "--output",
        str(target),
        "--json",
    )
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert result["state"] == "finished"
    assert hashlib.sha256(target.read_bytes()).hexdigest() == result["file"]["sha256"]
    with zipfile.ZipFile(target) as package:
        assert f"records/{archive.post}/v2.html" in package.namelist()
    refused = cli("export", "disclosure", "--kind", "tweet")
    assert refused.exit_code != 0 and "kind" in refused.output
