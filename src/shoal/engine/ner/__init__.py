"""Named-entity recognition: entity-level scores from tag sequences.

``evaluate_entities(y_true, y_pred)`` extracts the entities of both sides once (seqeval's
default, conlleval-compatible reading, or its strict mode for IOB2, IOE2, IOBES or BILOU)
and returns an ``EntityEvaluation`` whose report, precision, recall and F1 per type and
averaged equal seqeval's, with exact or overlap matching.
"""

from shoal.engine.ner.annotations import TagSequences
from shoal.engine.ner.evaluator import (
    SCHEMES,
    EntityEvaluation,
    evaluate_entities,
    extract_entities,
)
from shoal.engine.ner.metrics import EntitySpans

__all__ = [
    "SCHEMES",
    "EntityEvaluation",
    "EntitySpans",
    "TagSequences",
    "evaluate_entities",
    "extract_entities",
]
