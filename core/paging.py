"""Reads that cost the same for an organization with 10 rows or 50,000.

- `uncounted_page`: Previous / Next paging that reads one row more than the page
  instead of counting every matching row (for long, ever-growing lists such as the
  audit log, where a total is of no use to anyone).
- `page_by_ids`: a counted page that sorts only the matching rows' ids, then loads the
  page's rows with their joins (sorting every full row with its joins costs far more);
  the ids may be another model's, loaded by another queryset.
- `query_without_page`: a request's query string without its page number, for the
  pagination links (`core/pagination.html`) and exports to carry the filters.
- `distinct_values`: the distinct values of one column within an organization, read
  by probing an index once per value (a "loose index scan", written as a recursive
  query that PostgreSQL and SQLite both run) instead of reading every row.
"""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connection

# Past this page an offset read gets slow; nobody pages this far by hand.
MAX_PAGE = 1000


@dataclass
class UncountedPage:
    """The subset of Django's Page that templates use, without a paginator or a count."""

    object_list: list
    number: int
    has_next: bool

    paginator = None  # templates test it to tell "page 3" from "page 3 of 9"

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous() or self.has_next

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def uncounted_page(queryset, number, per_page: int) -> UncountedPage:
    """Page `number` (any text; nonsense means page 1) of an ordered queryset."""
    try:
        page = min(max(int(number), 1), MAX_PAGE)
    except (TypeError, ValueError):
        page = 1
    start = (page - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return UncountedPage(object_list=rows[:per_page], number=page, has_next=len(rows) > per_page)


def page_by_ids(
    queryset, number, per_page: int, *, ids: str = "pk", load=None, count: int | None = None
) -> Page:
    """Django's page `number` of an ordered queryset, its object_list loaded by id.

    `ids` names the column holding the ids to load and `load` the queryset that loads
    them, when they are another model's (Numbers pages over phone numbers and shows their
    subscriptions); by default the queryset's own primary keys, loaded by the queryset.
    `count`: the queryset's count, when the page has it already (Licenses counts its
    free licenses in the same query; list pages keep their unfiltered totals in
    `core.org_cache`).
    """
    paginator = Paginator(queryset.values_list(ids, flat=True), per_page)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is not counted again
    page = paginator.get_page(number)
    # Unordered: the ids give the page's order, and ordering again (a plan page's by
    # tier, Support's by activity) would cost a sort, or a join, for nothing.
    loaded = (queryset if load is None else load).order_by().in_bulk(list(page.object_list))
    # A row deleted between the two reads is left out rather than failing the page.
    page.object_list = [loaded[pk] for pk in page.object_list if pk in loaded]
    return page


def query_without_page(request) -> str:
    """The request's query string (its filters) without `page`."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def distinct_values(model, column: str, *, organization_id: int) -> list:
    """The sorted distinct values of `column` among `model`'s rows of one organization.

    Needs an index on (organization_id, column): each step asks it for the next value
    greater than the last, so the cost grows with the number of distinct values only.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    field = model._meta.get_field(column)
    name = connection.ops.quote_name(field.column)
    sql = f"""
        WITH RECURSIVE found(value) AS (
            SELECT MIN({name}) FROM {table} WHERE organization_id = %s
            UNION ALL
            SELECT (
                SELECT MIN({name}) FROM {table}
                WHERE organization_id = %s AND {name} > found.value
            )
            FROM found WHERE found.value IS NOT NULL
        )
        SELECT value FROM found WHERE value IS NOT NULL
    """  # noqa: S608 (names come from the model's metadata, values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [organization_id, organization_id])
        return [row[0] for row in cursor.fetchall()]
