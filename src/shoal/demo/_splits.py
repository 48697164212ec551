"""The seeded train / val / test partition both demo datasets use."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

SPLIT_SHARES = {"train": 0.6, "val": 0.2, "test": 0.2}


def assign_splits(count: int, seed: int) -> dict[str, NDArray[np.int64]]:
    """Row indices of each split (60/20/20 of a seeded permutation), each sorted."""
    order = np.random.default_rng(seed).permutation(count)
    train_end = round(count * SPLIT_SHARES["train"])
    val_end = train_end + round(count * SPLIT_SHARES["val"])
    return {
        "train": np.sort(order[:train_end]),
        "val": np.sort(order[train_end:val_end]),
        "test": np.sort(order[val_end:]),
    }
