"""The e-archive transfer (SIP) through the API and the CLI, on every backend: eark-validator
(offline), the shipped XML schemas, a round trip that finds every stored object byte for byte,
secret records kept and marked, personal data only when asked, audit, bad input, reindex."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from service.audit.queries import AuditQuery
from service.snapshots import CrawlSettings, take_snapshot
from service.snapshots.index import snapshot_prefix
from tests.factories import TEST_ACTOR
from tests.support import eark
from tests.support.exports import (
    TITLES,
    Archive,
    archive_fixture,  # noqa: F401 - a fixture
    run_exports,
)
from tests.support.sip import NS, every_named_file, schema_errors, sha256
from tests.support.snapshots import small_site

PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}
ALL = ("admin", "records:read", "records:read-secret", "records:read-personal")


@pytest.fixture
def archivist(token) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return token(*ALL)  # type: ignore[no-any-return]


@pytest.fixture
def snapshot(app, site) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A finished snapshot of the site, taken on the test clock (inside the period)."""
    svc = app.extensions["offentlig"]
    with small_site() as website:
        manifest = take_snapshot(
            website.url,
            svc.storage,
            snapshot_prefix(site.id, "01snapshot0000000000000000"),
            CrawlSettings(connections=2),
            clock=svc.clock,
        )
    return svc.snapshots.index.show(manifest.key, manifest.document)  # type: ignore[no-any-return]


def transfer(client, headers: dict[str, str], **body: Any) -> Any:  # type: ignore[no-untyped-def]
    return client.post("/v1/exports/sip", json=body, headers=headers)


def made(app, client, headers, tmp_path: Path, **body: Any) -> tuple[dict[str, Any], Path]:  # type: ignore[no-untyped-def]
    """Ask for a transfer, run its job, download it: (the export, the ZIP's path)."""
    asked = transfer(client, headers, **body)
    assert asked.status_code == 202, asked.get_data(as_text=True)
    assert asked.json["kind"] == "sip" and asked.json["state"] == "queued"
    [job] = run_exports(app)
    assert job.state == "succeeded", job.error
    shown = client.get(f"/v1/exports/{asked.json['id']}", headers=headers)
    assert shown.status_code == 200 and shown.json["state"] == "finished", shown.json
    download = client.get(shown.json["file"]["url"], headers=headers)
    assert download.status_code == 200
    path = tmp_path / shown.json["file"]["name"]
    path.write_bytes(download.data)
    download.close()
    assert sha256(path) == shown.json["file"]["sha256"] == download.headers["X-Offentlig-SHA256"]
    return shown.json, path


def unpacked(path: Path, into: Path) -> Path:
    with zipfile.ZipFile(path) as package:
        roots = {name.split("/")[0] for name in package.namelist()}
        package.extractall(into)
    [root] = roots
    return into / root


def stored_objects(svc: Any, site_id: str) -> dict[str, bytes]:
    """Every record object of the site in storage (versions, events, reviews, …)."""
    found = {}
    for folder in ("posts", "pages", "comments"):
        for key in svc.storage.list(f"sites/{site_id}/{folder}/"):
            found[key] = svc.storage.get(key)
    return found


def test_a_transfer_is_a_valid_sip_holding_every_record_byte_for_byte(
    app, client, site, archivist, archive: Archive, snapshot, tmp_path
) -> None:
    svc = app.extensions["offentlig"]
    body = {"site": site.id, **PERIOD, "personal_data": True, "submission_agreement": "LÖ 2026:1"}
    shown, zip_path = made(app, client, archivist, tmp_path, **body)
    counts = shown["counts"]
    assert (counts["records"], counts["versions"], counts["snapshots"]) == (4, 5, 1)
    assert counts["secret"] == 1

    # eark-validator, offline, on the ZIP and on the folder: its one self-contradiction only.
    report = eark.validate(zip_path)
    assert eark.contradiction_only(report), eark.messages(report, "ERROR")
    assert report.structure.status.name == "WELLFORMED"
    root = unpacked(zip_path, tmp_path / "unpacked")
    assert root.name == shown["objid"]
    assert eark.contradiction_only(eark.validate(root))
    # Every XML file against the schemas the package ships.
    assert schema_errors(root) == {}

    # Round trip: every file METS names is there with the size and SHA-256 it states …
    named = every_named_file(root)
    for path, entry in named.items():
        assert path.is_file(), path
        assert (path.stat().st_size, sha256(path)) == (entry.size, entry.sha256), path
    assert shown["mets_sha256"] == sha256(root / "METS.xml")
    # … and every file in the package is named (but the package METS itself).
    on_disk = {p.resolve() for p in root.rglob("*") if p.is_file()}
    assert on_disk - {(root / "METS.xml").resolve()} == set(named)
    # Every stored record object is in the records representation, byte for byte.
    data = root / "representations" / "records" / "data"
    stored = stored_objects(svc, site.id)
    versions = [key for key in stored if "/versions/" in key]
    assert len(versions) == counts["versions"] == 5
    for key, content in stored.items():
        copy = data / key.removeprefix(f"sites/{site.id}/")
        assert copy.read_bytes() == content, key
        assert named[copy.resolve()].sha256 == sha256(copy)
    # Each version has its HTML page; the snapshot its WARC, index and manifest.
    html = root / "representations" / "html" / "data"
    assert (html / "posts" / "1" / "0000000002.html").read_text().count(TITLES["post"]) >= 1
    assert len(list(html.rglob("*.html"))) == 5
    warc = root / "representations" / "snapshots" / "data" / snapshot["id"] / "snapshot.warc.gz"
    assert sha256(warc) == snapshot["warc_sha256"]
    # The personal data its versions refer to went along (asked for, with the scope).
    [personal] = list((data / "comments" / "10" / "personal").glob("*.json"))
    assert b"bertil@example.se" in personal.read_bytes()


