"""Building the graph from text: entity recognition, linking and relation extraction.

`Extractor` is the entry point (`train`, `save`/`load`, `extract`, `ingest`); `load_or_train` gives
the saved model under a directory or trains one. See `kg.extract.extractor` for the pipeline,
`kg.extract.distant` for how training data comes from the graph, and `data/relext/README.md` for
the held-out evaluation set.
"""

from kg.extract.extractor import Extractor, load_or_train
from kg.extract.gazetteer import Gazetteer
from kg.extract.types import CLASSES, ENTITY_TYPES, RELATIONS, SIGNATURES, ExtractedTriple, Mention

__all__ = [
    "CLASSES",
    "ENTITY_TYPES",
    "RELATIONS",
    "SIGNATURES",
    "ExtractedTriple",
    "Extractor",
    "Gazetteer",
    "Mention",
    "load_or_train",
]
