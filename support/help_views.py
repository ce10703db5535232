"""The help center: articles by category, search, "Was this article helpful?", suggestions."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from accounts.access import membership_required
from core.http import client_ip
from support import services
from support.forms import ArticleVoteForm
from support.markdown import render_markdown
from support.models import ArticleVote, HelpArticle, HelpCategory

RESULTS_PAGE_SIZE = 20
RESULTS_SHOWN = 10 * RESULTS_PAGE_SIZE  # a search's best matches; past them, none
SUGGESTIONS = 5


@membership_required
def help_index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    context = {"query": query}
    if query:
        # Read once, as a list, the best RESULTS_SHOWN: paging the query would run the
        # full-text search twice (the count, then the page).
        results = list(
            HelpArticle.objects.published()
            .only("title", "slug", "summary")
            .search(query)[:RESULTS_SHOWN]
        )
        context["page"] = Paginator(results, RESULTS_PAGE_SIZE).get_page(request.GET.get("page"))
        context["pager_query"] = urlencode({"q": query})
    else:
        articles = (
            HelpArticle.objects.published()
            .select_related("category")
            .order_by("category__position", "category__name", "title")
        )
        by_category: dict[HelpCategory, list[HelpArticle]] = {}
        for article in articles.only("title", "slug", "summary", "category"):
            by_category.setdefault(article.category, []).append(article)
        context["categories"] = by_category.items()
    return render(request, "support/help_index.html", context)


@membership_required
def help_article(request: HttpRequest, slug: str, fragment: str = "") -> HttpResponse:
    article = get_object_or_404(
        HelpArticle.objects.published().select_related("category"), slug=slug
    )
    vote = ArticleVote.objects.filter(article=article, user=request.user).first()
    template = "support/help_article.html"
    return render(
        request,
        f"{template}#{fragment}" if fragment else template,
        {
            "article": article,
            "body": render_markdown(article.body),
            "vote": vote,
            "form": ArticleVoteForm(initial={"comment": vote.comment if vote else ""}),
            # A13: a way to submit a request, pre-filled with the article.
            "request_url": reverse("case_new")
            + "?"
            + urlencode({"from": request.path, "subject": f"About “{article.title}”"}),
        },
    )


@require_POST
@membership_required
def help_vote(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(HelpArticle.objects.published(), slug=slug)
    form = ArticleVoteForm(request.POST)
    if form.is_valid():
        services.article_vote(
            article=article,
            membership=request.membership,
            helpful=form.cleaned_data["helpful"],
            comment=form.cleaned_data["comment"],
            ip_address=client_ip(request),
        )
        messages.success(request, "Thank you: your answer helps us improve this article.")
    else:
        messages.error(request, "Choose Yes or No; a comment is up to 1,000 characters.")
    if request.htmx:
        return help_article(request, slug, fragment="vote")
    return redirect(reverse("help_article", args=[slug]) + "#feedback")


@require_GET
@membership_required
def help_suggest(request: HttpRequest) -> HttpResponse:
    """Articles matching what the customer types as a case subject (an htmx fragment)."""
    query = request.GET.get("subject", "").strip()[:200]
    articles = (
        HelpArticle.objects.published().search(query).only("title", "slug", "summary")[:SUGGESTIONS]
        if len(query) >= 3
        else []
    )
    return render(request, "support/_help_suggestions.html", {"articles": articles})