def test_secret_records_are_kept_and_marked(
    app, client, site, archivist, archive: Archive, tmp_path
) -> None:
    shown, zip_path = made(app, client, archivist, tmp_path, site=site.id, **PERIOD)
    root = unpacked(zip_path, tmp_path / "unpacked")
    secret_files = root / "representations" / "records" / "data" / "posts" / "3"
    assert (secret_files / "versions" / "0000000001.json").is_file()
    assert json.loads((secret_files / "review" / "0000000001.json").read_bytes())["state"] == (
        "secret"
    )
    ead = etree.parse(str(root / "metadata" / "descriptive" / "ead.xml"))
    items = {c.get("id"): c for c in ead.iterfind(".//ead:c", NS)}
    marked = items[f"record-{archive.secret}"]
    assert marked.get("audience") == "internal"
    assert "Sekretess" in "".join(marked.find("ead:accessrestrict", NS).itertext())
    for other in (archive.post, archive.page, archive.comment):
        assert items[f"record-{other}"].get("audience") is None
        assert items[f"record-{other}"].find("ead:accessrestrict", NS) is None
    rights = etree.parse(str(root / "metadata" / "preservation" / "rights.xml"))
    identifier = "premis:rightsStatementIdentifier/premis:rightsStatementIdentifierValue"
    found = rights.iterfind(".//premis:rightsStatement", NS)
    statements = {s.findtext(identifier, None, NS): s for s in found}
    statement = statements[f"rights/secret/{archive.secret}"]
    assert statement.findtext("premis:rightsGranted/premis:restriction", None, NS) == "Disallowed"
    linked = {v.text for v in statement.iterfind(".//premis:linkingObjectIdentifierValue", NS)}
    assert "representations/records/data/posts/3/versions/0000000001.json" in linked
    assert "representations/html/data/posts/3/0000000001.html" in linked
    assert not any("/posts/1/" in path for path in linked)
    # Without being asked, no personal data goes: the comment's versions still refer to it.
    assert not list(root.rglob("personal"))
    assert shown["request"]["personal_data"] is False


def test_the_validator_contradiction_has_no_way_out(
    app, client, site, archivist, archive, tmp_path
) -> None:
    """SIP14 cannot be met: without the software agent's note CSIP15/16 fail; with the
    unqualified NOTETYPE SIP14 asks for, the METS schema refuses the file."""
    _, zip_path = made(app, client, archivist, tmp_path, site=site.id, **PERIOD)
    root = unpacked(zip_path, tmp_path / "unpacked")
    mets = (root / "METS.xml").read_bytes()
    note = b'csip:NOTETYPE="SOFTWARE VERSION"'
    assert mets.count(note) == 1
    without = tmp_path / "without" / root.name
    shutil.copytree(root, without)
    tree = etree.parse(str(without / "METS.xml"))
    [software_note] = tree.findall("mets:metsHdr/mets:agent[@ROLE='CREATOR']/mets:note", NS)
    software_note.getparent().remove(software_note)
    tree.write(str(without / "METS.xml"))
    failed = {r.rule_id for r in eark.results(eark.validate(without), "ERROR")}
    assert {"CSIP15", "CSIP16"} <= failed and "SIP14" not in failed
    unqualified = tmp_path / "unqualified" / root.name
    shutil.copytree(root, unqualified)
    (unqualified / "METS.xml").write_bytes(
        mets.replace(note, note + b' NOTETYPE="IDENTIFICATIONCODE"')
    )
    failed = {r.rule_id for r in eark.results(eark.validate(unqualified), "ERROR")}
    assert "XML-1" in failed  # not valid METS


