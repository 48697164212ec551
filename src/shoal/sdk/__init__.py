"""The upload SDK: build Shoal's tables frame by frame, or load them from columns at once.

The frame builders have the shape of Aquarium's ``LabeledFrame`` / ``InferencesFrame``,
so upload scripts written against that API port with few changes::

    frame = LabeledFrame(frame_id="img_001")
    frame.add_image(image_url="data/img_001.jpg", width=640, height=480)
    frame.add_label_2d_bbox(
        label_id="img_001_0", classification="car", top=10, left=20, width=50, height=30
    )
    frame.add_user_metadata("weather", "rain")
    dataset = LabeledDataset()
    dataset.add_frame(frame)
    tables = dataset.to_tables()  # a validated shoal.tables.DatasetTables

Builders check what is cheap at the point of use (types, finite numbers, confidence in
[0, 1], duplicate ids within a frame, crop embeddings of unknown labels, frames added
twice, metadata types, embedding lengths) and raise :class:`~shoal.errors.InputError`
naming the frame and label. They collect plain Python values; Arrow columns are built
once, in ``to_tables()``, which then validates everything else through
:meth:`DatasetTables.build <shoal.tables.DatasetTables.build>` /
:meth:`InferenceTables.build <shoal.tables.InferenceTables.build>`.

For speed, :meth:`LabeledDataset.from_columns` and :meth:`Inferences.from_columns` take
whole columns: a pyarrow ``Table``, a pandas ``DataFrame`` or a mapping of column name to
list / NumPy array, named as in :mod:`shoal.tables` or by these aliases:

=================  ==================================================
alias              column
=================  ==================================================
``left``           ``x``
``top``            ``y``
``classification`` ``class_name``
``image_url``      ``image_uri`` (frames)
``label_id``       ``prediction_id`` (predictions), ``target_id`` (embeddings)
``embedding``      ``vector`` (embeddings)
=================  ==================================================

NaN means missing (null), as in pandas, in every column but ``confidence``, where it is
an error (a missing confidence is null, and counts as 1.0). A NaN metadata value given
to a builder is missing too. Vectors (``vector``, ``probabilities``)
may be a 2-D NumPy array (one row per record) or a sequence of sequences (``None`` for
missing probabilities).
"""

from __future__ import annotations

from shoal.formats._validation import MetadataType, MetadataValue
from shoal.sdk._builders import Inferences, InferencesFrame, LabeledDataset, LabeledFrame
from shoal.sdk._columns import DEFAULT_MODEL_ID

__all__ = [
    "DEFAULT_MODEL_ID",
    "Inferences",
    "InferencesFrame",
    "LabeledDataset",
    "LabeledFrame",
    "MetadataType",
    "MetadataValue",
]
