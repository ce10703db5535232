"""The rows drawn in Python (Numbers, user licenses, Accounts) are the rows the templates
drew: each tag against the template it replaced, on the same rows, for each role."""

import re

import pytest
from django.template import RequestContext, Template
from django.test import override_settings
from django.urls import reverse

from accounts.models import Role
from subscriptions.models import PhoneNumber, Subscription
from subscriptions.views import Row
from tests.factories import (
    MembershipFactory,
    PhoneNumberFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

# The rows as the templates drew them before the tags.
NUMBER_ROW = """{% load decisions row_urls %}{% for row in rows %}{% with s=row.subscription %}
<tr>
  <td><a href="{% row_url 'number_detail' s.pk %}">{{ s.number.e164 }}</a><small class="d-block muted">{{ s.number.country }} · {{ s.number.get_number_type_display }}</small></td>
  <td>{{ s.product.name }}{% if s.purchase_channel == "app_store" %} <span class="badge">App Store</span>{% endif %}</td>
  <td>{{ s.assigned_to.display_name|default:"—" }}</td>
  <td>{% state_badge s %}</td>
  <td>{{ s.number.inbound_recording|yesno:"On,Off" }}</td>
  <td class="nowrap">{{ s.term_end|date:"j M Y" }}</td>
  <td>{% decisions_list row.decisions row.subscription compact=True %}</td>
</tr>
{% endwith %}{% endfor %}"""  # noqa: E501

LICENSE_ROW = """{% load decisions row_urls %}{% for row in user_licenses %}{% with s=row.subscription %}
<tr>
  <td>{{ s.product.name }}{% if s.label %} · {{ s.label }}{% endif %}</td>
  <td>
    {{ s.assigned_to.display_name|default:"Free" }}
    {% if membership.is_super_admin and s.is_live %}
      <details class="assign">
        <summary>{% if s.assigned_to %}Move or free{% else %}Assign{% endif %}</summary>
        <form method="post" action="{% row_url 'assign_license' s.pk %}">
          {% csrf_token %}
          <label for="assign-{{ s.pk }}">E-mail of a member</label>
          <input type="email" id="assign-{{ s.pk }}" name="email" value="" maxlength="254" placeholder="name@example.com">
          <small>Leave it empty to free the license.</small>
          <button type="submit" class="secondary">Save</button>
        </form>
      </details>
    {% endif %}
  </td>
  <td>{% state_badge s %}</td>
  <td>{{ s.term_end|date:"j M Y" }}</td>
  <td>{% decisions_list row.decisions row.subscription compact=True %}</td>
</tr>
{% endwith %}{% endfor %}"""  # noqa: E501

MEMBER_ROW = """{% load roles row_urls %}{% for member in members %}
<tr>
  <td>{{ member.user.full_name|default:"—" }}{% if member.user_id == user.pk %} <span class="badge">you</span>{% endif %}</td>
  <td>{{ member.user.email }}</td>
  <td>{{ member.get_role_display }}</td>
  <td>{% if membership.is_admin_or_above or member.user_id == user.pk %}<a href="{% row_url 'member_plans' member.pk %}" aria-label="Plans of {{ member.user.display_name }}">Plans</a>{% endif %}</td>
  {% if membership.is_super_admin %}
    <td>{% member_controls member %}</td>
  {% endif %}
</tr>
{% endfor %}"""  # noqa: E501


# Elements a browser lays out as boxes: the whitespace beside their tags draws nothing.
# Beside any other tag (a link, a badge) it draws a space, and the comparison keeps it.
_BOXES = "table|thead|tbody|tr|th|td|ul|li|div|details|summary|form|label|input|button|select"


def _same_markup(html: str) -> str:
    """Whitespace collapsed, and none where a browser draws none: between two tags and
    beside a box's tag. (And no CSRF token: each drawing masks the request's secret
    anew.)"""
    html = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+"', r'\1"', html)
    html = re.sub(r"\s+", " ", html)
    html = re.sub(r"> (?=<)", ">", html)
    return re.sub(rf" ?(</?(?:{_BOXES})\b[^>]*>) ?", r"\1", html).strip()


def _drawn_both_ways(response, rows_name: str, old: str, tag: str) -> tuple[str, str]:
    """The rows of a page's response drawn by the old template and by the tag, with the
    context they were drawn in (the viewer, the CSRF token)."""
    drawn_in = next(
        context
        for context in response.context
        if rows_name in context and not isinstance(context[rows_name], str)
    )
    assert len(drawn_in[rows_name]) >= 3, "the page should show the rows this test made"
    values = drawn_in.flatten()

    def draw(code: str) -> str:
        context = RequestContext(response.wsgi_request)
        context.update(values)
        return Template(code).render(context)

    return draw(old), draw(tag)


@pytest.fixture
def rows_of_every_kind(organization, owner, member):
    number = ProductFactory(name="Local number")
    line = ProductFactory(line=True, name="Line <Pro>")
    PhoneNumberFactory(
        subscription=SubscriptionFactory(organization=organization, product=number, label="x"),
        e164="+14155550100",
        number_type=PhoneNumber.NumberType.TOLL_FREE,
    )
    PhoneNumberFactory(
        subscription__organization=organization,
        subscription__product=line,
        subscription__assigned_to=member,
        subscription__purchase_channel=Subscription.PurchaseChannel.APP_STORE,
        e164="+442071234567",
        country="GB",
        inbound_recording=True,
    )
    PhoneNumberFactory(
        subscription__organization=organization,
        subscription__product=number,
        subscription__cancelled=True,
        e164="+14155550199",
    )
    licence = ProductFactory(user_license=True, name="Pro license")
    SubscriptionFactory(organization=organization, product=licence, label="Desk & phone")
    SubscriptionFactory(organization=organization, product=licence, assigned_to=member)
    SubscriptionFactory(organization=organization, product=licence, assigned_to=owner)
    SubscriptionFactory(organization=organization, product=licence, cancelled=True)
    MembershipFactory(
        organization=organization, role=Role.ADMIN, user__full_name="", user__email="a@x.example"
    )


@override_settings(KEEP_PAGE_PARTS=False)
@pytest.mark.parametrize("viewer", ["owner", "admin_user", "member"])
@pytest.mark.usefixtures("rows_of_every_kind")
def test_python_rows_draw_what_the_templates_drew(client, request, viewer):
    user = request.getfixturevalue(viewer)
    client.force_login(user)
    pages = [
        (
            reverse("numbers"),
            "rows",
            NUMBER_ROW,
            "{% load table_rows %}{% for row in rows %}{% number_row row %}{% endfor %}",
        ),
        (
            reverse("licenses"),
            "user_licenses",
            LICENSE_ROW,
            "{% load table_rows %}{% for row in user_licenses %}{% license_row row %}{% endfor %}",
        ),
        (
            reverse("team"),
            "members",
            MEMBER_ROW,
            "{% load roles %}{% for member in members %}{% member_row member %}{% endfor %}",
        ),
    ]
    for url, rows_name, old, tag in pages:
        response = client.get(url)
        assert response.status_code == 200
        if viewer == "member" and rows_name != "members":
            continue  # a Member sees only their own rows: covered by the pages' own tests
        before, after = _drawn_both_ways(response, rows_name, old, tag)
        assert _same_markup(after) == _same_markup(before), url
        assert _same_markup(after) in _same_markup(response.content.decode()), url


def test_a_number_row_without_its_number_draws_empty_cells_as_the_template_did(rf, owner):
    # A product changed to another kind in admin leaves its row without a number.
    subscription = SubscriptionFactory(product=ProductFactory(user_license=True))
    request = rf.get("/")
    request.user = owner
    rows = [Row(subscription=subscription, decisions=())]

    def draw(code: str) -> str:
        return Template(code).render(RequestContext(request, {"rows": rows}))

    before = draw(NUMBER_ROW)
    assert "<td>Off</td>" in before
    assert _same_markup(
        draw("{% load table_rows %}{% for row in rows %}{% number_row row %}{% endfor %}")
    ) == _same_markup(before)
