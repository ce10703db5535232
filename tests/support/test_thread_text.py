"""`thread_text` skips urlize for text it could not link: the output must be urlize's."""

import random

import pytest
from django.utils.html import urlize
from django.utils.safestring import mark_safe

from support.templatetags import support_text
from support.templatetags.support_text import thread_text


def through_urlize(text) -> str:
    """What thread_text wrote before it skipped urlize: urlize for every text."""
    linked = urlize(str(text or ""), nofollow=True, autoescape=True)
    linked = support_text._REL.sub(' rel="nofollow noopener noreferrer ugc"', linked)
    return linked.replace("\r\n", "\n").replace("\n", "<br>")


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "Message 3 of the thread.",
        "Calls drop at 3pm: router restarted, no change.\r\nCould you check?\nThanks!",
        "<script>alert('x')</script> & \"quotes\" <b>bold</b>",
        "See https://example.com/ok, or http://example.org/a?b=1&c=2.",
        "Our site: www.example.io (new).",
        "WWW.EXAMPLE.IO and EXAMPLE.COM and example.Net/path",
        "Write to ops@example.co.uk or (help@example.com).",
        "javascript:alert(1) data:text/html,<b>x</b> ftp://example.io",
        "A file named report.pdf and version 1.2.3, not links.",
        # Look-alike letters: dotted and dotless i, full-width COM, the Kelvin sign.
        "\u0130NT \u0131nt .\u0130nt the.Int KELVIN.\uff23\uff2f\uff2d example.\u212aom",
        "tel:+14155550123 and sip:alice@example.io",
    ],
)
def test_thread_text_writes_what_urlize_writes(text):
    assert thread_text(text) == through_urlize(text)


def test_thread_text_matches_urlize_on_random_text():
    # Seeded: the same thousands of texts every run, built from what urlize reacts to.
    rng = random.Random(20261123)
    pieces = [
        "a",
        "Z",
        "w",
        "W",
        "www",
        ".",
        "@",
        ":",
        "/",
        "//",
        "http",
        "https",
        "com",
        "ORG",
        "net",
        "int",
        "io",
        "(",
        ")",
        "[",
        "]",
        ",",
        ";",
        "!",
        "&",
        "amp;",
        "<",
        ">",
        '"',
        "'",
        " ",
        "\n",
        "\r\n",
        "\t",
        "é",
        "İ",
        "1",
        "-",
        "_",
        "?",
        "=",
    ]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 24)))
        assert thread_text(text) == through_urlize(text), text


def test_safe_text_still_goes_through_urlize():
    # urlize does not escape text already marked safe; the shortcut must not either.
    safe = mark_safe("<b>kept</b> as it was")
    assert thread_text(safe) == through_urlize(safe) == "<b>kept</b> as it was"


def test_a_www_address_links_over_https():
    assert 'href="https://www.example.io"' in thread_text("See www.example.io.")
