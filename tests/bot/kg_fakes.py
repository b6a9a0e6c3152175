"""A relation extractor that reads canned triples: `Extractor.ingest` itself (thresholds, linking to
the graph, new nodes, provenance, the write) runs for real, without training a model."""

from __future__ import annotations

from collections.abc import Callable

from kg.extract import Extractor
from kg.extract.types import ExtractedTriple

PRICE = "Florence Price studied with George Chadwick in Boston."
DAVIS = "Miles Davis admired Joseph Haydn."


def _triple(head: tuple[str, str], relation: str, tail: tuple[str, str], confidence: float,
            sentence: str, linked: bool) -> ExtractedTriple:
    (head_id, head_name), (tail_id, tail_name) = head, tail
    h, t = sentence.index(head_name), sentence.index(tail_name)
    return ExtractedTriple(head_id, head_name, "Person", relation, tail_id, tail_name, "Person", confidence,
                           sentence, (h, h + len(head_name)), (t, t + len(tail_name)), head_name, tail_name,
                           linked, linked)


CANNED: dict[str, list[ExtractedTriple]] = {
    PRICE: [_triple(("person:florence_price", "Florence Price"), "STUDIED_WITH",
                    ("person:george_chadwick", "George Chadwick"), 0.93, PRICE, linked=False)],
    DAVIS: [_triple(("person:miles_davis", "Miles Davis"), "INFLUENCED_BY",
                    ("person:joseph_haydn", "Joseph Haydn"), 0.41, DAVIS, linked=True)],
}


class CannedExtractor(Extractor):
    """Finds the canned triples of every canned sentence in the text it is given."""

    def __init__(self, canned: dict[str, list[ExtractedTriple]] | None = None,
                 before: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.canned = CANNED if canned is None else canned
        self.before = before  # called with each text first (to watch or to fail)
        self.texts: list[str] = []

    def extract(self, text: str) -> list[ExtractedTriple]:
        if self.before is not None:
            self.before(text)
        self.texts.append(text)
        return [t for sentence, found in self.canned.items() if sentence in text for t in found]
