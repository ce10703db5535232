"""Delivers the e-mails waiting in the outbox: once (from cron, every minute), or
continuously with --follow (the relay, when EMAIL_RELAY leaves delivery to it)."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from portal.emails import outbox_flush


class Command(BaseCommand):
    help = (
        "Deliver the e-mails waiting in the outbox (a failed one again after its back-off); "
        "with --follow, keep doing so until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--follow",
            action="store_true",
            help="keep delivering, looking for new e-mails every --interval seconds, until "
            "SIGTERM or Ctrl-C (run it as a service beside the web server with EMAIL_RELAY)",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between two looks at the outbox with --follow (default 1)",
        )

    def handle(self, *args, follow: bool, interval: float, **options):
        if not follow:
            sent, failed = outbox_flush()
            self.stdout.write(f"Outbox: {sent} sent, {failed} still failing.")
            return
        if not 0.05 <= interval <= 3600:
            raise CommandError("--interval must be between 0.05 and 3600 seconds.")
        stopping = threading.Event()
        previous = {
            signum: signal.signal(signum, lambda *_: stopping.set())
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            self._follow(interval, stopping)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _follow(self, interval: float, stopping: threading.Event) -> None:
        self.stdout.write(f"Following the outbox every {interval:g} s; stop with SIGTERM.")
        self.stdout.flush()
        total = 0
        while not stopping.is_set():
            close_old_connections()  # a long-lived process: honour CONN_MAX_AGE, drop broken
            sent, failed = outbox_flush()
            total += sent
            if sent or failed:
                self.stdout.write(f"Outbox: {sent} sent, {failed} still failing.")
                self.stdout.flush()
            stopping.wait(interval)
        self.stdout.write(f"Stopped; {total} sent in all.")
