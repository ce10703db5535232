"""The help center: safe Markdown, search, votes, suggestions, engine reasons linked, reports."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from core.models import AuditEvent
from subscriptions.models import CancellationFeedback
from subscriptions.policy import HelpTopic
from support.help_demo import ARTICLES, seed_help_center
from support.markdown import render_markdown
from support.models import ArticleVote, HelpArticle, HelpCategory
from tests.factories import CaseFactory, PhoneNumberFactory, ProductFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

HOSTILE_MARKDOWN = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "<img src=x onerror=alert(1)>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](data:image/png;base64,AAAA)",
    "<iframe src=https://evil.example></iframe>",
    "<svg><script>alert(1)</script></svg>",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    "<style>body{display:none}</style>",
    "[x](vbscript:msgbox(1))",
    "<object data=x></object><embed src=x>",
    "<form action=https://evil.example><input name=p></form>",
]
SAFE_TAGS = {
    "p",
    "a",
    "code",
    "pre",
    "strong",
    "em",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "blockquote",
    "hr",
    "br",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


class Elements(HTMLParser):
    """The elements and attributes a browser would build from the HTML."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


@pytest.fixture
def articles(db):
    seed_help_center()
    return HelpArticle.objects.all()


@pytest.mark.parametrize("source", HOSTILE_MARKDOWN)
def test_hostile_markdown_renders_inert(source):
    parser = Elements()
    parser.feed(render_markdown(source))
    for tag, attrs in parser.found:
        assert tag in SAFE_TAGS, tag
        assert not [name for name in attrs if name.startswith("on")], attrs
        assert set(attrs) <= {"href", "title", "rel"}, attrs
        if "href" in attrs:
            assert attrs["href"].split(":", 1)[0].lower() in ("http", "https", "mailto"), attrs


def test_markdown_keeps_what_articles_need():
    html = render_markdown(
        "## Steps\n\n1. Open **Numbers**\n2. Read [Apple's help](https://support.apple.com)"
        "\n\nWrite to [us](mailto:help@example.com)."
    )
    assert "<h2>Steps</h2>" in html and "<strong>Numbers</strong>" in html
    assert 'href="https://support.apple.com"' in html
    assert 'href="mailto:help@example.com"' in html
    assert "noopener" in html


def test_a13_an_article_ends_with_was_it_helpful_and_submit_a_request(client_for, member, articles):
    page = client_for(member).get(reverse("help_article", args=["cancel-line"]))
    content = page.content.decode()
    assert "Was this article helpful?" in content
    assert "Submit a request" in content
    assert reverse("case_new") + "?from=%2Fhelp%2Fcancel-line%2F" in content


def test_a13_one_vote_per_member_per_article_which_they_can_change(
    client_for, organization, member, articles
):
    client = client_for(member)
    url = reverse("help_vote", args=["cancel-line"])
    client.post(url, {"helpful": "no", "comment": "Too short"})
    client.post(url, {"helpful": "yes", "comment": ""})
    vote = ArticleVote.objects.get()
    assert vote.helpful is True and vote.user == member and vote.comment == ""
    assert AuditEvent.objects.filter(action__startswith="help.vote").count() == 2
    response = client.post(url, {"helpful": "maybe"}, follow=True)
    assert "Choose Yes or No" in response.content.decode()
    assert ArticleVote.objects.get().helpful is True


def test_a13_voting_updates_in_place_with_htmx(client_for, member, articles):
    response = client_for(member).post(
        reverse("help_vote", args=["cancel-line"]),
        {"helpful": "no"},
        headers={"HX-Request": "true"},
    )
    content = response.content.decode()
    assert "<html" not in content and "You answered <strong>No</strong>" in content


def test_search_finds_articles_on_both_databases(client_for, member, articles):
    client = client_for(member)
    found = client.get(reverse("help"), {"q": "App Store"}).context["page"]
    assert "app-store-subscriptions" in [article.slug for article in found]
    nothing = client.get(reverse("help"), {"q": "zebra xylophone"})
    assert list(nothing.context["page"]) == []
    assert "ask us directly" in nothing.content.decode()


