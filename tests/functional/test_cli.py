"""`offentlig …`: what an operator types, against the same storage and database as the app."""

from __future__ import annotations

import json
from typing import Any

import click
import pytest
from click.testing import CliRunner

from service.cli import main
from tests.factories import Sender, post_data


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(result: Any, *words: str) -> str:
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word.lower() in result.output.lower(), result.output
    return str(result.output)


def test_sites_add_prints_id_and_secret_once(app, client, cli):
    added = ok(cli("sites", "add", "--name", "Lunds kommun", "--url", "https://lund.se", "--json"))

    assert added["name"] == "Lunds kommun"
    assert added["url"] == "https://lund.se"
    assert added["secret"].startswith("whsec_")
    assert added["created_at"].endswith("Z")
    # The secret signs webhooks the app accepts.
    answer = Sender(client, added["id"], added["secret"]).send("post.published", post_data(1))
    assert answer.status_code == 201
    # It is never shown again.
    listed = ok(cli("sites", "list", "--json"))
    assert [s["id"] for s in listed] == [added["id"]]
    assert added["secret"] not in json.dumps(listed)


def test_sites_in_text(cli):
    added = cli("sites", "add", "--name", "Lunds kommun", "--url", "https://lund.se")
    listed = cli("sites", "list")

    assert added.exit_code == 0 and listed.exit_code == 0
    assert "whsec_" in added.stdout
    assert "shown only now" in added.stdout
    assert "Lunds kommun" in listed.stdout
    assert "whsec_" not in listed.stdout


def test_tokens_create_works_against_the_api_until_revoked(client, cli):
    created = ok(cli("tokens", "create", "--name", "diarium", "--scope", "records:read", "--json"))
    headers = {"Authorization": f"Bearer {created['token']}"}

    assert created["token"].startswith("oft_")
    assert created["scopes"] == ["records:read"]
    assert created["site_id"] is None
    assert client.get("/v1/records", headers=headers).status_code == 200
    assert client.get("/v1/sites", headers=headers).status_code == 403

    listed = ok(cli("tokens", "list", "--json"))
    assert [(t["id"], t["revoked_at"]) for t in listed] == [(created["id"], None)]
    assert created["token"] not in json.dumps(listed)

    revoked = ok(cli("tokens", "revoke", created["id"], "--json"))
    assert revoked == {"revoked": created["id"]}
    assert client.get("/v1/records", headers=headers).status_code == 401
    assert ok(cli("tokens", "list", "--json"))[0]["revoked_at"]
    refused(cli("tokens", "revoke", created["id"]), "no active token")


def test_tokens_with_several_scopes_and_a_site_limit(site, client, cli):
    created = ok(
        cli(
            "tokens", "create", "--name", "wordpress", "--scope", "records:read",
            "--scope", "admin", "--site", site.id, "--json",
        )
    )  # fmt: skip

    assert sorted(created["scopes"]) == ["admin", "records:read"]
    assert created["site_id"] == site.id
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/v1/sites", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["sites", "add", "--name", "X", "--url", "not a url"], ["url"]),
        (["sites", "add", "--name", "X", "--url", "ftp://example.se"], ["url"]),
        (["sites", "add", "--name", "", "--url", "https://x.se"], ["name"]),
        (["sites", "add", "--url", "https://x.se"], ["--name"]),
        (["tokens", "create", "--name", "x", "--scope", "root"], ["--scope", "root"]),
        (["tokens", "create", "--name", "x"], ["--scope"]),
        (
            ["tokens", "create", "--name", "x", "--scope", "records:read", "--site", "nosuchsite"],
            ["unknown site", "nosuchsite"],
        ),
        (["tokens", "revoke", "nosuchtoken"], ["nosuchtoken"]),
        (["nosuchcommand"], ["nosuchcommand"]),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_bad_input_is_a_clear_message_not_a_traceback(app, cli, args, words):
    before = ok(cli("tokens", "list", "--json")), ok(cli("sites", "list", "--json"))

    refused(cli(*args), *words)

    assert (ok(cli("tokens", "list", "--json")), ok(cli("sites", "list", "--json"))) == before


def test_unusable_configuration_is_a_clear_message(tmp_path):
    result = CliRunner().invoke(
        main,
        ["sites", "list"],
        env={"OFFENTLIG_DATA_DIR": str(tmp_path), "OFFENTLIG_STORAGE_URL": "ftp://example.se/x"},
        catch_exceptions=False,
    )

    refused(result, "cannot open storage or database", "OFFENTLIG_STORAGE_URL")


def test_storage_create_bucket(backend, cli):
    result = cli("storage", "create-bucket", "--json")

    if backend == "fs-sqlite":
        refused(result, "not an s3:// URL")
    else:  # the session's bucket exists already: creating it again is fine
        assert ok(result)["bucket"].startswith("test-")


def test_migrate(cli):
    assert ok(cli("migrate", "--json")) == {"migrated": True}


def test_version_and_help(cli):
    assert cli("--version").exit_code == 0
    assert "0.1.0" in cli("--version").stdout
    for args in commands(main):
        result = cli(*args, "--help")
        assert result.exit_code == 0, (args, result.output)


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def test_every_command_that_prints_results_takes_json():
    without = [
        " ".join(args)
        for args in commands(main)
        if args and args[0] != "serve" and not isinstance(_command(args), click.Group)
        if "--json" not in {o for p in _command(args).params for o in p.opts}
    ]

    assert without == []


def _command(args: tuple[str, ...]) -> click.Command:
    command: click.Command = main
    for name in args:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command
