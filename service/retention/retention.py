"""The retention parts, built once per process and shared by the API and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from service.audit.trail import AuditTrail
from service.retention.culling import Culler
from service.retention.forecast import CullingForecast
from service.retention.holds import LegalHolds
from service.retention.log import CullingLog
from service.retention.rulebook import CullingRules
from service.retention.runs import CullingRuns
from service.storage.port import ObjectStore


@dataclass
class Retention:
    rules: CullingRules
    holds: LegalHolds
    runs: CullingRuns
    log: CullingLog
    forecast: CullingForecast

    @classmethod
    def build(
        cls,
        engine: Engine,
        storage: ObjectStore,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        audit: AuditTrail,
        *,
        bypass_governance: bool = False,
    ) -> Retention:
        rules = CullingRules(engine, storage, clock, new_id, audit)
        holds = LegalHolds(engine, storage, clock, new_id, audit)
        culler = Culler(engine, storage, clock, audit, bypass_governance=bypass_governance)
        runs = CullingRuns(engine, clock, new_id, audit, rules, holds, culler)
        return cls(rules, holds, runs, culler.log, CullingForecast(engine, rules, holds, clock))
