"""Reconciliation reports: sealed documents in storage, listed from storage (nothing to
rebuild on `reindex`).

    sites/{site}/reconciliations/{run id}.json     offentlig.reconciliation-report/1

Run ids are ULIDs, so the keys sort oldest first."""

from __future__ import annotations

from typing import Any

from service.errors import NotFound
from service.records import keys
from service.records.canonical import seal, verify_stored
from service.storage.port import ObjectStore

SUMMARY = ("schema", "id", "site_id", "started_at", "finished_at", "counts", "sha256")


def reports_prefix(site_id: str) -> str:
    return f"{keys.site_prefix(site_id)}reconciliations/"


def report_key(site_id: str, run_id: str) -> str:
    return f"{reports_prefix(site_id)}{run_id}.json"


class ReconciliationReports:
    def __init__(self, storage: ObjectStore):
        self.storage = storage

    def save(self, report: dict[str, Any]) -> dict[str, Any]:
        sealed, data = seal(report)
        self.storage.put_new(report_key(report["site_id"], report["id"]), data)
        return sealed

    def newest(self, site_id: str, limit: int) -> list[dict[str, Any]]:
        """The newest `limit` reports, newest first, without their lists of record ids."""
        found = sorted(self.storage.list(reports_prefix(site_id)), reverse=True)[:limit]
        return [{name: self._load(key)[name] for name in SUMMARY} for key in found]

    def latest(self, site_id: str) -> dict[str, Any]:
        found = sorted(self.storage.list(reports_prefix(site_id)), reverse=True)[:1]
        if not found:
            raise NotFound(f"Site {site_id!r} has not been reconciled yet.")
        return self._load(found[0])

    def _load(self, key: str) -> dict[str, Any]:
        return verify_stored(self.storage.get(key), key)
