"""Every route of the URLconf, for every persona, against objects of another organization.

The test walks the URLconf itself: a route it does not know fails
`test_every_route_is_classified` until it is added to ROUTES below with what it
is (a page, an action, a public or sign-in page) and the object it takes.
"""

from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Role
from core.models import AuditEvent
from support.models import Attachment, HelpArticle, HelpCategory
from tests.conftest import lazy_fetches_raise, membership_of, reauthenticate
from tests.factories import (
    BlockedNumberFactory,
    CaseFactory,
    InvitationFactory,
    MembershipFactory,
    MessageFactory,
    PhoneNumberFactory,
    ProductFactory,
    QuoteFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

PAGE, ACTION, FORM, PUBLIC, SIGN_IN = "page", "action", "form", "public", "sign-in"
ROLES = {Role.MEMBER: 1, Role.ADMIN: 2, Role.SUPER_ADMIN: 3}


@dataclass(frozen=True)
class Route:
    """kind: PAGE (GET), ACTION (POST only), FORM (GET and POST), PUBLIC (no sign-in),
    SIGN_IN (allauth's own pages). objects: the estate keys its URL arguments come from.
    min_role: the least role the rules admit (None: every member)."""

    kind: str
    objects: tuple[str, ...] = ()
    min_role: str | None = None
    # The object is the provider's, shared by every organization (a help article).
    shared: bool = False


ROUTES = {
    "home": Route(PAGE),
    "activity": Route(PAGE, min_role=Role.SUPER_ADMIN),
    "healthz": Route(PUBLIC),
    "help": Route(PAGE),
    "help_suggest": Route(PAGE),
    "help_article": Route(PAGE, ("article",), shared=True),
    "help_vote": Route(ACTION, ("article",), shared=True),
    "team": Route(PAGE),
    "team_invite": Route(ACTION, min_role=Role.SUPER_ADMIN),
    "invitation_revoke": Route(ACTION, ("invitation",), Role.SUPER_ADMIN),
    # Aimed at a bystander, so the personas keep their roles for the routes after these.
    "member_change_role": Route(ACTION, ("bystander",), Role.SUPER_ADMIN),
    "member_remove": Route(ACTION, ("bystander",), Role.SUPER_ADMIN),
    "invitation_accept": Route(PUBLIC, ("token",)),
    "require_mfa": Route(ACTION, min_role=Role.SUPER_ADMIN),
    "switch_organization": Route(ACTION),
    "numbers": Route(PAGE),
    "numbers_csv": Route(PAGE),
    "number_detail": Route(PAGE, ("number",)),
    "inbound_recording": Route(ACTION, ("number",), Role.ADMIN),
    "calling_mode": Route(ACTION, ("line",)),
    "block_number": Route(ACTION, ("number",), Role.ADMIN),
    "unblock_number": Route(ACTION, ("number", "blocked"), Role.ADMIN),
    "change_number": Route(FORM, ("line",)),
    "licenses": Route(PAGE),
    "assign_license": Route(ACTION, ("license",), Role.SUPER_ADMIN),
    "trunks": Route(PAGE),
    "settings": Route(PAGE),
    "outbound_recording": Route(ACTION, min_role=Role.ADMIN),
    "call_insights": Route(PAGE),
    "number_testing": Route(PAGE),
    "jetpacks": Route(PAGE),
    "member_plans": Route(PAGE, ("membership",), Role.ADMIN),
    "subscription_cancel": Route(FORM, ("plan",), Role.ADMIN),
    "subscription_fix": Route(ACTION, ("line",)),
    "subscription_keep": Route(ACTION, ("plan",), Role.ADMIN),
    "subscription_reactivate": Route(ACTION, ("number",), Role.ADMIN),
    "change_plan": Route(FORM, ("plan",), Role.ADMIN),
    "support": Route(PAGE),
    "case_new": Route(FORM),
    "case_detail": Route(PAGE, ("case",)),
    "case_reply": Route(ACTION, ("case",)),
    "case_close": Route(ACTION, ("case",)),
    # The estate's case was opened by the Member, who therefore manages it too.
    "quote_accept": Route(ACTION, ("case", "quote")),
    "quote_decline": Route(ACTION, ("case", "quote")),
    "attachment_download": Route(PAGE, ("attachment",)),
    "case_request": Route(FORM, ("number", "cancel"), Role.ADMIN),
}
# allauth's sign-in, password, e-mail, MFA and sessions pages: its own tests cover them;
# here they must simply never answer 500 to anyone.
SIGN_IN_ROUTES = {
    "account_login",
    "account_logout",
    "account_inactive",
    "account_signup",
    "account_reauthenticate",
    "account_email",
    "account_email_verification_sent",
    "account_change_password",
    "account_set_password",
    "account_reset_password",
    "account_confirm_login_code",
    "account_confirm_email",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_reset_password_done",
    "mfa_index",
    "mfa_authenticate",
    "mfa_reauthenticate",
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "usersessions_list",
}
PERSONAS = ["anonymous", "member", "admin_user", "owner", "outsider", "staff"]
# Plausible answers to every form, so that a refusal comes from the rules, not from
# missing fields.
POST_DATA = {
    "on": "1",
    "mode": "voice",
    "role": "admin",
    "email": "someone@test.example",
    "reason": "other",
    "detail": "",
    "body": "Hello",
    "e164": "+12125550100",
    "subject": "A question",
    "full_name": "Some One",
    "contact": "someone@test.example",
    "company": "Acme",
    "organization": "0",
    "fix": "block_numbers",
}
# Requiring MFA would send every later request of that organization's admins to set it up.
ROUTE_DATA = {"require_mfa": {"on": "0"}}


def url_names() -> set[str]:
    def walk(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue  # Django admin: staff only, Django's own permissions
                yield from walk(pattern, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield pattern.name

    return set(walk(get_resolver()))


def test_every_route_is_classified():
    unknown = url_names() - set(ROUTES) - SIGN_IN_ROUTES
    assert not unknown, f"Classify these routes in {__file__}: {sorted(unknown)}"
    gone = (set(ROUTES) | SIGN_IN_ROUTES) - url_names()
    assert not gone, f"These routes no longer exist: {sorted(gone)}"


def make_estate(organization, holder, tmp_path, settings) -> dict:
    """One object of each kind in `organization`, with a marker string that must never
    appear in another organization's responses."""
    settings.ATTACHMENTS_DIR = tmp_path / "attachments"
    number = PhoneNumberFactory(
        subscription__organization=organization, subscription__assigned_to=holder
    ).subscription
    line = PhoneNumberFactory(
        subscription__organization=organization,
        subscription__product=ProductFactory(line=True),
        subscription__assigned_to=holder,
    ).subscription
    case = CaseFactory(
        organization=organization,
        opened_by=holder,
        subject=f"Secret subject of {organization.account_id}",
    )
    message = MessageFactory(case=case)
    attachment = Attachment(
        message=message, original_name="secret.txt", content_type="text/plain", size=6
    )
    attachment.file.save("secret.txt", ContentFile(b"secret"), save=True)
    return {
        "number": number.pk,
        "line": line.pk,
        "plan": SubscriptionFactory(
            organization=organization, product=ProductFactory(call_insights=True)
        ).pk,
        "license": SubscriptionFactory(
            organization=organization, product=ProductFactory(user_license=True)
        ).pk,
        "blocked": BlockedNumberFactory(phone_number=number.number).pk,
        "membership": membership_of(holder, organization).pk,
        "bystander": MembershipFactory(organization=organization).pk,
        "invitation": InvitationFactory(organization=organization).pk,
        "token": InvitationFactory(organization=organization).token,
        "case": case.pk,
        "quote": QuoteFactory(case=case).pk,
        "attachment": attachment.pk,
        "cancel": "cancel",
        "article": HelpArticle.objects.get_or_create(
            slug="shared-article",
            defaults={
                "title": "Shared",
                "summary": "s",
                "body": "b",
                "category": HelpCategory.objects.get_or_create(slug="c", name="C")[0],
            },
        )[0].slug,
        "markers": [number.number.e164, line.number.e164, case.subject, holder.email],
    }


@pytest.fixture
def clients(owner, admin_user, member, outsider, staff):
    made = {"anonymous": Client()}
    for name, user in (
        ("member", member),
        ("admin_user", admin_user),
        ("owner", owner),
        ("outsider", outsider),
        ("staff", staff),
    ):
        client = Client()
        client.force_login(user)
        reauthenticate(client)  # sensitive actions should be refused by rule, not by password
        made[name] = client
    return made


def role_of(persona: str) -> str | None:
    return {"member": Role.MEMBER, "admin_user": Role.ADMIN, "owner": Role.SUPER_ADMIN}.get(persona)


def test_every_route_for_every_persona(
    clients, organization, member, other_organization, outsider, tmp_path, settings
):
    ours = make_estate(organization, member, tmp_path, settings)
    checked = 0
    for name, route in sorted(ROUTES.items()):
        if route.kind == PUBLIC:
            continue
        url = reverse(name, args=[ours[key] for key in route.objects])
        methods = {PAGE: ["get"], ACTION: ["get", "post"], FORM: ["get", "post"]}[route.kind]
        for persona in PERSONAS:
            client = clients[persona]
            for method in methods:
                before = AuditEvent.objects.count()
                data = {**POST_DATA, **ROUTE_DATA.get(name, {})}
                if method == "post":
                    response = client.post(url, data)
                else:
                    with lazy_fetches_raise():  # no page reads a relation it did not load
                        response = client.get(url)
                status = response.status_code
                where = f"{method.upper()} {name} as {persona}: {status}"
                assert status < 500, where
                checked += 1
                if route.kind == ACTION and method == "get":
                    assert status == 405, where  # changes are POST only, for everyone
                    continue
                if persona == "anonymous":
                    assert status == 302 and "/accounts/login/" in response["Location"], where
                    continue
                if persona in ("outsider", "staff") and not route.shared:
                    # Not a member of this organization: nothing of it is seen or changed.
                    assert status in ((404, 403) if persona == "staff" else (404,)) or (
                        not route.objects and status in (200, 302, 400, 403)
                    ), where
                    body = response.content.decode(errors="replace")
                    for marker in ours["markers"]:
                        assert marker not in body, f"{where} shows {marker}"
                if persona == "outsider":
                    # A Super Admin elsewhere: may act in their own organization, never on ours.
                    refused = bool(route.objects) and not route.shared
                elif persona == "staff":
                    refused = True  # staff act in Django admin, not as members
                else:
                    refused = bool(route.min_role) and (
                        ROLES[role_of(persona)] < ROLES[route.min_role]
                    )
                if method == "post" and refused:
                    assert AuditEvent.objects.count() == before, f"{where} changed something"
    assert checked > 300


def test_no_change_without_the_csrf_token(organization, owner, member, tmp_path, settings):
    ours = make_estate(organization, member, tmp_path, settings)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    for name, route in sorted(ROUTES.items()):
        if route.kind not in (ACTION, FORM):
            continue
        response = client.post(reverse(name, args=[ours[key] for key in route.objects]))
        assert response.status_code == 403, name
    assert not AuditEvent.objects.exists()


def test_public_routes_never_fail(clients, organization, member, tmp_path, settings):
    ours = make_estate(organization, member, tmp_path, settings)
    for name, route in ROUTES.items():
        if route.kind != PUBLIC:
            continue
        url = reverse(name, args=[ours[key] for key in route.objects])
        for persona in PERSONAS:
            assert clients[persona].get(url).status_code < 500, (name, persona)


def test_sign_in_routes_never_fail(clients):
    for name in sorted(SIGN_IN_ROUTES):
        if name in ("account_confirm_email",):
            url = reverse(name, args=["not-a-key"])
        elif name == "account_reset_password_from_key":
            url = reverse(name, kwargs={"uidb36": "zz", "key": "not-a-key"})
        else:
            url = reverse(name)
        for persona in PERSONAS:
            assert clients[persona].get(url).status_code < 500, (name, persona)


def admin_urls() -> list[str]:
    """A URL of every named route of Django admin, its arguments filled in."""
    values = {"app_label": "accounts"}

    def walk(resolver):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern)
            elif pattern.name:
                names = getattr(pattern.pattern, "converters", None) or (
                    pattern.pattern.regex.groupindex
                )
                yield reverse(
                    f"admin:{pattern.name}", kwargs={name: values.get(name, "1") for name in names}
                )

    (admin,) = [
        pattern
        for pattern in get_resolver().url_patterns
        if isinstance(pattern, URLResolver) and pattern.app_name == "admin"
    ]
    return list(walk(admin))


def test_no_route_answers_put_delete_patch_or_options(
    clients, organization, member, tmp_path, settings
):
    ours = make_estate(organization, member, tmp_path, settings)
    urls = [
        reverse(name, args=[ours[key] for key in route.objects]) for name, route in ROUTES.items()
    ]
    urls += [
        reverse(name, args=["not-a-key"])
        if name == "account_confirm_email"
        else reverse(name, kwargs={"uidb36": "zz", "key": "not-a-key"})
        if name == "account_reset_password_from_key"
        else reverse(name)
        for name in SIGN_IN_ROUTES
    ]
    urls += admin_urls()
    assert len(urls) > 100
    for url in urls:
        for persona in ("anonymous", "owner", "staff"):
            for method in ("put", "delete", "patch", "options"):
                response = getattr(clients[persona], method)(url, data="on=1")
                assert response.status_code == 405, f"{method.upper()} {url} as {persona}"
                assert response["Allow"] == "GET, HEAD, POST"
    assert not AuditEvent.objects.exists()
