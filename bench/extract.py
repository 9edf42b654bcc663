"""Extraction speed on one core: feed items (title + summary) and ~800-word articles, mostly irrelevant as in real
streams. Prints documents per second and peak RSS; the last line is one JSON object.

The texts are generated here from templates (no eval text is used): 1 in 20 documents reports a control change.
"""

from __future__ import annotations

import json
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workers.extract.engine import Extractor  # noqa: E402

TOWNS = ["Saraqib", "Kidal", "Avdiivka", "Marib", "Goma", "Sirte", "Mosul", "Lashio", "Bakhmut", "El Fasher"]
ACTORS = ["Rebel fighters", "Government forces", "The army", "Militants", "Russian troops", "M23 rebels"]
FILLER = [
    "The central bank left interest rates unchanged on Thursday, citing slowing inflation and a weaker currency.",
    "Fans queued for hours outside the stadium before the final, which ended in a penalty shoot-out.",
    "Officials said the new rail line would cut journey times between the two largest cities by half.",
    "Heavy rain caused flooding in several districts, and schools were closed as a precaution.",
    "The company reported record quarterly profits and announced plans to hire two thousand workers.",
    "Negotiators met again in Geneva, where delegates discussed prisoner exchanges and humanitarian corridors.",
    "Scientists published new images of a distant galaxy captured by the space telescope.",
    "The minister visited a hospital and promised more funding for rural clinics next year.",
]
EVENTS = [
    "{actor} captured the town of {town} on Tuesday after days of heavy fighting, a military spokesman said.",
    "{town} fell to {actor} overnight, residents said.",
    "{actor} withdrew from {town} on Monday.",
    "{actor} are poised to enter {town} within days.",
]


def feed_item(rng: random.Random, i: int) -> dict:
    relevant = i % 20 == 0
    title = (rng.choice(EVENTS).format(actor=rng.choice(ACTORS), town=rng.choice(TOWNS)) if relevant
             else rng.choice(FILLER)[:80])
    return {"id": f"f{i}", "published": "2024-05-02", "title": title, "text": " ".join(rng.sample(FILLER, 2))}


def article(rng: random.Random, i: int) -> dict:
    relevant = i % 20 == 0
    sentences = [rng.choice(FILLER) for _ in range(56)]
    if relevant:
        sentences[rng.randrange(5, 50)] = rng.choice(EVENTS).format(actor=rng.choice(ACTORS), town=rng.choice(TOWNS))
    text = "\n\n".join(" ".join(sentences[k:k + 3]) for k in range(0, len(sentences), 3))
    return {"id": f"a{i}", "published": "2024-05-02", "title": rng.choice(FILLER)[:70], "text": text}


def rate(extractor: Extractor, docs: list[dict], seconds: float = 3.0) -> float:
    count, started = 0, time.process_time()
    while time.process_time() - started < seconds:
        for doc in docs:
            extractor.extract(doc)
        count += len(docs)
    return count / (time.process_time() - started)


def main() -> None:
    rng = random.Random(7)
    extractor = Extractor()
    items = [feed_item(rng, i) for i in range(2000)]
    articles = [article(rng, i) for i in range(300)]
    words = sum(len(a["text"].split()) for a in articles) / len(articles)
    for doc in items[:200] + articles[:20]:
        extractor.extract(doc)  # warm the gazetteer cache and compiled patterns
    feed_rate = rate(extractor, items)
    article_rate = rate(extractor, articles)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"feed items: {feed_rate:,.0f} items/s on one core (target >= 2,000)")
    print(f"articles:   {article_rate:,.0f} articles/s on one core, {words:.0f} words each (target >= 300)")
    print(f"peak RSS:   {peak:.0f} MB with the gazetteer index open (target <= 400)")
    print(json.dumps({"feed_items_per_s": round(feed_rate), "articles_per_s": round(article_rate), "peak_rss_mb": round(peak)}))


if __name__ == "__main__":
    main()
