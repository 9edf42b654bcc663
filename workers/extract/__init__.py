"""The extraction engine: text -> sentences -> mentions -> events.

Each stage is a plain function over plain data, so each can be inspected on its own:
  sentences.split(text)            -> [Sentence]
  rules.match(sentence)            -> [Match]       (a trigger with its place and actor slots filled)
  engine.Extractor.extract(doc)    -> {"id", "events": [...]}  (contract in DESIGN.md)
"""

from workers.extract.engine import Extractor, extract_document

__all__ = ["Extractor", "extract_document"]
