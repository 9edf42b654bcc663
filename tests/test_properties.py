"""Property-based tests (hypothesis): extraction, HTML clean-up and feed parsing never crash on hostile input, and
stay fast on large or deeply nested documents."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.poller import parser
from workers.extract.engine import Extractor
from workers.textclean import clean

EX = Extractor()
WORDS = st.sampled_from(["captured", "the town of", "Kidal", "fell to", "rebels", "withdrew from", "Al-", "«", "\u200b",
                         "\x00", "eastern", "'", '"', "(", ")", ",", ".", "\n\n", "on Monday", "it", "the city", "held",
                         "Islamic State-held", "denied", "will", "was captured by", "Palmyra", "\ud7ff", "&amp;", "<b>"])
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.text(max_size=3000))
def test_extraction_never_crashes_on_arbitrary_unicode(text):
    result = EX.extract({"id": "p", "published": "2024-01-01", "title": text[:200], "text": text})
    assert isinstance(result["events"], list)
    for event in result["events"]:
        assert event["status"] in {"captured", "withdrew", "contested", "anticipated", "held"}


@SETTINGS
@given(st.lists(WORDS, max_size=400), st.one_of(st.none(), st.just("not a date"), st.just("2024-02-30"), st.just("1899")))
def test_extraction_on_conflict_vocabulary_soup(words, published):
    text = " ".join(words)
    result = EX.extract({"id": "p", "published": published, "title": "", "text": text})
    for event in result["events"]:
        ev = event["evidence"]
        assert text[ev["start"]:ev["end"]] == ev["text"]


def test_one_megabyte_item_is_bounded_in_time():
    sentence = "Rebels captured the village of Qandaraawe on Monday after clashes with government troops near Kidal. "
    text = (sentence * (1_000_000 // len(sentence)))[:1_000_000]
    started = time.process_time()
    EX.extract({"id": "big", "published": "2024-01-03", "title": "", "text": clean(text)})
    assert time.process_time() - started < 30


def test_pathological_no_punctuation_text_is_bounded():
    text = ("Rebel Fighters Captured Kidal And Gao And Timbuktu And " * 20000)[:500_000]
    started = time.process_time()
    EX.extract({"id": "caps", "published": "2024-01-03", "title": "", "text": text})
    assert time.process_time() - started < 30


@SETTINGS
@given(st.text(alphabet=st.sampled_from("<>/divpa =\"'&;#x0123bscript\n"), max_size=5000))
def test_html_cleanup_never_crashes(markup):
    assert isinstance(clean(markup), str)


def test_deeply_nested_html_is_cleaned_quickly():
    markup = "<div>" * 100_000 + "Rebels seized Kidal." + "</div>" * 100_000
    started = time.process_time()
    text = clean(markup)
    assert "Rebels seized Kidal." in text and time.process_time() - started < 10


def test_control_characters_are_removed():
    assert clean("Rebels\x00 seized\x07 Kidal\u200b.") == "Rebels seized Kidal ."


@SETTINGS
@given(st.binary(max_size=4000))
def test_feed_parser_raises_only_feed_parse_error(body):
    try:
        info, items = parser.parse(body, "http://x/feed")
    except parser.FeedParseError:
        return
    assert isinstance(items, list)


@SETTINGS
@given(st.text(max_size=300), st.text(max_size=300), st.text(max_size=300))
def test_feed_items_with_hostile_fields(title, link, body):
    from xml.sax.saxutils import escape
    doc = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>{escape(title)}</title>'
           f"<link>{escape(link)}</link><description>{escape(body)}</description></item></channel></rss>"
           ).encode("utf-8", "surrogatepass")
    try:
        info, items = parser.parse(doc, "http://x/feed")
    except parser.FeedParseError:
        return
    for item in items:
        assert item["id"]
