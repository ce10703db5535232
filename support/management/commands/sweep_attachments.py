"""Removes attachment files that no attachment row names (a worker stopped between
storing a file and committing its row leaves one), once they are old enough that no
upload can still be on its way to its row. Run it daily from cron."""

import os
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from support.attachments import attachment_storage
from support.models import Attachment

# The names looked up in one query.
BATCH = 500


class Command(BaseCommand):
    help = (
        "Remove files under ATTACHMENTS_DIR that no attachment row names and that are older "
        "than --older-than-hours (default 24)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-hours",
            type=int,
            default=24,
            help="leave files younger than this alone: their upload may still be committing "
            "(default 24, at least 1)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would go, remove nothing"
        )

    def handle(self, *args, older_than_hours: int, dry_run: bool, **options):
        if older_than_hours < 1:
            raise CommandError("--older-than-hours must be at least 1.")
        cutoff = (timezone.now() - timedelta(hours=older_than_hours)).timestamp()
        removed = kept = freed = 0
        old = list(_old_files(cutoff))
        for start in range(0, len(old), BATCH):
            batch = dict(old[start : start + BATCH])
            named = set(Attachment.objects.filter(file__in=batch).values_list("file", flat=True))
            kept += len(named)
            for name, size in batch.items():
                if name in named:
                    continue
                if dry_run:
                    self.stdout.write(f"Would remove {name} ({filesizeformat(size)})")
                else:
                    attachment_storage().delete(name)
                removed += 1
                freed += size
        verb = "Would remove" if dry_run else "Removed"
        self.stdout.write(
            f"Attachments: {verb} {removed} orphan file"
            f"{'s' if removed != 1 else ''} ({filesizeformat(freed)}); {kept} old file"
            f"{'s' if kept != 1 else ''} with a row kept."
        )


def _old_files(cutoff: float):
    """(name as the rows store it, size) of every file last changed before `cutoff`."""
    root = attachment_storage().location
    for directory, _, files in os.walk(root):
        for file_name in files:
            path = os.path.join(directory, file_name)
            try:
                stat = os.stat(path)
            except FileNotFoundError:  # removed meanwhile
                continue
            if stat.st_mtime < cutoff:
                name = os.path.relpath(path, root).replace(os.sep, "/")
                yield name, stat.st_size
