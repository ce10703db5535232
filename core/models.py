"""The audit log: one append-only event for every change."""

from django.conf import settings
from django.db import models

from core.paging import distinct_values

# Events of staff's own work that customers never see: an internal note on a case.
STAFF_ONLY_ACTIONS = ("support.note_added",)


class AuditEventQuerySet(models.QuerySet):
    def for_activity_page(self, organization):
        """The organization's events with what Activity and Home show of them (not staff's
        own, `STAFF_ONLY_ACTIONS`): who acted is kept as text on the event, so no user is
        joined or loaded."""
        events = self.filter(organization=organization).exclude(action__in=STAFF_ONLY_ACTIONS)
        return events.only(
            "created_at", "actor_email", "action", "target_repr", "before", "after", "ip_address"
        )

    def actions_for_activity_page(self, organization) -> list[str]:
        """The actions Activity's filter offers: those of the organization's events, read
        from the (organization, action) index, but staff's own."""
        actions = distinct_values(self.model, "action", organization_id=organization.pk)
        return [action for action in actions if action not in STAFF_ONLY_ACTIONS]


class AuditEvent(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as text too, so the event still says who acted after the user is deleted.
    actor_email = models.EmailField(blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        # Named when portal held the model: the table stayed when it moved here.
        db_table = "portal_auditevent"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="audit_org_recent"),
            # The Activity filter lists the actions from it (`actions_for_activity_page`);
            # a period's number changes read it (`number_changes_made`).
            models.Index(
                fields=["organization", "action", "-created_at"], name="audit_org_action_recent"
            ),
            # Staff's audit log: every organization's events newest first, and those of
            # one person or one action (admin's search and filter).
            models.Index(fields=["-created_at", "-id"], name="audit_recent"),
            models.Index(fields=["actor_email", "-created_at"], name="audit_actor_recent"),
            models.Index(fields=["action", "-created_at"], name="audit_action_recent"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.action} by {self.actor_email or 'system'} at {self.created_at:%Y-%m-%d %H:%M}"
        )

    def save(self, *args, **kwargs):
        # Append-only: an event, once written, is never rewritten.
        if self.pk is not None and not self._state.adding:
            raise ValueError("Audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events cannot be deleted")


class OutboundEmail(models.Model):
    """An e-mail written with the change it confirms, kept until it is delivered."""

    template = models.CharField(max_length=64)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # What a notice is about ("inbound_recording:phone_number:12"), for notices that are
    # sent once in a while however often their subject changes (`email_topic_recent`).
    topic = models.CharField(max_length=100, blank=True)

    class Meta:
        db_table = "portal_outboundemail"  # as the audit event's
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["topic", "created_at"],
                condition=~models.Q(topic=""),
                name="outbox_topic_recent",
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_waiting",
            ),
            models.Index(fields=["-created_at", "-id"], name="outbox_recent"),  # admin's list
        ]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else f"waiting ({self.attempts} tries)"
        return f"{self.subject} to {', '.join(self.to)}: {state}"


class JobRun(models.Model):
    """One run of a job from cron (`process_term_ends`): when, what it did, what failed."""

    job = models.CharField(max_length=64)
    started_at = models.DateTimeField(auto_now_add=True)
    # Empty while the run goes on, or if it was killed before it finished.
    finished_at = models.DateTimeField(null=True, blank=True)
    # Outcome -> how many rows had it ({"renewed": 3, "failed": 1}).
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["job", "-started_at"], name="jobrun_job_recent")]

    def __str__(self) -> str:
        return f"{self.job} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def failed(self) -> int:
        return self.counts.get("failed", 0)


class JobFailure(models.Model):
    """A row a run skipped because handling it raised; nothing of it was written."""

    run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="failures")
    # The row, named as an audit event names its target.
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=500)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.target_type} {self.target_id}: {self.error}"
