"""Each site's reconciliation schedule: a site read with a WordPress account is compared
with the archive every period, `P1D` (daily) unless its `reconcile_every` says otherwise
(service/jobs/site_schedules.py), so what no webhook reported is found within a day."""

from __future__ import annotations

from service.jobs.site_schedules import SiteSchedule

BACKFILL = "backfill"
RECONCILE = "reconcile"
DEFAULT_EVERY = "P1D"
RECONCILIATIONS = SiteSchedule(
    RECONCILE, "reconcile_every", DEFAULT_EVERY, "set-reconcile-schedule", needs_account=True
)
