"""Staff's admin: every changelist and change page runs as many queries with 1,000 rows as
with 10, for every model the admin site registers (a model registered later is covered, or
this test says which model it cannot grow yet)."""

import re
from collections import Counter
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Organization, Role, User
from core.models import AuditEvent, JobFailure, JobRun, OutboundEmail
from subscriptions.models import (
    BlockedNumber,
    CancellationFeedback,
    PhoneNumber,
    Product,
    SpareNumber,
    Subscription,
)
from support.models import (
    ArticleVote,
    Attachment,
    Case,
    CaseSubscription,
    HelpArticle,
    HelpCategory,
    Message,
    Quote,
)
from tests.factories import CaseFactory, PhoneNumberFactory

pytestmark = pytest.mark.django_db


class World:
    """Rows of every registered model, grown in steps: every list and every related list
    the change pages show (members, messages, blocked numbers, ...) grows with each step,
    around one object per model whose change page is opened."""

    def __init__(self):
        self.size = 0
        self.hub: dict = {}

    def grow(self, to: int) -> None:
        start, self.size = self.size, to
        numbers = range(start, to)
        today = timezone.localdate()
        if not self.hub:
            self._hubs(today)
        hub = self.hub
        users = User.objects.bulk_create(
            User(email=f"user{i}@grow.example", full_name=f"User {i}", password="!")
            for i in numbers
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
        )
        Authenticator.objects.bulk_create(
            Authenticator(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
            for user in users
        )
        UserSession.objects.bulk_create(
            UserSession(
                user=user,
                ip="192.0.2.1",
                session_key=f"session{user.pk}",
                user_agent="test",
                last_seen_at=timezone.now(),
            )
            for user in users
        )
        Group.objects.bulk_create(Group(name=f"Group {i}") for i in numbers)
        organizations = Organization.objects.bulk_create(
            Organization(name=f"Org {i}", account_id=f"AC-{300000 + i}") for i in numbers
        )
        Membership.objects.bulk_create(
            Membership(user=user, organization=hub["organization"], role=Role.MEMBER)
            for user in users
        )
        Membership.objects.bulk_create(
            Membership(user=user, organization=organization, role=Role.SUPER_ADMIN)
            for user, organization in zip(users, organizations, strict=True)
        )
        Invitation.objects.bulk_create(
            Invitation(organization=hub["organization"], email=f"invitee{i}@grow.example")
            for i in numbers
        )
        Product.objects.bulk_create(
            Product(name=f"Plan {i}", kind=Product.Kind.SIP_TRUNK, price="10.00") for i in numbers
        )
        subscriptions = Subscription.objects.bulk_create(
            Subscription(
                organization=hub["organization"],
                product=hub["line_product"],
                term_start=today,
                term_end=today + timedelta(days=30),
                assigned_to=user,
            )
            for user in users
        )
        PhoneNumber.objects.bulk_create(
            PhoneNumber(
                subscription=subscription,
                organization=hub["organization"],
                e164=f"+1415{i:07d}",
                country="US",
            )
            for i, subscription in zip(numbers, subscriptions, strict=True)
        )
        BlockedNumber.objects.bulk_create(
            BlockedNumber(phone_number=hub["phonenumber"], e164=f"+1212{i:07d}") for i in numbers
        )
        SpareNumber.objects.bulk_create(
            SpareNumber(e164=f"+1646{i:07d}", country="US") for i in numbers
        )
        CancellationFeedback.objects.bulk_create(
            CancellationFeedback(subscription=subscription, member=subscription.assigned_to)
            for subscription in subscriptions
        )
        cases = Case.objects.bulk_create(
            Case(organization=hub["organization"], opened_by=user, subject=f"Question {i}")
            for i, user in zip(numbers, users, strict=True)
        )
        CaseSubscription.objects.bulk_create(
            CaseSubscription(case=hub["case"], subscription=subscription, action="cancel")
            for subscription in subscriptions
        )
        CaseSubscription.objects.bulk_create(
            CaseSubscription(case=case, subscription=subscription, action="cancel")
            for case, subscription in zip(cases, subscriptions, strict=True)
        )
        messages = Message.objects.bulk_create(
            Message(case=hub["case"], author=user, author_name=user.full_name, body=f"Hi {i}")
            for i, user in zip(numbers, users, strict=True)
        )
        Attachment.objects.bulk_create(
            Attachment(message=message, file="a.pdf", original_name="a.pdf", size=1)
            for message in messages
        )
        Quote.objects.bulk_create(
            Quote(
                case=hub["case"],
                product=hub["line_product"],
                description="A quote",
                price="1.00",
                valid_until=today,
                state=Quote.State.WITHDRAWN,
                sent_by=hub["staff"],
            )
            for _ in numbers
        )
        categories = HelpCategory.objects.bulk_create(
            HelpCategory(name=f"Category {i}", slug=f"category-{i}", position=i) for i in numbers
        )
        HelpArticle.objects.bulk_create(
            HelpArticle(category=category, title=f"Article {i}", slug=f"article-{i}", body="b")
            for i, category in zip(numbers, categories, strict=True)
        )
        ArticleVote.objects.bulk_create(
            ArticleVote(article=hub["helparticle"], user=user, helpful=True) for user in users
        )
        AuditEvent.objects.bulk_create(
            AuditEvent(organization=hub["organization"], actor=user, action="team.invited")
            for user in users
        )
        OutboundEmail.objects.bulk_create(
            OutboundEmail(template="t", to=[user.email], subject="s", body_text="b", body_html="b")
            for user in users
        )
        JobRun.objects.bulk_create(
            JobRun(job="process_term_ends", finished_at=timezone.now(), counts={"done": i})
            for i in numbers
        )
        JobFailure.objects.bulk_create(
            JobFailure(
                run=hub["jobrun"],
                target_type="subscription",
                target_id=str(subscription.pk),
                target_repr=str(subscription.pk),
                error="ValueError: bad row",
            )
            for subscription in subscriptions
        )

    def _hubs(self, today) -> None:
        staff = User.objects.create(email="hub-staff@grow.example", is_staff=True, password="!")
        organization = Organization.objects.create(name="Big Co", account_id="AC-299999")
        owner = User.objects.create(email="hub-owner@grow.example", password="!")
        line_product = Product.objects.create(name="Line", kind=Product.Kind.LINE, price="5.00")
        line = Subscription.objects.create(
            organization=organization,
            product=line_product,
            term_start=today,
            term_end=today + timedelta(days=30),
        )
        case = Case.objects.create(organization=organization, opened_by=owner, subject="Hub")
        category = HelpCategory.objects.create(name="Hub", slug="hub")
        group = Group.objects.create(name="Hub")
        group.permissions.set(Permission.objects.all())
        self.hub = {
            "staff": staff,
            "organization": organization,
            "line_product": line_product,
            "subscription": line,
            "phonenumber": PhoneNumber.objects.create(
                subscription=line, organization=organization, e164="+14159999999", country="US"
            ),
            "membership": Membership.objects.create(
                user=owner, organization=organization, role=Role.SUPER_ADMIN
            ),
            "case": case,
            "helpcategory": category,
            "helparticle": HelpArticle.objects.create(
                category=category, title="Hub", slug="hub", body="b"
            ),
            "user": owner,
            "group": group,
            "product": line_product,
            "jobrun": JobRun.objects.create(job="process_term_ends", finished_at=timezone.now()),
        }

    def object_for(self, model):
        """The object of `model` whose change page is opened: the hub, or its first row."""
        found = self.hub.get(model._meta.model_name)
        return found if found is not None else model._default_manager.order_by("pk").first()


def admin_pages(world: World) -> list[tuple[str, str]]:
    """Every registered model's changelist and the change page of one of its rows."""
    pages = []
    for model in admin.site._registry:
        opts = model._meta
        pages.append(
            (f"{opts.label} list", reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        )
        obj = world.object_for(model)
        assert obj is not None, f"grow() makes no {opts.label}: teach World to make some"
        pages.append(
            (
                f"{opts.label} page",
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
            )
        )
    return pages


def queries_of(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [query["sql"] for query in captured.captured_queries]


def shape(sql: str) -> str:
    """A query without its values, to name the one that repeats."""
    return re.sub(r"\b\d+\b|'[^']*'", "?", sql)


def test_every_admin_page_runs_as_many_queries_with_1000_rows_as_with_10(client, staff):
    world = World()
    world.grow(10)
    client.force_login(staff)
    pages = admin_pages(world)
    for _, url in pages:
        queries_of(client, url)  # warm what a first request caches (content types, ...)
    small = {name: queries_of(client, url) for name, url in pages}
    world.grow(1000)
    grown = {}
    for name, url in pages:
        queries = queries_of(client, url)
        if len(queries) != len(small[name]):
            repeated = Counter(shape(sql) for sql in queries).most_common(1)[0]
            grown[name] = (len(small[name]), len(queries), repeated)
    assert not grown, "\n".join(
        f"{name}: {before} queries at 10 rows, {after} at 1,000; most repeated "
        f"({times}x): {sql[:300]}"
        for name, (before, after, (sql, times)) in grown.items()
    )


def test_staff_searches_of_growing_lists_are_exact_or_prefix_lookups(
    client, staff, organization, other_organization, owner, outsider
):
    mine = PhoneNumberFactory(e164="+14155550123", subscription__organization=organization)
    PhoneNumberFactory(e164="+442079460321", subscription__organization=other_organization)
    case = CaseFactory(organization=organization, opened_by=owner, subject="Router")
    CaseFactory(organization=other_organization, opened_by=outsider, subject="Fax")
    for who, org in ((owner, organization), (outsider, other_organization)):
        AuditEvent.objects.create(organization=org, actor_email=who.email, action="team.invited")
    client.force_login(staff)
    searches = [
        ("core_auditevent", owner.email.upper(), owner.email, outsider.email),
        ("core_auditevent", organization.account_id, owner.email, outsider.email),
        ("support_case", case.reference, "Router", "Fax"),
        ("support_case", owner.email, "Router", "Fax"),
        ("support_case", organization.account_id.lower(), "Router", "Fax"),
        ("subscriptions_subscription", "+1 415 555", mine.e164, "+442079460321"),
        ("subscriptions_phonenumber", "+1415", mine.e164, "+442079460321"),
        ("accounts_organization", organization.account_id, organization.name, "Elsewhere"),
    ]
    for model, term, found, not_found in searches:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse(f"admin:{model}_changelist"), {"q": term})
        content = page.content.decode()
        assert found in content and not_found not in content, (model, term)
        assert not any("LIKE '%" in query["sql"] for query in captured), (model, term)
    queue = client.get(reverse("admin:support_case_changelist")).content.decode()
    assert "By organization" not in queue  # a filter of 2,000 links; searched instead
