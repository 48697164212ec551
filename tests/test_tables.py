"""shoal.tables: the stored tables' helpers."""

import numpy as np
import pytest

from shoal.errors import InputError
from shoal.tables import EMBEDDINGS_SCHEMA, embeddings_table


def test_embeddings_table_from_an_array_of_rows():
    vectors = np.arange(12, dtype=np.float64).reshape(4, 3)
    frames = embeddings_table(["a", "b", "c", "d"], vectors, model="m")
    assert frames.schema == EMBEDDINGS_SCHEMA
    assert frames.column("target_id").null_count == 4
    assert np.array(frames.column("vector").to_pylist(), np.float32).tolist() == vectors.tolist()
    crops = embeddings_table(None, vectors[:2], model="m", target_ids=["l1", "l2"])
    assert crops.column("frame_id").null_count == 2
    assert crops.column("target_id").to_pylist() == ["l1", "l2"]
    with pytest.raises(InputError, match="3 ids for 4 vectors"):
        embeddings_table(["a", "b", "c"], vectors, model="m")
    with pytest.raises(InputError, match="rows of numbers"):
        embeddings_table(["a"], np.zeros(3), model="m")
