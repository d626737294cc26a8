"""Each site's snapshot schedule (DOMAIN rule 8: about every half year, and on demand).

The schedule is the site's `snapshot_every` (service/jobs/site_schedules.py): absent means
the default, `P6M`, so one `snapshot` job per site between 1 January and 30 June and one
between 1 July and 31 December; `"off"` means no scheduled snapshots (on-demand ones still
run).
"""

from __future__ import annotations

from service.jobs.site_schedules import OFF, SiteSchedule

KIND = "snapshot"
DEFAULT_EVERY = "P6M"
SNAPSHOTS = SiteSchedule(KIND, "snapshot_every", DEFAULT_EVERY, "set-snapshot-schedule")

# What the API, the CLI and the job use.
effective = SNAPSHOTS.effective
next_due = SNAPSHOTS.next_due
change_schedule = SNAPSHOTS.change
plan_snapshots = SNAPSHOTS.plan
__all__ = ["DEFAULT_EVERY", "KIND", "OFF", "SNAPSHOTS", "change_schedule", "effective", "next_due"]
