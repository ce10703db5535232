"""Paging without counting, and distinct values read from an index."""

import pytest
from django.core.exceptions import FieldFetchBlocked

from core.models import AuditEvent
from core.paging import MAX_PAGE, distinct_values, page_by_ids, uncounted_page
from subscriptions.models import PhoneNumber, Subscription
from tests.factories import PhoneNumberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(organization):
    AuditEvent.objects.bulk_create(
        AuditEvent(organization=organization, action=f"a.{i}") for i in range(7)
    )
    return AuditEvent.objects.filter(organization=organization).order_by("id")


def test_an_uncounted_page_reads_one_row_more_to_know_if_another_follows(
    events, django_assert_num_queries
):
    with django_assert_num_queries(1):
        first = uncounted_page(events, "1", 3)
    assert [e.action for e in first] == ["a.0", "a.1", "a.2"]
    assert first.has_next and not first.has_previous() and first.has_other_pages()
    last = uncounted_page(events, 3, 3)
    assert [e.action for e in last] == ["a.6"]
    assert not last.has_next and last.has_previous()
    assert last.previous_page_number() == 2 and first.next_page_number() == 2
    assert last.paginator is None  # the template then says "Page 3", not "of N"


def test_exactly_full_pages_have_no_next(events):
    page = uncounted_page(events, 1, 7)
    assert len(page) == 7 and not page.has_next and not page.has_other_pages()


@pytest.mark.parametrize("number", [None, "", "x", "-4", "0", "1e3", "9" * 40])
def test_nonsense_page_numbers_read_the_first_page(events, number):
    page = uncounted_page(events, number, 3)
    assert page.number == 1 if number != "9" * 40 else page.number == MAX_PAGE


def test_a_page_past_the_end_is_empty_and_leads_back(events):
    page = uncounted_page(events, 40, 3)
    assert list(page) == [] and page.has_previous() and not page.has_next


def test_distinct_values_are_sorted_and_stay_in_their_organization(
    organization, other_organization, django_assert_num_queries
):
    for country in ("US", "GB", "US", "DE", "GB"):
        PhoneNumberFactory(subscription__organization=organization, country=country)
    PhoneNumberFactory(subscription__organization=other_organization, country="FR")
    with django_assert_num_queries(1):
        countries = distinct_values(PhoneNumber, "country", organization_id=organization.pk)
    assert countries == ["DE", "GB", "US"]
    assert distinct_values(PhoneNumber, "country", organization_id=other_organization.pk) == ["FR"]


def test_distinct_values_of_an_organization_without_rows_are_none(organization):
    assert distinct_values(AuditEvent, "action", organization_id=organization.pk) == []


def test_a_lazy_fetch_fails_a_query_counting_test(organization, django_assert_max_num_queries):
    PhoneNumberFactory(subscription__organization=organization)
    with pytest.raises(FieldFetchBlocked), django_assert_max_num_queries(5):
        number = PhoneNumber.objects.get()
        assert number.subscription  # not loaded by the query: would be one query a row
    with django_assert_max_num_queries(5):
        assert PhoneNumber.objects.select_related("subscription").get().subscription


def test_a_page_by_ids_keeps_the_order_and_loads_only_its_rows(
    organization, django_assert_num_queries
):
    for e164 in ("+14155550003", "+14155550001", "+14155550002"):
        PhoneNumberFactory(subscription__organization=organization, e164=e164)
    numbers = PhoneNumber.objects.select_related("subscription").order_by("-e164")
    with django_assert_num_queries(3):  # the count, the page's ids, its rows
        page = page_by_ids(numbers, "1", 2)
        assert [n.e164 for n in page] == ["+14155550003", "+14155550002"]
        assert page.object_list[0].subscription.organization_id == organization.pk
    assert page.paginator.count == 3 and page.has_next()
    assert [n.e164 for n in page_by_ids(numbers, "2", 2)] == ["+14155550001"]


def test_a_page_by_ids_may_load_another_models_rows(organization, django_assert_num_queries):
    for e164 in ("+14155550003", "+14155550001", "+14155550002"):
        PhoneNumberFactory(subscription__organization=organization, e164=e164)
    gone = PhoneNumber.objects.get(e164="+14155550002").subscription_id
    numbers = PhoneNumber.objects.order_by("e164")
    # The loading queryset still guards: a row it does not hold is left out, not a failure.
    subscriptions = Subscription.objects.exclude(pk=gone).select_related("phone_number")
    with django_assert_num_queries(3):  # the count, the page's ids, its rows
        page = page_by_ids(numbers, "1", 2, ids="subscription_id", load=subscriptions)
        assert [s.phone_number.e164 for s in page] == ["+14155550001"]
    assert page.paginator.count == 3 and page.has_next()


def test_a_page_by_ids_takes_a_count_the_page_already_has(organization, django_assert_num_queries):
    for e164 in ("+14155550003", "+14155550001", "+14155550002"):
        PhoneNumberFactory(subscription__organization=organization, e164=e164)
    numbers = PhoneNumber.objects.order_by("e164")
    with django_assert_num_queries(2):  # the page's ids and its rows: no count
        page = page_by_ids(numbers, "2", 2, count=3)
        assert [n.e164 for n in page] == ["+14155550003"]
    assert page.paginator.num_pages == 2 and page.has_previous() and not page.has_next()