def test_bad_input_names_the_field_and_writes_nothing(
    app, client, site, archivist, token, archive
) -> None:
    svc = app.extensions["offentlig"]
    cases = [
        ({"site": site.id, "from": "2026-13-01", "to": "2026-11-30"}, 422, "from"),
        ({"site": site.id, "from": "2026-11-01", "to": "30/11/2026"}, 422, "to"),
        ({"site": site.id, "from": "2026-11-30", "to": "2026-11-01"}, 422, "to"),
        ({"site": "no-such-site", **PERIOD}, 422, "site"),
        ({"site": site.id, "from": "2025-01-01", "to": "2025-12-31"}, 422, "from"),
        ({"from": "2026-11-01", "to": "2026-11-30"}, 422, "site"),
        ({"site": site.id, **PERIOD, "submission_agreement": ""}, 422, "submission_agreement"),
    ]
    for body, status, field in cases:
        answer = transfer(client, archivist, **body)
        assert answer.status_code == status, (body, answer.get_data(as_text=True))
        errors = answer.json["errors"]
        assert field in errors.get("json", errors), (body, answer.json)
    # Scopes: admin alone is not enough; personal data needs its own scope.
    refused = transfer(client, token("admin"), site=site.id, **PERIOD)
    assert refused.status_code == 403 and "scopes" in refused.json["errors"]
    no_personal = token("admin", "records:read", "records:read-secret")
    refused = transfer(client, no_personal, site=site.id, **PERIOD, personal_data=True)
    assert refused.status_code == 403 and "personal_data" in refused.json["errors"]
    assert transfer(client, {}, site=site.id, **PERIOD).status_code == 401
    # A token limited to another site sees no such site.
    other, _ = svc.sites.add("Lunds kommun", "https://lund.se", actor=TEST_ACTOR)
    limited = token(*ALL, site=other["id"])
    assert transfer(client, limited, site=site.id, **PERIOD).status_code == 422
    assert svc.exports.list(site_ids=None, limit=10, before=None) == []
    assert svc.jobs.list(kind="export", limit=10) == []


def test_every_transfer_is_audited_and_comes_back_from_reindex(
    app, client, site, archivist, archive, cli, tmp_path
) -> None:
    svc = app.extensions["offentlig"]
    shown, _ = made(app, client, archivist, tmp_path, site=site.id, **PERIOD, personal_data=True)
    svc.audit.flush()
    entries = svc.audit.entries(AuditQuery(subject=shown["id"], limit=100)).items
    actions = {entry["action"] for entry in entries}
    assert {"export-requested", "read-personal-data", "read-export"} <= actions
    assert cli("reindex").exit_code == 0
    again = client.get(f"/v1/exports/{shown['id']}", headers=archivist)
    assert again.status_code == 200
    assert again.json["state"] == "finished"
    assert again.json["mets_sha256"] == shown["mets_sha256"]
    assert again.json["file"]["sha256"] == shown["file"]["sha256"]


def test_the_cli_writes_a_folder_or_a_zip(app, site, archive, cli, tmp_path) -> None:
    done = cli("export", "sip", "--site", site.id, "--from", "2026-11-01", "--to", "2026-11-30",
               "--folder", str(tmp_path / "out"), "--json")  # fmt: skip
    assert done.exit_code == 0, done.output
    view = json.loads(done.output)
    root = Path(view["file"]["path"])
    assert root == tmp_path / "out" / view["objid"]
    assert eark.contradiction_only(eark.validate(root))
    assert sha256(root / "METS.xml") == view["mets_sha256"]
    zipped = cli("export", "sip", "--site", site.id, "--from", "2026-11-01", "--to",
                 "2026-11-30", "--zip", str(tmp_path / "sip.zip"))  # fmt: skip
    assert zipped.exit_code == 0, zipped.output
    assert "4 records" in zipped.output and "1 secret (marked)" in zipped.output
    with zipfile.ZipFile(tmp_path / "sip.zip") as package:
        assert any(name.endswith("/METS.xml") for name in package.namelist())
    wrong = cli("export", "sip", "--site", site.id, "--from", "1 november", "--to", "2026-11-30")
    assert wrong.exit_code != 0 and "from" in wrong.output


def test_zip_bytes_read_back_in_memory_match_the_stored_versions(
    app, client, site, archivist, archive, tmp_path
) -> None:
    """The same round trip without unpacking: each version's bytes from the ZIP."""
    svc = app.extensions["offentlig"]
    _, zip_path = made(app, client, archivist, tmp_path, site=site.id, **PERIOD)
    with zipfile.ZipFile(io.BytesIO(zip_path.read_bytes())) as package:
        names = package.namelist()
        for key, content in stored_objects(svc, site.id).items():
            if "/versions/" not in key:
                continue
            [name] = [n for n in names if n.endswith("/data/" + key.split("/", 2)[2])]
            assert package.read(name) == content
