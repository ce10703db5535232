"""Applies what is due when terms end; meant for cron (see README), safe to run twice at once."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.jobs import FAILED, JobRunner
from subscriptions.models import PhoneNumber, Subscription
from subscriptions.services import number_release_after_hold, subscription_apply_term_end

JOB = "process_term_ends"


class Command(BaseCommand):
    help = (
        "End scheduled cancellations, start scheduled downgrades and renew the rest of the "
        "subscriptions whose term has ended; release cancelled numbers past their hold. "
        "A subscription that fails is skipped and recorded (Job runs in admin), and the "
        "command exits non-zero; the next run tries it again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today", type=date.fromisoformat, help="Act as if today were this date (YYYY-MM-DD)."
        )

    def handle(self, *args, today: date | None = None, **options):
        today = today or timezone.localdate()
        runner = JobRunner(job=JOB)
        due = (
            Subscription.objects.filter(term_end__lt=today)
            .exclude(state=Subscription.State.CANCELLED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # Each subscription is its own transaction with a row lock; rows another copy holds
        # are skipped, a row already handled no longer matches, and a row that fails is
        # rolled back, recorded and left for the next run.
        for subscription_id in list(due):
            runner.row(
                model=Subscription,
                pk=subscription_id,
                work=lambda pk=subscription_id: (
                    subscription_apply_term_end(subscription_id=pk, today=today) or "skipped"
                ),
            )
        held = (
            PhoneNumber.objects.filter(subscription__state=Subscription.State.CANCELLED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for number_id in list(held):
            runner.row(
                model=PhoneNumber,
                pk=number_id,
                work=lambda pk=number_id: (
                    "numbers released"
                    if number_release_after_hold(phone_number_id=pk, today=today)
                    else None
                ),
            )
        run = runner.finish()
        summary = ", ".join(
            f"{run.counts.get(key, 0)} {key}"
            for key in ("cancelled", "downgraded", "renewed", "numbers released", "skipped", FAILED)
        )
        self.stdout.write(f"Term ends for {today.isoformat()}: {summary}.")
        if run.failed:
            raise CommandError(
                f"{run.failed} failed and were skipped; the errors are in admin "
                f"(Job runs, run {run.pk}), and the next run tries them again."
            )
