"""The portal's `date` filter draws exactly what Django's draws, in any language and zone."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from django.template.defaultfilters import date as django_date
from django.utils import timezone as django_timezone
from django.utils import translation

from portal.templatetags import fast_dates

VALUES = [
    date(2026, 1, 5),
    date(987, 12, 31),  # a year of three digits: Django pads it to four
    datetime(2026, 2, 9, 7, 3, 9),  # naive
    datetime(2026, 5, 31, 23, 59, 59, 123456, tzinfo=UTC),
    datetime(2026, 9, 1, 0, 0, tzinfo=timezone(timedelta(hours=-4, minutes=-30))),
    *(datetime(2026, month, 12, 12, 30, tzinfo=UTC) for month in range(1, 13)),
]
OTHER_FORMATS = [None, "D, j N Y", r"j \o\f F", "P", "SHORT_DATE_FORMAT", "", "j M Y h:i A"]


def _render(source: str, value) -> str:
    return engines["django"].from_string(source).render({"value": value})


def test_templates_use_it_in_place_of_djangos():
    filters = engines["django"].engine.template_builtins[-1].filters
    assert filters["date"] is fast_dates.date


@pytest.mark.parametrize("language", ["en-us", "de", "fr"])
@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Asia/Kolkata"])
@pytest.mark.parametrize("fmt", sorted(fast_dates.FORMATS))
def test_its_formats_draw_what_djangos_draws(language, zone, fmt):
    with translation.override(language), django_timezone.override(ZoneInfo(zone)):
        for value in VALUES:
            if fmt in fast_dates.WITH_TIME and not isinstance(value, datetime):
                continue
            local = django_timezone.template_localtime(value)
            assert fast_dates.date(local, fmt) == django_date(local, fmt), (value, fmt)
            # And through a template, where aware datetimes reach it in the local zone.
            assert _render("{{ value|date:fmt }}".replace("fmt", f'"{fmt}"'), value) == (
                django_date(local, fmt)
            )


def _outcome(draw, value, fmt):
    try:
        return draw(value, fmt)
    except TypeError as error:  # Django's answer to a time format on a plain date
        return repr(error)


@pytest.mark.parametrize("fmt", OTHER_FORMATS)
def test_any_other_format_or_value_is_djangos(fmt):
    for value in [*VALUES, None, "", "not a date", 42]:
        assert _outcome(fast_dates.date, value, fmt) == _outcome(django_date, value, fmt)


def test_a_time_format_on_a_plain_date_is_left_to_django():
    with pytest.raises(TypeError):
        django_date(date(2026, 1, 5), "j M Y H:i")
    with pytest.raises(TypeError):
        fast_dates.date(date(2026, 1, 5), "j M Y H:i")
