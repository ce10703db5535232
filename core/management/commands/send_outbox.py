"""Delivers the e-mails waiting in the outbox: once (from cron, every minute), or
continuously with --follow (the relay, when EMAIL_RELAY leaves delivery to it)."""

import logging
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection

from core.emails import outbox_flush

logger = logging.getLogger("portal.management.commands.send_outbox")  # as operators know it
# How often a stopping relay notices it is asked to stop, however long --interval is.
TICK_SECONDS = 0.05


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
            if failed:
                # Each is retried after its back-off; admin's Outbound e-mails say why.
                raise CommandError(
                    f"{failed} e-mails failed; their errors are in admin (Outbound e-mails)."
                )
            return
        if not 0.05 <= interval <= 3600:
            raise CommandError("--interval must be between 0.05 and 3600 seconds.")
        # A plain flag, not a threading.Event: a handler that takes a lock the interrupted
        # code may hold could hang the process.
        self.stopping = False

        def stop(*_):
            self.stopping = True

        previous = {
            signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            self._follow(interval)
        finally:
            for signum, handler in previous.items():
                # None: a handler not set from Python; the default is what stood before.
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)

    def _follow(self, interval: float) -> None:
        self.stdout.write(f"Following the outbox every {interval:g} s; stop with SIGTERM.")
        self.stdout.flush()
        total = 0
        while not self.stopping:
            close_old_connections()  # a long-lived process: honour CONN_MAX_AGE, drop broken
            try:
                sent, failed = outbox_flush(should_stop=lambda: self.stopping)
            except Exception:
                # The database went away (a restart, a failover): the relay outlives it, and
                # what waits is still in the outbox when it comes back.
                logger.exception("outbox run failed")
                connection.close()
                sent = failed = 0
            total += sent
            if sent or failed:
                self.stdout.write(f"Outbox: {sent} sent, {failed} still failing.")
                self.stdout.flush()
            waited = 0.0
            while waited < interval and not self.stopping:
                time.sleep(min(TICK_SECONDS, interval - waited))
                waited += TICK_SECONDS
        self.stdout.write(f"Stopped; {total} sent in all.")
