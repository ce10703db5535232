"""Django's `date` filter, with the portal's own formats drawn directly.

Django's filter parses its format on every use and calls a method per letter, with a
lazy translation per month name: about 40 to 60 µs a date here. Activity draws two dates
on each of its 50 rows, Support two on each of 25, a case two per message (this filter
took Activity from 3.7 to 3.3 times the bare page). For the formats the templates use, this
filter writes the same text directly; any other format, and anything that is not a date
or datetime, goes to Django's filter. It is installed as a template builtin
(`TEMPLATES` in settings), so `{{ value|date:"j M Y" }}` everywhere uses it, admin
included; `tests/portal/test_fast_dates.py` requires the same output as Django's.
"""

from datetime import date as Date
from datetime import datetime as DateTime

from django import template
from django.template.defaultfilters import date as django_date
from django.utils.dates import MONTHS, MONTHS_3

register = template.Library()


def _day(value: Date) -> str:
    return f"{value.day} {MONTHS_3[value.month].title()} {value.year:04d}"


# Format -> how to draw it, as Django's dateformat would (its 'M' is MONTHS_3 titled).
FORMATS = {
    "j M Y": _day,
    "j M Y H:i": lambda value: f"{_day(value)} {value.hour:02d}:{value.minute:02d}",
    "j F Y": lambda value: f"{value.day} {MONTHS[value.month]} {value.year:04d}",
    "F Y": lambda value: f"{MONTHS[value.month]} {value.year:04d}",
    "Y-m-d": lambda value: f"{value.year:04d}-{value.month:02d}-{value.day:02d}",
    "c": lambda value: value.isoformat(),
}
# Formats with a time of day: for a date without one, Django's filter decides (it fails).
WITH_TIME = frozenset({"j M Y H:i"})


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    draw = FORMATS.get(arg)
    if (
        draw is not None
        and isinstance(value, Date)
        and (arg not in WITH_TIME or isinstance(value, DateTime))
    ):
        return draw(value)
    return django_date(value, arg)
