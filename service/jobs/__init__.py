"""Long work as jobs with leases: snapshots, backfills, reconciliation, culling runs, exports.

A job lives in the `jobs` table. A worker (`offentlig worker`) claims a due job by setting a
lease on it in one statement, renews the lease while the job's handler runs, and records the
outcome; several instances on one database never run one job twice, and a run whose worker
died is taken up again, from its last checkpoint, once its lease has expired.

Jobs are operational state, not archive content: `offentlig reindex` neither empties nor
rebuilds the table. A job's lasting output (a snapshot's WARC and manifest, a culling run's
log entries) is written to object storage by its handler, as everything the archive keeps is.
"""
