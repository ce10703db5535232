"""Generated hostile input posted to every form: never a 500, and a refusal changes nothing.

Each form gets over-long, empty, unicode and control-character text, SQL and HTML
fragments, numbers out of range and other organizations' IDs. A new form is added
to FORMS below; `tests/security/test_routes.py` fails until every route is known.
"""

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import AuditEvent
from support.models import HelpArticle, HelpCategory
from tests.conftest import membership_of, reauthenticate
from tests.factories import (
    BlockedNumberFactory,
    InvitationFactory,
    MembershipFactory,
    PhoneNumberFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

FOREIGN_ID = "foreign"  # replaced by a real ID of the other organization's object

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(min_size=300, max_size=3000),
    st.just(""),
    st.sampled_from(
        [
            "' OR '1'='1' --",
            "1; DROP TABLE accounts_user; --",
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "javascript:alert(1)",
            "\x00",
            "a\x00b",
            "\u202e\u0000",
            "../../etc/passwd",
            '=HYPERLINK("http://x")',
            "+14155550123",
            "0",
            "-1",
            "99999999999999999999999",
            "1e309",
            "NaN",
            "☎️📞",
            "\U0001d518\U0001d52b\U0001d526",  # mathematical letters
            " " * 50,
            "\r\n\t",
            FOREIGN_ID,
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


@pytest.fixture
def estate(organization, owner, member, other_organization, outsider):
    """One of everything a form can point at, in the owner's organization and outside it."""
    line = PhoneNumberFactory(
        subscription__organization=organization,
        subscription__product=ProductFactory(line=True),
        subscription__assigned_to=member,
    ).subscription
    plan = SubscriptionFactory(
        organization=organization, product=ProductFactory(call_insights=True)
    )
    license_ = SubscriptionFactory(
        organization=organization, product=ProductFactory(user_license=True)
    )
    foreign_line = PhoneNumberFactory(subscription__organization=other_organization).subscription
    return {
        "line": line,
        "plan": plan,
        "license": license_,
        "blocked": BlockedNumberFactory(phone_number=line.number),
        "membership": MembershipFactory(organization=organization),
        "invitation": InvitationFactory(organization=organization),
        "article": HelpArticle.objects.create(
            category=HelpCategory.objects.create(name="C", slug="c"),
            title="An article",
            slug="an-article",
            summary="s",
            body="b",
        ),
        "foreign": {
            "subscription": foreign_line.pk,
            "membership": membership_of(outsider, other_organization).pk,
            "organization": other_organization.pk,
        },
    }


# route name -> (how to build its arguments from the estate, the fields it reads)
FORMS = {
    "team_invite": (lambda e: [], ["email", "role"]),
    "member_change_role": (lambda e: [e["membership"].pk], ["role"]),
    "member_remove": (lambda e: [e["membership"].pk], ["confirm"]),
    "invitation_revoke": (lambda e: [e["invitation"].pk], ["confirm"]),
    "switch_organization": (lambda e: [], ["organization"]),
    "require_mfa": (lambda e: [], ["on"]),
    "subscription_cancel": (lambda e: [e["plan"].pk], ["reason", "detail", "confirm_number"]),
    "subscription_fix": (lambda e: [e["line"].pk], ["fix", "reason"]),
    "subscription_keep": (lambda e: [e["plan"].pk], ["state"]),
    "subscription_reactivate": (lambda e: [e["line"].pk], ["state"]),
    "change_plan": (lambda e: [e["plan"].pk], ["product"]),
    "inbound_recording": (lambda e: [e["line"].pk], ["on"]),
    "calling_mode": (lambda e: [e["line"].pk], ["mode"]),
    "outbound_recording": (lambda e: [], ["on"]),
    "block_number": (lambda e: [e["line"].pk], ["e164"]),
    "unblock_number": (lambda e: [e["line"].pk, e["blocked"].pk], ["confirm"]),
    "change_number": (lambda e: [e["line"].pk], ["spare"]),
    "assign_license": (lambda e: [e["license"].pk], ["email"]),
    "help_vote": (lambda e: [e["article"].slug], ["helpful", "comment"]),
}
# Search and filter forms (GET).
FILTERS = {
    "numbers": ["q", "country", "number_type", "state", "assigned", "assignment", "page"],
    "numbers_csv": ["q", "country", "number_type", "state", "assigned", "assignment"],
    "activity": ["action", "actor", "since", "until", "page"],
    "team": ["q", "role", "page"],
    "licenses": ["page"],
    "change_number": ["country"],
    "help": ["q", "page"],
    "help_suggest": ["subject"],
}


def hostile_data(fields):
    return st.fixed_dictionaries({}, optional={field: HOSTILE_TEXT for field in fields})


def with_foreign_ids(data: dict, estate: dict) -> dict:
    foreign = estate["foreign"]
    ids = [foreign["subscription"], foreign["membership"], foreign["organization"]]
    return {
        key: (str(ids[len(key) % 3]) if value == FOREIGN_ID else value)
        for key, value in data.items()
    }


@pytest.fixture
def owner_client(owner):
    client = Client()
    client.force_login(owner)
    reauthenticate(client)
    return client


@pytest.mark.parametrize("name", sorted(FORMS))
def test_every_form_survives_hostile_input(name, owner_client, estate):
    build_args, fields = FORMS[name]
    url = reverse(name, args=build_args(estate))

    @settings(
        max_examples=15,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=hostile_data(fields))
    def post(data):
        before = AuditEvent.objects.count()
        response = owner_client.post(url, with_foreign_ids(data, estate))
        assert response.status_code < 500, (name, data)
        if 400 <= response.status_code < 500:
            assert AuditEvent.objects.count() == before, (name, data)

    post()


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_every_search_and_filter_survives_hostile_input(name, owner_client, estate):
    args = [estate["line"].pk] if name == "change_number" else []
    url = reverse(name, args=args)

    @settings(
        max_examples=15,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=hostile_data(FILTERS[name]))
    def get(data):
        response = owner_client.get(url, with_foreign_ids(data, estate))
        assert response.status_code < 500, (name, data)

    get()


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=hostile_data(["full_name", "password1", "password2"]))
def test_accepting_an_invitation_survives_hostile_input(client, organization, data):
    from accounts.models import User

    invitation = InvitationFactory(organization=organization)
    response = client.post(reverse("invitation_accept", args=[invitation.token]), data)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert not User.objects.filter(email=invitation.email).exists()
    client.logout()


def test_a_nul_character_anywhere_gets_the_400_page(owner_client, estate):
    response = owner_client.get(reverse("team"), {"q": "a\x00b"})
    assert response.status_code == 400
    assert "could not be understood" in response.content.decode()
    before = AuditEvent.objects.count()
    response = owner_client.post(
        reverse("team_invite"), {"email": "x@y.example\x00", "role": "member"}
    )
    assert response.status_code == 400
    assert AuditEvent.objects.count() == before


def test_a_nul_character_in_the_path_gets_the_400_page(client):
    # PostgreSQL refuses a NUL in text: looking the invitation up would be a 500.
    response = client.get("/accounts/invitations/%00/")
    assert response.status_code == 400
    assert "could not be understood" in response.content.decode()


def path_templates() -> dict[str, bool]:
    """Every path of the URLconf (Django admin aside: staff only, as in test_routes.py)
    with one of its segments, in turn, left as "{}" for a hostile value to fill; True for
    a segment a view reads (a converter's), False for a fixed one (the resolver's)."""

    def walk(resolver):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name != "admin":
                    yield from walk(pattern)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield pattern

    templates = {}
    for pattern in walk(get_resolver()):
        names = pattern.pattern.converters or pattern.pattern.regex.groupindex
        # "1" and "2" fit every converter and allauth's key patterns: the path resolves,
        # and the segments that differ are the view's arguments.
        one, two = (
            reverse(pattern.name, kwargs=dict.fromkeys(names, value)).split("/")
            for value in ("1", "2")
        )
        for index, segment in enumerate(one):
            if segment:
                template = "/".join([*one[:index], "{}", *one[index + 1 :]])
                templates[template] = templates.get(template, False) or segment != two[index]
    return templates


PATH_TEMPLATES = path_templates()
# A fixed segment replaced is a 404 from the resolver whatever the value or the method;
# a view's argument gets every value, by GET and POST.
HOSTILE_SEGMENTS = ["\x00", "é" + "x" * 9_999]
HOSTILE_ARGUMENTS = [
    *HOSTILE_SEGMENTS,
    "1\x00",
    "x" * 10_000,
    "é☎" * 5_000,
    "9" * 30,
    "1-" + "k" * 10_000,
]


@pytest.fixture(params=["anonymous", "member"])
def persona_client(request, client_for):
    if request.param == "anonymous":
        return Client()
    return client_for(request.getfixturevalue("member"))


def path_survives(client, template: str, segment: str, methods=("get", "post")) -> None:
    path = template.format(quote(segment, safe=""))
    for method in methods:
        response = getattr(client, method)(path)
        assert response.status_code < 500, (method, path[:200])
        if "\x00" in segment:
            assert response.status_code == 400, (method, path[:200])


def test_every_path_segment_survives_nul_and_overlong_values(persona_client, estate):
    assert sum(PATH_TEMPLATES.values()) > 20
    for template, is_argument in PATH_TEMPLATES.items():
        if is_argument:
            for segment in HOSTILE_ARGUMENTS:
                path_survives(persona_client, template, segment)
        else:
            for segment in HOSTILE_SEGMENTS:
                path_survives(persona_client, template, segment, methods=("get",))
    assert not AuditEvent.objects.exists()


def test_every_path_argument_survives_generated_values(persona_client, estate):
    arguments = sorted(template for template, is_argument in PATH_TEMPLATES.items() if is_argument)

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        template=st.sampled_from(arguments),
        segment=st.one_of(HOSTILE_TEXT, st.text(min_size=1, max_size=20).map(lambda t: t * 500)),
    )
    def request_path(template, segment):
        if segment:
            path_survives(persona_client, template, segment)

    request_path()
    assert not AuditEvent.objects.exists()
