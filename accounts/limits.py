"""Per-member limits on how often a change is made in an hour: counted from the audit log
(every change has its event) under a lock on the member's membership row, so requests
running at the same moment cannot together go past a limit."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import Membership
from core.errors import TooOften
from core.models import AuditEvent

WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class MemberLimit:
    """At most `settings.<setting>` changes of `actions` per member and hour; `what` names
    them in the member's words, plural ("replies")."""

    what: str
    actions: tuple[str, ...]
    setting: str

    @property
    def per_hour(self) -> int:
        return getattr(settings, self.setting)


def member_limit_check(membership: Membership, limit: MemberLimit, *, lock: bool = True) -> None:
    """Refuse (`TooOften`) when the member made `limit.per_hour` of its changes in the last
    hour. With `lock` (inside a service's transaction, before it writes) the membership row
    stays locked until the change commits, so the next request of the same member counts
    it: the slot is held before the change is made. Without (a view's early answer) it only
    reads."""
    if lock:
        Membership.objects.select_for_update().filter(pk=membership.pk).values_list("pk").get()
    since = timezone.now() - WINDOW
    recent = AuditEvent.objects.filter(
        organization_id=membership.organization_id,
        actor_id=membership.user_id,
        action__in=limit.actions,
        created_at__gte=since,
    )
    per_hour = limit.per_hour
    times = list(recent.order_by("created_at").values_list("created_at", flat=True)[:per_hour])
    if len(times) < per_hour:
        return
    # A slot comes free when the oldest of the changes counted leaves the hour.
    free_at = times[0] + WINDOW if times else timezone.now() + WINDOW
    raise TooOften(
        what=limit.what,
        limit=per_hour,
        retry_after=int((free_at - timezone.now()).total_seconds()) + 1,
    )
