"""The index schema: every table is a projection of object storage that `offentlig reindex`
rebuilds. `records`, `record_versions`, `record_events`, `deliveries` and `changes` show the
captured records; `sites`, `api_tokens` and the other register tables show the registers
(`service/registers/`), one row per entry at its latest `revision`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)

from service.index.search_vector import SearchVector


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# --- registers -------------------------------------------------------------------------------

sites = Table(
    "sites",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("secret_encrypted", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revision", Integer, nullable=False, server_default="1"),
    # Snapshots: an ISO 8601 duration, "off", or NULL for the default (service/snapshots/).
    Column("snapshot_every", String(40), nullable=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("scopes", String(500), nullable=False),
    Column("site_id", String(40), ForeignKey("sites.id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revision", Integer, nullable=False, server_default="1"),
)

channels = Table(
    "channels",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("revision", Integer, nullable=False),
    # wordpress | facebook | instagram | x | youtube | linkedin | mastodon | other
    Column("platform", String(20), nullable=False),
    Column("name", String(300), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("responsible_unit", String(300), nullable=False),
    Column("contact", String(300), nullable=False),
    Column("started_on", Date, nullable=True),
    Column("closed_on", Date, nullable=True),
    Column("status", String(20), nullable=False),  # active | closed
    Column("capture", String(300), nullable=False),  # how the channel is captured
    Column("rule_ids", Text, nullable=False, server_default=""),  # space-separated
    Column("site_id", String(40), nullable=True, unique=True),  # a WordPress site's channel
)

# --- retention: culling rules, legal holds, culling runs and the culling log -----------------

retention_rules = Table(
    "retention_rules",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("decision_reference", String(200), nullable=False),  # e.g. "KS 2026/114 § 12"
    Column("decision_date", Date, nullable=False),
    Column("description", Text, nullable=False),
    Column("scope", Text, nullable=False),  # JSON: sites, kinds, origins, statuses, terms
    Column("retention", String(40), nullable=False),  # ISO 8601 duration, e.g. P2Y
    Column("counted_from", String(20), nullable=False),  # published | last_change | channel_closed
    Column("covers_registered", Boolean, nullable=False),
    Column("state", String(20), nullable=False),  # active | superseded
    Column("supersedes", String(40), nullable=True),
    Column("superseded_by", String(40), nullable=True),
    # Set by the culling log's projection: a rule that culled something is never edited.
    Column("used", Boolean, nullable=False, server_default=false()),
    Column("created_at", UTCDateTime, nullable=False),
)

legal_holds = Table(
    "legal_holds",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("set_by", String(300), nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
    Column("lifted_at", UTCDateTime, nullable=True),
    Column("lifted_by", String(300), nullable=True),
    Column("lift_reason", Text, nullable=True),
    # One record, or a query (every part optional; records captured later match too).
    Column("record_id", String(200), nullable=True),
    Column("sites", Text, nullable=False, server_default=""),  # space-separated
    Column("kinds", Text, nullable=False, server_default=""),  # space-separated
    Column("published_after", UTCDateTime, nullable=True),
    Column("published_before", UTCDateTime, nullable=True),
    Column("text", Text, nullable=True),
)

culling_runs = Table(
    "culling_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("state", String(20), nullable=False),  # planned | executing | finished | failed
    Column("dry_run", Boolean, nullable=False),
    Column("as_of", UTCDateTime, nullable=False),
    Column("rule_ids", Text, nullable=False, server_default=""),  # space-separated; "" = all
    Column("started_by", String(300), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("counts", Text, nullable=False),  # JSON: per rule and outcome
    Column("error", Text, nullable=True),
)

culling_run_items = Table(
    "culling_run_items",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("record_id", String(200), nullable=False),
    Column("site_id", String(40), nullable=False),
    Column("rule_id", String(40), nullable=False),
    Column("outcome", String(20), nullable=False),  # due | held | registered | review_pending
    Column("due_on", Date, nullable=False),
    Column("subject", Text, nullable=False),
)

culling_log = Table(
    "culling_log",
    metadata,
    Column("id", String(250), primary_key=True),  # {run id}.{record id}
    Column("revision", Integer, nullable=False),
    Column("record_id", String(200), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("origin", String(20), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    Column("last_changed_at", UTCDateTime, nullable=False),
    Column("subject", Text, nullable=False),
    Column("site_id", String(40), nullable=False),
    Column("rule_id", String(40), nullable=False, index=True),
    Column("decision_reference", String(200), nullable=False),
    Column("run_id", String(40), nullable=False, index=True),
    Column("culled_by", String(300), nullable=False),
    Column("culled_at", UTCDateTime, nullable=False),
    Column("versions_erased", Integer, nullable=False),
    Column("objects_erased", Integer, nullable=False),
    Index("ix_culling_log_culled", "culled_at", "id"),
)

# --- cache of storage ---------------------------------------------------------------------

records = Table(
    "records",
    metadata,
    Column(
        "pk", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("id", String(200), nullable=False, unique=True),
    Column("site_id", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("source_id", BigInteger, nullable=False),
    Column("origin", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("author", String(1000), nullable=False),
    Column("parent_id", String(200), nullable=True),
    Column("permalink", String(2000), nullable=True),
    Column("published_at", UTCDateTime, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("first_captured_at", UTCDateTime, nullable=False),
    Column("last_captured_at", UTCDateTime, nullable=False),
    Column("latest_version", Integer, nullable=False),
    Column("latest_sha256", String(64), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("personal_sha256", String(64), nullable=True),
    # Each term as "\n{taxonomy}:{name}\n" (see rows.terms_text), for rules scoped by terms.
    Column("terms", Text, nullable=False, server_default=""),
    # PostgreSQL: the terms full text search finds it by (GIN-indexed). Always empty on
    # SQLite, whose FTS5 table `records_fts` is fed by triggers (service/index/fulltext.py).
    Column("search_vector", SearchVector, nullable=True),
    # Set by register entries about the record (service/registers/), not by its versions:
    Column("review", String(20), nullable=True),  # None | pending | cleared | register | secret
    Column("secret", Boolean, nullable=False, server_default=false()),
    Column("case_number", String(100), nullable=True),  # diarienummer, once registered
    Column("registered_at", UTCDateTime, nullable=True),
    Index("ix_records_site_kind_published", "site_id", "kind", "published_at", "pk"),
    Index("ix_records_published", "published_at", "pk"),
    Index("ix_records_captured", "first_captured_at", "pk"),
    Index("ix_records_parent", "parent_id"),
    Index("ix_records_author", "author"),
    Index("ix_records_review", "review"),
    Index("ix_records_case_number", "case_number"),
)

record_versions = Table(
    "record_versions",
    metadata,
    Column("record_id", String(200), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("webhook_id", String(128), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("site_id", String(40), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("captured_at", UTCDateTime, nullable=False),
    Column("storage_key", String(500), nullable=False),
    Index("ix_record_versions_site_captured", "site_id", "captured_at"),
)

record_events = Table(
    "record_events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("record_id", String(200), nullable=False, index=True),
    Column("webhook_id", String(128), nullable=False),
    Column("type", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("previous_status", String(20), nullable=True),
    Column("version", Integer, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("captured_at", UTCDateTime, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_key", String(500), nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("site_id", String(40), primary_key=True),
    Column("webhook_id", String(128), primary_key=True),
    Column("record_id", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("event_id", String(40), nullable=True),
)

changes = Table(
    "changes",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    # Register entries about no one record (a hold on a query) have neither.
    Column("site_id", String(40), nullable=True),
    Column("record_id", String(200), nullable=True),
    # "version" | "event", or a register family's entry about records ("review", "hold", …)
    Column("change", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("event_id", String(40), nullable=True),
    Column("event_type", String(40), nullable=False),
    Column("captured_at", UTCDateTime, nullable=False),
    Index("ix_changes_site_seq", "site_id", "seq"),
)

# Tables `reindex` empties and rebuilds, children first.
CACHE_TABLES = (changes, deliveries, record_events, record_versions, records)

# --- secrecy review and registration (registers about records) ------------------------------

# A record's secrecy review at its latest revision (service/secrecy/review.py).
reviews = Table(
    "reviews",
    metadata,
    Column("id", String(200), primary_key=True),  # the record's id
    Column("revision", Integer, nullable=False),
    Column("site_id", String(40), nullable=False),
    Column("state", String(20), nullable=False),  # pending | cleared | register | secret
    Column("version", Integer, nullable=False),  # the record version it is about
    Column("findings", Text, nullable=False),  # JSON: reason, field, masked match, term
    Column("flagged_at", UTCDateTime, nullable=True),
    Column("note", Text, nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Index("ix_reviews_state_recorded", "state", "recorded_at"),
)

# A record's entry in the registry system (diarium), written back by it
# (service/registration.py).
registrations = Table(
    "registrations",
    metadata,
    Column("id", String(200), primary_key=True),  # the record's id
    Column("revision", Integer, nullable=False),
    Column("case_number", String(100), nullable=False),
    Column("case_title", Text, nullable=True),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("registered_by", String(200), nullable=True),
    Column("version", Integer, nullable=False),  # the record's latest version when registered
    Column("recorded_at", UTCDateTime, nullable=False),
)

# Every read hides secret records unless the caller may see them (index/queries.py).
Index("ix_records_secret", records.c.secret)
# --- jobs ---------------------------------------------------------------------------------
# Operational state, not archive content: `reindex` neither empties nor rebuilds it (a job's
# lasting output, e.g. a snapshot's manifest, is in storage). See service/jobs/.

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("site_id", String(40), nullable=True),
    Column("params", JSON, nullable=False),
    Column(
        "state", String(20), nullable=False
    ),  # queued | running | succeeded | failed | cancelled
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("lease_owner", String(300), nullable=True),  # host:pid:uuid of the worker
    Column("lease_expires_at", UTCDateTime, nullable=True),
    Column("progress_done", BigInteger, nullable=False),
    Column("progress_total", BigInteger, nullable=True),
    Column("progress_note", String(500), nullable=True),
    Column("checkpoint", JSON, nullable=True),  # where a resumed run continues
    Column("result", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("not_before", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("created_by", String(300), nullable=True),
    # A schedule's job for one period ("snapshot:{site}:{period start}"): enqueued once.
    Column("dedupe_key", String(300), nullable=True, unique=True),
    Index("ix_jobs_state_not_before", "state", "not_before"),
    Index("ix_jobs_kind_state", "kind", "state"),
    Index("ix_jobs_site_id", "site_id"),
)

# --- audit trail --------------------------------------------------------------------------

# One row per entry of the audit trail (service/audit/), inserted when its batch is written to
# storage at `batch_key`. Rows from before migration 0005 have no batch and are not in storage.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", String(26), primary_key=True),  # ULID
    Column("at", UTCDateTime, nullable=False),
    Column("action", String(100), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("actor_kind", String(20), nullable=False),
    Column("actor_name", String(300), nullable=False),
    Column("actor_id", String(40), nullable=True),
    Column("address", String(100), nullable=True),
    Column("details", Text, nullable=True),  # JSON
    Column("request_id", String(100), nullable=True),
    Column("batch_key", String(500), nullable=True),
    Index("ix_audit_log_at", "at", "id"),
    Index("ix_audit_log_action", "action"),
    Index("ix_audit_log_actor_id", "actor_id"),
    Index("ix_audit_log_subject", "subject"),
)

# --- integrity ------------------------------------------------------------------------------
# Where each stored object sits in the tamper-evident log (service/integrity/): a projection
# of the log's entry bundles in storage, caught up from them whenever it lags behind.

log_leaves = Table(
    "log_leaves",
    metadata,
    Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
    Column("object_key", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Index("ix_log_leaves_object_key", "object_key"),
)

# One sequencer at a time: the holder renews its lease while it integrates pending leaves.
# Operational state like `jobs` (the log itself cannot fork: its sequence is put_new).
log_sequencer = Table(
    "log_sequencer",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(300), nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),
)

# --- snapshots ------------------------------------------------------------------------------
# One row per finished snapshot, projected from its manifest (`sites/{site}/snapshots/{id}/
# manifest.json`); `reindex` rebuilds it. Snapshots still running are jobs, not rows here.

snapshots = Table(
    "snapshots",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("site_id", String(40), nullable=False),
    Column("site_url", String(2000), nullable=False),  # the origin crawled, as it was then
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=False),
    Column("pages", BigInteger, nullable=False),
    Column("requisites", BigInteger, nullable=False),
    Column("responses", BigInteger, nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("errors", BigInteger, nullable=False),
    Column("refusals", BigInteger, nullable=False),
    Column("limits_hit", JSON, nullable=False),  # the limits that ended the crawl early
    Column("manifest_key", String(1000), nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("warc_key", String(1000), nullable=False),
    Column("warc_size", BigInteger, nullable=False),
    Column("warc_sha256", String(64), nullable=False),
    Column("cdxj_key", String(1000), nullable=False),
    Column("cdxj_size", BigInteger, nullable=False),
    Column("cdxj_sha256", String(64), nullable=False),
    Index("ix_snapshots_site_id_ended_at", "site_id", "ended_at"),
)

# --- exports --------------------------------------------------------------------------------
# One row per export (a disclosure for a public-access request), at its latest revision in
# `authority/exports/{id}/` (service/exports/register.py); `reindex` rebuilds it.

exports = Table(
    "exports",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("kind", String(20), nullable=False),  # disclosure
    Column("state", String(20), nullable=False),  # requested | finished | failed
    Column("requested_at", UTCDateTime, nullable=False),
    Column("requested_by", String(300), nullable=False),
    # The site a site-limited requester was limited to (its exports are that site's).
    Column("site_id", String(40), nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("document", JSON, nullable=False),  # the latest revision, as stored
    Index("ix_exports_requested_at", "requested_at", "id"),
)
