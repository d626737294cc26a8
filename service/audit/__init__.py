"""The audit trail: who did what, when, from where — every capture, every read of full
content or personal data (DOMAIN rule 9), every decision and configuration change.

Entries are written to object storage in sealed, append-only batches under
`authority/audit/{YYYY}/{MM}/{DD}/` and projected into the `audit_log` table, which
`offentlig reindex` rebuilds from the batches alone. Decisions are written before `record`
returns; captures and reads are buffered per process and written together (`batches.py`),
so a read does not cost a storage write.
"""