def test_the_list_pages_and_groups_by_category(client_for, member, articles):
    response = client_for(member).get(reverse("help"))
    categories = dict(response.context["categories"])
    assert sum(len(items) for items in categories.values()) == len(ARTICLES)
    assert len(categories) == HelpCategory.objects.count()


def test_search_results_page(client_for, member):
    category = HelpCategory.objects.create(name="Many", slug="many")
    for index in range(25):
        HelpArticle.objects.create(
            category=category,
            title=f"Widget {index}",
            slug=f"widget-{index}",
            summary="s",
            body="widget text",
        )
    client = client_for(member)
    first = client.get(reverse("help"), {"q": "widget"})
    assert len(first.context["page"]) == 20
    assert len(client.get(reverse("help"), {"q": "widget", "page": 2}).context["page"]) == 5


def test_unpublished_articles_are_hidden(client_for, member, articles):
    HelpArticle.objects.filter(slug="cancel-line").update(is_published=False)
    client = client_for(member)
    assert client.get(reverse("help_article", args=["cancel-line"])).status_code == 404
    found = client.get(reverse("help"), {"q": "Cancel Line"}).context["page"]
    assert "cancel-line" not in [article.slug for article in found]


def test_the_new_case_form_suggests_articles_as_the_subject_is_typed(client_for, member, articles):
    client = client_for(member)
    form = client.get(reverse("case_new")).content.decode()
    assert 'hx-get="' + reverse("help_suggest") + '"' in form
    assert "delay:400ms" in form
    fragment = client.get(reverse("help_suggest"), {"subject": "block spam"}).content.decode()
    assert "<html" not in fragment
    assert reverse("help_article", args=["block-numbers"]) in fragment
    assert client.get(reverse("help_suggest"), {"subject": "ab"}).content.strip() == b""


def test_every_topic_of_the_engine_has_an_article_that_resolves(client_for, member, articles):
    client = client_for(member)
    for topic in HelpTopic:
        assert client.get(reverse("help_article", args=[topic.value])).status_code == 200, topic


def test_every_reason_the_engine_shows_links_to_its_article(
    client_for, organization, owner, articles
):
    PhoneNumberFactory(subscription__organization=organization)
    SubscriptionFactory(organization=organization, product=ProductFactory(user_license=True))
    client = client_for(owner)
    for name in ("numbers", "licenses"):
        response = client.get(reverse(name))
        for row in response.context["rows" if name == "numbers" else "user_licenses"]:
            for decision in row.decisions:
                link = reverse("help_article", args=[decision.help_topic])
                assert link in response.content.decode()
                assert client.get(link).status_code == 200


def test_staff_see_the_tallies_and_the_cancellation_report(
    client_for, staff, organization, member, articles
):
    article = HelpArticle.objects.get(slug="cancel-line")
    ArticleVote.objects.create(article=article, user=member, helpful=False, comment="Unclear")
    line = PhoneNumberFactory(subscription__organization=organization).subscription
    CancellationFeedback.objects.create(
        subscription=line, member=member, reason="spam_calls", fix_taken="block_numbers"
    )
    CancellationFeedback.objects.create(subscription=line, member=member, reason="not_needed")
    CaseFactory(organization=organization, origin="/help/cancel-line/")
    client = client_for(staff)
    listing = client.get(reverse("admin:support_helparticle_changelist")).content.decode()
    assert "Cancellations and help report" in listing
    report = client.get(reverse("admin:support_help_report"))
    assert report.status_code == 200
    rows = report.context["by_month"]
    assert rows[0]["started"] == 2 and rows[0]["deflected"] == 1 and rows[0]["cancelled"] == 1
    assert "/help/cancel-line/" in report.content.decode()
    assert "I get spam calls" in report.content.decode()


@pytest.mark.parametrize(
    ("subject", "slug"),
    [
        ("spam calls", "block-numbers"),
        ("How do I block spam calls?", "block-numbers"),
        ("cancel my app store plan", "app-store-subscriptions"),
        ("my phone doesn't ring", "device-settings"),
    ],
)
def test_a_subject_in_the_customers_words_suggests_the_article_that_answers_it(
    client_for, member, articles, subject, slug
):
    fragment = client_for(member).get(reverse("help_suggest"), {"subject": subject})
    assert reverse("help_article", args=[slug]) in fragment.content.decode()
