"""`{% decisions_list %}` draws what the `_decisions.html` template drew, for every shape
of decision: the same HTML once whitespace is collapsed (as the browser collapses it)."""

import itertools
import re
from pathlib import Path
from unittest import mock

import pytest
from django.template import Context, Engine
from django.template.defaulttags import CsrfTokenNode

from subscriptions.policy import Action, Channel, Decision, HelpTopic

# The template the tag replaced (templates/subscriptions/_decisions.html until 2026-11-23),
# kept beside this test as the reference the tag must match.
REFERENCE = (Path(__file__).parent / "decisions_reference.html").read_text()
TAG = "{% load decisions %}{% decisions_list decisions subscription compact=compact %}"


class Named:
    """A subscription as the markup sees it: an id and a name (here one to escape)."""

    pk = 42

    def __str__(self):
        return 'Line <b>"O\'Hara"</b> & co'


def _decisions():
    """One decision of every action, channel and outcome, with and without the extras."""
    extras = [
        {},
        {"kind": "line", "addons_to_cancel_first": ("Call <Recording>", "Text & Archive")},
        {
            "kind": "sip_trunk",
            "app_store_steps": ("Open Settings", "Tap <your name> & Subscriptions"),
            "app_store_help_url": "https://support.apple.com/en-us/118428?a=1&b=2",
        },
    ]
    for action, channel, allowed, extra in itertools.product(
        Action, Channel, (True, False), extras
    ):
        decision = Decision(
            action=action,
            allowed=allowed,
            channel=channel,
            reason='Only a "Super Admin" <may> do this & that.',
            help_topic=HelpTopic.CANCEL_LINE,
            **extra,
        )
        try:
            decision.label  # noqa: B018 - some actions have no label of their own
        except KeyError:
            continue
        yield decision


def _normalized(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


def _draw(source: str, **context) -> str:
    engine = Engine.get_default()
    return engine.from_string(source).render(Context({"csrf_token": "t0ken", **context}))


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("subscription", [Named(), None])
def test_the_tag_draws_what_the_template_drew(compact, subscription):
    decisions = list(_decisions())
    assert len(decisions) > 200
    for decision in decisions:
        context = {"decisions": [decision], "subscription": subscription, "compact": compact}
        assert _normalized(_draw(TAG, **context)) == _normalized(_draw(REFERENCE, **context))
    # Several in one list, and none.
    for listed in (decisions[:7], []):
        context = {"decisions": listed, "subscription": subscription, "compact": compact}
        assert _normalized(_draw(TAG, **context)) == _normalized(_draw(REFERENCE, **context))


def test_the_csrf_field_is_drawn_once_per_page_and_reused():
    keep = Decision(action=Action.KEEP, allowed=True, channel=Channel.NOW, reason="")
    two_rows = TAG + TAG
    with mock.patch.object(CsrfTokenNode, "render", wraps=CsrfTokenNode().render) as drawn:
        html = _draw(two_rows, decisions=[keep, keep], subscription=Named(), compact=False)
    assert drawn.call_count == 1
    assert html.count('name="csrfmiddlewaretoken" value="t0ken"') == 4
