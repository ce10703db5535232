"""Jobs from cron that survive a bad row: each row in its own transaction, a row that
raises is recorded (`JobFailure`) and skipped, and the run (`JobRun`) is kept for staff."""

import logging
from collections import Counter
from collections.abc import Callable

from django.db import models, transaction
from django.utils import timezone

from core.models import JobFailure, JobRun

logger = logging.getLogger("portal.jobs")

FAILED = "failed"


class JobRunner:
    """One run of `job`: `row()` does the work of one row, `finish()` records the counts.

    A row's work runs inside `transaction.atomic`, so a row that raises leaves nothing of
    itself written; the run records which row and the error's type and message (never a
    traceback or values), logs it, and goes on with the next row."""

    def __init__(self, *, job: str):
        self.run = JobRun.objects.create(job=job)
        self.counts: Counter[str] = Counter()

    def row(self, *, model: type[models.Model], pk, work: Callable[[], str | None]) -> str | None:
        """What `work()` returned (an outcome, counted unless None), or None if it raised."""
        try:
            with transaction.atomic():
                outcome = work()
        except Exception as error:  # any row's failure is recorded; the run goes on
            self._failed(model=model, pk=pk, error=error)
            return None
        if outcome:
            self.counts[outcome] += 1
        return outcome

    def _failed(self, *, model: type[models.Model], pk, error: Exception) -> None:
        self.counts[FAILED] += 1
        JobFailure.objects.create(
            run=self.run,
            target_type=model._meta.label,
            target_id=str(pk),
            target_repr=_name(model, pk),
            error=f"{type(error).__name__}: {error}"[:500],
        )
        logger.warning(
            "job row failed",
            extra={
                "job": self.run.job,
                "run_id": self.run.pk,
                "target_type": model._meta.label,
                "target_id": str(pk),
                "error": type(error).__name__,
            },
        )

    def finish(self) -> JobRun:
        self.run.counts = dict(self.counts)
        self.run.finished_at = timezone.now()
        self.run.save(update_fields=["counts", "finished_at"])
        return self.run


def _name(model: type[models.Model], pk) -> str:
    """The row's name for staff, or nothing if the row is gone or cannot even be named
    (the bad data may be what names it)."""
    try:
        row = model._default_manager.filter(pk=pk).first()
        return str(row)[:200] if row is not None else ""
    except Exception:
        return ""
