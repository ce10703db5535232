"""Members vote on help articles."""

from django.db import transaction

from accounts.models import Membership
from core.audit import AuditAction, audit_record
from support.models import ArticleVote, HelpArticle


@transaction.atomic
def article_vote(
    *,
    article: HelpArticle,
    membership: Membership,
    helpful: bool,
    comment: str = "",
    ip_address: str | None = None,
) -> ArticleVote:
    """A13: one vote per member per article; voting again changes it."""
    vote, created = ArticleVote.objects.select_for_update().update_or_create(
        article=article,
        user=membership.user,
        defaults={"helpful": helpful, "comment": comment.strip()[:1000]},
    )
    audit_record(
        action=AuditAction.HELP_VOTED if created else AuditAction.HELP_VOTE_CHANGED,
        organization=membership.organization,
        actor=membership.user,
        target=article,
        after={"helpful": helpful, "comment": bool(vote.comment)},
        ip_address=ip_address,
    )
    return vote
