"""Delivers the e-mails still waiting in the outbox; run it every minute from cron."""

from django.core.management.base import BaseCommand

from portal.emails import outbox_flush


class Command(BaseCommand):
    help = "Retry the e-mails whose delivery failed (with back-off)."

    def handle(self, *args, **options):
        sent, failed = outbox_flush()
        self.stdout.write(f"Outbox: {sent} sent, {failed} still failing.")
