"""Settings: defaults here, then `OFFENTLIG_*` environment variables, then test overrides.

Every setting is documented in the README's configuration table.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Config

DEFAULTS: dict[str, Any] = {
    # Where the embedded default keeps everything: file object store, SQLite index, secret key.
    "DATA_DIR": "./offentlig-data",
    # file:///absolute/path or s3://bucket[/prefix]; default: file://<DATA_DIR>/objects
    "STORAGE_URL": None,
    "S3_ENDPOINT_URL": None,
    "S3_REGION": None,
    # SQLAlchemy URL; default: sqlite:///<DATA_DIR>/index.sqlite3
    "DATABASE_URL": None,
    # Key that encrypts webhook secrets at rest (Fernet, urlsafe base64 of 32 bytes);
    # default: generated once into <DATA_DIR>/secret.key
    "SECRET_KEY": None,
    "MAX_EVENT_BYTES": 10 * 1024 * 1024,
    "RETRY_AFTER_SECONDS": 30,
    # How long a process keeps a site and its webhook secret after reading them.
    "SITE_CACHE_SECONDS": 30,
    # How long reads and captures wait in a process's audit buffer before they are written.
    "AUDIT_FLUSH_SECONDS": 60,
    "TIMEZONE": "Europe/Stockholm",
    # The authority's name, as the public channel register (/public/channels) heads it.
    "AUTHORITY_NAME": "",
    # Its organisation number (organisationsnummer): the archival creator's identification
    # code in e-archive transfers (service/exports/transfer.py); empty: none is stated.
    "AUTHORITY_ID": "",
    "LOG_LEVEL": "INFO",
    # Run Alembic migrations when the app starts (off when an operator runs `offentlig migrate`).
    "AUTO_MIGRATE": True,
    # Words that flag a new version for secrecy review: a list, or one comma-separated string
    # (from the environment); None: service/secrecy/terms.py's DEFAULT_TERMS.
    "SECRECY_TERMS": None,
    # A job's lease: a worker renews it every third of this; a run whose worker died is
    # taken up again by another once it has run out.
    "JOB_LEASE_SECONDS": 60,
    # How often each service process tells the index of objects it could not be told of
    # when they were stored (the database was down); 0: only when the next delivery comes.
    "INDEX_REPAIR_SECONDS": 5,
    # How long `offentlig worker` waits between looks for due jobs when it finds none.
    "WORKER_POLL_SECONDS": 5,
    # Culling may override GOVERNANCE-mode retention on S3 objects (never COMPLIANCE, never
    # a legal hold); off unless configured.
    "CULLING_BYPASS_GOVERNANCE": False,
    # --- integrity (service/integrity/) ---
    # The tamper-evident log of every stored object; off only to measure what it costs.
    "LOG_ENABLED": True,
    # The log's name (checkpoint origin, key name) for a generated key: arkiv.example.se/log.
    "LOG_ORIGIN": "offentlig.local/log",
    # PRIVATE+KEY+<name>+<id>+<base64> (a signed-note Ed25519 key); default: generated once
    # into <DATA_DIR>/log-signing.key.
    "LOG_SIGNING_KEY": None,
    # A process writes the leaves it queued this long after the first (0: only on demand).
    "LOG_FLUSH_SECONDS": 1.0,
    # How often a checkpoint is signed when the log grew (0: only on demand).
    "LOG_CHECKPOINT_SECONDS": 60,
    # An RFC 3161 time-stamping authority for every checkpoint (none by default).
    "LOG_TSA_URL": None,
    # New record versions are kept (S3 Object Lock, GOVERNANCE) this long: ISO 8601 duration,
    # e.g. P10Y. Off by default: culling such a version needs CULLING_BYPASS_GOVERNANCE and
    # credentials that may bypass, so an operator turns both on together.
    "OBJECT_LOCK_DEFAULT_RETENTION": None,
    # Snapshots (service/snapshots/): what one crawl may do (null: no limit) ...
    "SNAPSHOT_CONNECTIONS": 8,
    "SNAPSHOT_DELAY_SECONDS": 0,
    "SNAPSHOT_MAX_PAGES": 100_000,
    "SNAPSHOT_MAX_BYTES": 20 * 1024**3,
    "SNAPSHOT_MAX_SECONDS": 6 * 3600,
    # ... how long a replay link works, and where replay keeps its local copies of
    # WARC and index (default: <DATA_DIR>/snapshot-cache; safe to empty at any time).
    "SNAPSHOT_REPLAY_SECONDS": 3600,
    "SNAPSHOT_CACHE_DIR": None,
    # Exports (service/exports/): the most records one export may hold (its PDF is made in
    # memory, so this bounds what a worker needs).
    "EXPORT_MAX_RECORDS": 1000,
}


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then `OFFENTLIG_*` from the environment (JSON-decoded where it parses),
    then `overrides`; the same for the app and the CLI."""
    config = Config(os.getcwd())
    config.from_mapping(DEFAULTS)
    config.from_prefixed_env("OFFENTLIG")
    if overrides:
        config.from_mapping(overrides)
    resolve(config)
    return dict(config)


def resolve(config: dict[str, Any]) -> None:
    """Fill the settings that default to places under DATA_DIR."""
    data_dir = Path(config["DATA_DIR"]).expanduser().resolve()
    config["DATA_DIR"] = str(data_dir)
    if not config.get("STORAGE_URL"):
        config["STORAGE_URL"] = (data_dir / "objects").as_uri()
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{data_dir / 'index.sqlite3'}"
    if not config.get("SNAPSHOT_CACHE_DIR"):
        config["SNAPSHOT_CACHE_DIR"] = str(data_dir / "snapshot-cache")
    config["MAX_CONTENT_LENGTH"] = int(config["MAX_EVENT_BYTES"])


def secrecy_terms(config: dict[str, Any]) -> tuple[str, ...]:
    """The configured secrecy terms; an empty string or list means none (identity numbers
    are always looked for)."""
    from service.secrecy.terms import DEFAULT_TERMS

    configured = config.get("SECRECY_TERMS")
    if configured is None:
        return DEFAULT_TERMS
    if isinstance(configured, str):
        configured = configured.split(",")
    return tuple(term.strip() for term in configured if str(term).strip())


def secret_key(config: dict[str, Any]) -> bytes:
    """The at-rest encryption key: configured, or created once in the data directory."""
    configured = config.get("SECRET_KEY")
    if configured:
        return str(configured).encode()
    from cryptography.fernet import Fernet

    return key_file(Path(config["DATA_DIR"]) / "secret.key", Fernet.generate_key)


def key_file(path: Path, generate: Callable[[], bytes]) -> bytes:
    """A key kept in a file, generated into it the first time by whichever process comes first."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole to a private temp file, then linked: a concurrent starter either
        # wins the link or reads the winner's complete key.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
        try:
            os.write(fd, generate())
            os.close(fd)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return path.read_bytes().strip()
