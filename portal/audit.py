"""Writes audit events; call it inside the transaction of the change it records.

Every change is recorded here, so this is also where the figures kept about an
organization (`portal.org_cache`) learn that it changed: by default in every topic;
a caller that knows its change touched less (a switch, a renewal) names the topics.
"""

from collections.abc import Iterable

from django.db import models as django_models

from portal import org_cache
from portal.models import AuditEvent
from portal.org_cache import EVERY_TOPIC, Topic


def audit_record(
    *,
    action: str,
    organization=None,
    actor=None,
    target: django_models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    ip_address: str | None = None,
    changed: Iterable[Topic] = EVERY_TOPIC,
) -> AuditEvent:
    event = AuditEvent.objects.create(
        action=action,
        organization=organization,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_email=getattr(actor, "email", "") or "",
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        before=before or {},
        after=after or {},
        ip_address=ip_address,
    )
    # After the event is written: outside a transaction the mark takes effect at once,
    # and a page drawn in between must not be kept without the event.
    org_cache.mark_changed(organization.pk if organization is not None else None, topics=changed)
    return event
