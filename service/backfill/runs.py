"""What the API, the CLI and the jobs do alike: set a site's WordPress account (audited),
backfill it, reconcile it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from service.auth.actor import Actor
from service.backfill.backfill import BackfillReport, run_backfill
from service.backfill.pipeline import DEFAULT_PAGE_SIZE, DEFAULT_WORKERS, Checkpoint, Progress
from service.backfill.reconcile import Findings, archived_records, run_reconciliation
from service.backfill.reports import ReconciliationReports
from service.capture.ports import Site
from service.capture.snapshot import iso
from service.errors import Conflict
from service.sites.account import WordPressAccount, checked_account, opened
from service.wordpress.port import WordPressSite

if TYPE_CHECKING:
    from service.services import Services


def set_account(
    svc: Services,
    site_id: str,
    username: str,
    app_password: str,
    personal_data: Sequence[str],
    *,
    actor: Actor,
    request_id: str | None = None,
) -> dict[str, Any]:
    """Check the account against the site (who it is, its role), then keep it."""
    site, _ = svc.sites.account(site_id)
    account = WordPressAccount(username, app_password, tuple(personal_data))
    found = checked_account(svc.wordpress, site.url, account)
    svc.sites.set_account(site_id, account, actor=actor)
    svc.audit.record(
        "site.account-set",
        site_id,
        actor=actor,
        details={"username": username, "roles": list(found.roles)},
        decision=True,
        request_id=request_id,
    )
    return {
        "site_id": site_id,
        "username": username,
        "display_name": found.display_name,
        "roles": list(found.roles),
        "personal_data": list(account.personal_data),
    }


NO_ACCOUNT = (
    "Site {site_id} has no WordPress account to read it with: set one first "
    "(PUT /v1/sites/{{id}}/wordpress-account, or `offentlig sites set-account`)."
)


@contextmanager
def reading(svc: Services, site_id: str) -> Iterator[tuple[Site, WordPressSite, WordPressAccount]]:
    site, account = svc.sites.account(site_id)
    if account is None:
        raise Conflict(NO_ACCOUNT.format(site_id=site_id))
    with opened(svc.wordpress, site.url, account) as wordpress:
        yield site, wordpress, account


def backfill(
    svc: Services,
    site_id: str,
    *,
    run_id: str | None = None,
    report: BackfillReport | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    resume_from: Mapping[str, int] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    workers: int = DEFAULT_WORKERS,
) -> BackfillReport:
    """Backfill the site now, in this thread (the `backfill` job's work). A job passes its
    `checkpoint`, and when it resumes, the `resume_from` and `report` it had saved."""
    run_id = run_id or svc.recorder.new_id()
    with reading(svc, site_id) as (site, wordpress, account):
        return run_backfill(
            site, wordpress, svc.recorder, run_id, progress, checkpoint, resume_from,
            report=report, personal_data=account.personal_data, page_size=page_size,
            workers=workers,
        )  # fmt: skip


def reconcile(
    svc: Services,
    site_id: str,
    *,
    recorded_by: Actor,
    run_id: str | None = None,
    findings: Findings | None = None,
    progress: Progress | None = None,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
    resume_from: Mapping[str, int] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    workers: int = DEFAULT_WORKERS,
) -> dict[str, Any]:
    """Reconcile the site now, in this thread (the `reconcile` job's work), and keep the
    report; the sealed report. `findings` start as the archive's view of the site, unless a
    resumed job passes what it had found."""
    run_id = run_id or svc.recorder.new_id()
    with reading(svc, site_id) as (site, wordpress, account):
        found = findings or Findings(
            archived_records(svc.engine, site.id), started_at=iso(svc.clock())
        )
        report = run_reconciliation(
            site, wordpress, svc.recorder, found, run_id, progress, checkpoint=checkpoint,
            resume_from=resume_from, personal_data=account.personal_data,
            page_size=page_size, workers=workers,
        )  # fmt: skip
    report["recorded_by"] = recorded_by.as_dict()
    return ReconciliationReports(svc.storage).save(report)
