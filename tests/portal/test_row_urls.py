"""`{% row_url %}` gives exactly what `{% url %}` gives, reversing each URL name once."""

import re
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import override_settings
from django.urls import NoReverseMatch, get_script_prefix, reverse, set_script_prefix

from portal.templatetags import row_urls
from subscriptions.policy import Action, HelpTopic
from subscriptions.templatetags import decisions

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Every URL name the portal's templates give to row_url, and those the tags that draw
# rows in Python give it (accounts/templatetags/roles.py, subscriptions/templatetags/).
NAMES = sorted(
    {
        name
        for template in TEMPLATES.rglob("*.html")
        for name in re.findall(r"\{% row_url '(\w+)'", template.read_text())
    }
    # The names the row-drawing tags give it: member_controls and member_row, number_row
    # and license_row, decisions_list.
    | {"member_change_role", "member_remove", "member_plans", "case_request", "help_article"}
    | {"number_detail", "assign_license"}
    | {name for name, _ in decisions._PAGES.values()}
    | set(decisions._POSTS.values())
)


def _render(source: str, **context) -> str:
    return Template("{% load row_urls %}" + source).render(Context(context))


def test_the_templates_use_it_for_the_row_pages():
    assert {
        "number_detail",
        "subscription_cancel",
        "member_plans",
        "case_detail",
        "case_request",
        "help_article",
    } <= set(NAMES)


def _arguments(name: str, pk: int) -> list:
    # An id for each URL name, and the text arguments two of them also take.
    return {
        "case_request": [pk, Action.CANCEL],
        "help_article": [HelpTopic.STATES],
    }.get(name, [pk])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("pk", [0, 1, 42, 10**12])
def test_it_gives_what_url_gives(name, pk):
    arguments = _arguments(name, pk)
    tags = "{% row_url name " + " ".join(f"a{i}" for i in range(len(arguments))) + " %}"
    context = {"name": name, **{f"a{i}": value for i, value in enumerate(arguments)}}
    assert _render(tags, **context) == _render(tags.replace("row_url", "url"), **context)
    assert row_urls.row_url(name, *arguments) == reverse(name, args=arguments)


def test_it_follows_the_script_prefix_and_the_urlconf():
    previous = get_script_prefix()
    set_script_prefix("/portal/")
    try:
        assert row_urls.row_url("number_detail", 7) == reverse("number_detail", args=[7])
        assert row_urls.row_url("number_detail", 7).startswith("/portal/")
    finally:
        set_script_prefix(previous)
    with override_settings(ROOT_URLCONF="tests.portal.row_urls_conf"):
        assert row_urls.row_url("number_detail", 7) == "/elsewhere/7/numbers/"
    assert row_urls.row_url("number_detail", 7) == reverse("number_detail", args=[7])


def test_anything_else_goes_to_reverse_as_url_would():
    assert row_urls.row_url("number_detail", "7") == reverse("number_detail", args=["7"])
    for wrong in (-1, True, None, "seven"):
        with pytest.raises(NoReverseMatch):
            row_urls.row_url("number_detail", wrong)
    with pytest.raises(NoReverseMatch):  # a URL of two arguments, given one
        row_urls.row_url("case_request", 7)
    with pytest.raises(NoReverseMatch):  # not a slug
        row_urls.row_url("case_request", 7, "not an action")
    # Text that happens to spell the marker is not taken for the id's place.
    marker = str(row_urls.MARKER)
    assert row_urls.row_url("case_request", 7, marker) == reverse("case_request", args=[7, marker])


def test_a_page_of_rows_reverses_each_name_once():
    row_urls._reversed.cache_clear()
    with mock.patch.object(row_urls, "reverse", wraps=reverse) as reversing:
        html = _render(
            "{% for pk in pks %}{% row_url 'number_detail' pk %} {% endfor %}", pks=[3, 4, 5]
        )
    assert html.split() == [reverse("number_detail", args=[pk]) for pk in (3, 4, 5)]
    assert reversing.call_count == 1
    # Text arguments are kept as they are: one reverse for each distinct value.
    with mock.patch.object(row_urls, "reverse", wraps=reverse) as reversing:
        _render(
            "{% for pk in pks %}{% row_url 'case_request' pk action %} {% endfor %}",
            pks=[3, 4, 5],
            action=Action.CANCEL,
        )
        _render("{% row_url 'case_request' 6 action %}", action=Action.CHANGE_PLAN)
    assert reversing.call_count == 2
