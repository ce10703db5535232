"""Applies what is due when terms end; meant for cron (see README), safe to run twice at once."""

from collections import Counter
from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from subscriptions.models import PhoneNumber, Subscription
from subscriptions.services import number_release_after_hold, subscription_apply_term_end


class Command(BaseCommand):
    help = (
        "End scheduled cancellations, start scheduled downgrades and renew the rest of the "
        "subscriptions whose term has ended; release cancelled numbers past their hold."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today", type=date.fromisoformat, help="Act as if today were this date (YYYY-MM-DD)."
        )

    def handle(self, *args, today: date | None = None, **options):
        today = today or timezone.localdate()
        done: Counter[str] = Counter()
        due = (
            Subscription.objects.filter(term_end__lt=today)
            .exclude(state=Subscription.State.CANCELLED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # Each subscription is its own transaction with a row lock; rows another copy holds
        # are skipped, and a row already handled no longer matches.
        for subscription_id in list(due):
            outcome = subscription_apply_term_end(subscription_id=subscription_id, today=today)
            done[outcome or "skipped"] += 1
        held = (
            PhoneNumber.objects.filter(subscription__state=Subscription.State.CANCELLED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for number_id in list(held):
            if number_release_after_hold(phone_number_id=number_id, today=today):
                done["numbers released"] += 1
        summary = ", ".join(
            f"{done[key]} {key}"
            for key in ("cancelled", "downgraded", "renewed", "numbers released", "skipped")
        )
        self.stdout.write(f"Term ends for {today.isoformat()}: {summary}.")
