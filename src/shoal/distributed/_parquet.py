"""A stored dataset's frames in partitions whose tasks read their own Parquet rows.

The driver reads only the ``frame_id`` columns, groups the frames into partitions and
sends each task the row numbers (as runs) it owns in the frames, labels and predictions
files. A task reads the row groups holding its rows, turns them into engine columns
(with the caller's conversion, so a store evaluates a partition exactly as it evaluates
a whole inference set), matches them and sends back its kept matchings. The driver puts
every partition's rows back at their place in the files: the result is the evaluation of
the whole files, array for array, as one process would have kept it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.engine.detection.evaluator import DetectionEvaluation, evaluate, frame_order
from shoal.engine.detection.similarity import PairSimilarity
from shoal.errors import InputError, ShoalError

# Stored rows (frames, labels, predictions) to engine columns, and the similarity to
# match them with when it is not box IoU (masks, keypoints...).
Inputs = tuple[GroundTruth, Predictions] | tuple[GroundTruth, Predictions, PairSimilarity | None]
ToInputs = Callable[[pa.Table, pa.Table, pa.Table], Inputs]

# The kept matchings' arrays (``DetectionEvaluation.kept_state``) and what indexes them:
# "dt"/"gt" along the named axis; values that are prediction ("dt") or ground-truth
# ("gt") rows. An array the engine adds that is not listed here is refused rather than
# merged wrongly.
_ROWS_OF = {
    "det_gt": ("dt", "gt"),
    "det_ignored": ("dt", None),
    "gt_det": ("gt", "dt"),
    "coco_status": ("dt", None),
    "best_gt": ("dt", "gt"),
    "best_iou": ("dt", None),
}
_PAIRS = ("pair_gt", "pair_dt", "pair_iou")
_CROSS = ("cross_gt", "cross_dt", "cross_iou")
# Settings every partition shares (the COCO params' arrays where the engine keeps them).
_SHARED = (
    "grid",
    "protocol",
    "pixel_inclusive",
    "coco_iou_type",
    "coco_area_names",
    "coco_area_ranges",
    "coco_max_dets",
)


@dataclass(frozen=True, slots=True)
class ParquetRows:
    """Rows of one Parquet file: ``runs`` (R, 2) of [start, stop) row numbers,
    ascending and disjoint; ``columns`` to read."""

    path: str
    columns: tuple[str, ...]
    runs: NDArray[np.int64]

    @property
    def rows(self) -> NDArray[np.int64]:
        """The row numbers, ascending."""
        if not len(self.runs):
            return np.zeros(0, np.int64)
        lengths = self.runs[:, 1] - self.runs[:, 0]
        starts = np.repeat(self.runs[:, 0] - np.cumsum(lengths) + lengths, lengths)
        return starts + np.arange(int(lengths.sum()), dtype=np.int64)

    def __len__(self) -> int:
        return int((self.runs[:, 1] - self.runs[:, 0]).sum()) if len(self.runs) else 0

    def read(self) -> pa.Table:
        """The rows, read from the row groups that hold them (not the whole file)."""
        parquet = pq.ParquetFile(self.path)
        metadata = parquet.metadata
        sizes = np.asarray(
            [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)], np.int64
        )
        group_starts = np.concatenate([[0], np.cumsum(sizes)])
        rows = self.rows
        if not rows.size:
            return parquet.schema_arrow.empty_table().select(list(self.columns))
        if rows[-1] >= group_starts[-1]:
            raise InputError(
                f"row {int(rows[-1])} is past the file's {int(group_starts[-1])} rows",
                source=self.path,
            )
        groups = np.unique(np.searchsorted(group_starts, rows, side="right") - 1)
        table = parquet.read_row_groups(groups.tolist(), columns=list(self.columns))
        # Where each selected group starts in the table just read.
        read_starts = np.cumsum(np.concatenate([[0], sizes[groups]]))[:-1]
        group_of = np.searchsorted(group_starts, rows, side="right") - 1
        local = rows - group_starts[group_of] + read_starts[np.searchsorted(groups, group_of)]
        if len(self.runs) == 1:
            return table.slice(int(local[0]), len(local))
        return table.take(pa.array(local))


@dataclass(frozen=True, slots=True)
class ParquetPartition:
    """One partition of a stored dataset: its frames' rows and their labels' and
    predictions' rows, each in its own file."""

    frames: ParquetRows
    labels: ParquetRows
    predictions: ParquetRows


def _runs(rows: NDArray[np.int64]) -> NDArray[np.int64]:
    if not rows.size:
        return np.zeros((0, 2), np.int64)
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = rows[np.concatenate([[0], breaks])]
    stops = rows[np.concatenate([breaks - 1, [rows.size - 1]])] + 1
    return np.stack([starts, stops], axis=1).astype(np.int64)


def _frame_positions(path: str, frame_ids: pa.Array, what: str) -> NDArray[np.int64]:
    column = pq.read_table(path, columns=["frame_id"]).column("frame_id")
    positions = pc.index_in(column, value_set=frame_ids)
    if positions.null_count:
        first = int(np.flatnonzero(np.asarray(positions.is_null()))[0])
        raise InputError(
            f"{what} row {first}: frame {column[first].as_py()!r} is not in the frames",
            source=path,
        )
    return np.asarray(positions.to_numpy(zero_copy_only=False), dtype=np.int64)


def _first_rows(frame_of_row: NDArray[np.int64], num_frames: int) -> NDArray[np.int64]:
    """Each frame's first row (``len(frame_of_row)`` for a frame without rows)."""
    first = np.full(num_frames, len(frame_of_row), np.int64)
    frames, index = np.unique(frame_of_row, return_index=True)
    first[frames] = index
    return first


def split_parquet(
    frames: str | os.PathLike[str],
    labels: str | os.PathLike[str],
    predictions: str | os.PathLike[str],
    num_parts: int,
    *,
    columns: Mapping[str, Sequence[str]] | None = None,
) -> list[ParquetPartition]:
    """A stored dataset's frames (``frames``, ``labels`` and ``predictions``: Parquet
    files of ``shoal.tables``' schema, joined on ``frame_id``) split into ``num_parts``
    partitions of about as many rows each, every frame with all its labels and
    predictions. Only the ``frame_id`` columns are read here. Frames are taken in the
    order their predictions (else labels) come in the files, so that when the files are
    grouped by frame each partition reads one run of consecutive rows of each file.
    ``columns`` (keys ``frames``, ``labels``, ``predictions``) are what tasks will read
    (default: every column). Fewer partitions come back when there are fewer frames."""
    if num_parts < 1:
        raise InputError(f"the number of partitions must be at least 1, got {num_parts}")
    paths = {"frames": str(frames), "labels": str(labels), "predictions": str(predictions)}
    wanted = {
        name: tuple(columns[name]) if columns is not None else tuple(pq.read_schema(p).names)
        for name, p in paths.items()
    }
    frame_ids = pq.read_table(paths["frames"], columns=["frame_id"]).column("frame_id")
    frame_ids = frame_ids.combine_chunks()
    num_frames = len(frame_ids)
    label_frame = _frame_positions(paths["labels"], frame_ids, "label")
    prediction_frame = _frame_positions(paths["predictions"], frame_ids, "prediction")
    # Order frames by their first prediction, then first label, then their own place.
    first_prediction = _first_rows(prediction_frame, num_frames)
    first_label = _first_rows(label_frame, num_frames)
    order = np.lexsort((np.arange(num_frames), first_label, first_prediction))
    # Balance rows (a frame weighs its labels and predictions, and one for itself).
    weight = (
        np.bincount(label_frame, minlength=num_frames)
        + np.bincount(prediction_frame, minlength=num_frames)
        + 1
    )
    cumulative = np.cumsum(weight[order])
    total = int(cumulative[-1]) if num_frames else 0
    cuts = np.searchsorted(cumulative, [total * k / num_parts for k in range(1, num_parts)])
    bounds = np.unique(np.concatenate([[0], np.minimum(cuts + 1, num_frames), [num_frames]]))
    part_of_frame = np.empty(num_frames, np.int64)
    for part, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        part_of_frame[order[lo:hi]] = part
    num_kept = max(len(bounds) - 1, 1)

    def rows_by_part(part_of_row: NDArray[np.int64]) -> list[NDArray[np.int64]]:
        # A stable sort keeps each partition's rows ascending.
        rows = np.argsort(part_of_row, kind="stable")
        splits = np.searchsorted(part_of_row[rows], np.arange(1, num_kept))
        return np.split(rows.astype(np.int64), splits)

    frame_rows = rows_by_part(part_of_frame)
    label_rows = rows_by_part(part_of_frame[label_frame])
    prediction_rows = rows_by_part(part_of_frame[prediction_frame])
    return [
        ParquetPartition(
            *(
                ParquetRows(paths[name], wanted[name], _runs(rows[part]))
                for name, rows in (
                    ("frames", frame_rows),
                    ("labels", label_rows),
                    ("predictions", prediction_rows),
                )
            )
        )
        for part in range(num_kept)
    ]


def match_partition(
    partition: ParquetPartition, to_inputs: ToInputs, options: Mapping[str, Any]
) -> dict[str, NDArray[Any]]:
    """A task: read the partition's rows, convert them, match them; its kept matchings."""
    converted = to_inputs(
        partition.frames.read(), partition.labels.read(), partition.predictions.read()
    )
    ground_truth, predictions = converted[0], converted[1]
    if len(ground_truth) != len(partition.labels) or len(predictions) != len(partition.predictions):
        raise ShoalError("the conversion of a partition must keep one engine row per table row")
    similarity = converted[2] if len(converted) == 3 else None
    if similarity is not None:
        options = {**options, "similarity": similarity}
    return match_columns(ground_truth, predictions, options)


def match_columns(
    ground_truth: GroundTruth, predictions: Predictions, options: Mapping[str, Any]
) -> dict[str, NDArray[Any]]:
    """A task: match one partition's columns; its kept matchings (the columns stay)."""
    return evaluate(ground_truth, predictions, **options).kept_state()


def merge_in_file_order(
    states: Sequence[Mapping[str, NDArray[Any]]],
    gt_rows: Sequence[NDArray[np.int64]],
    dt_rows: Sequence[NDArray[np.int64]],
    ground_truth: GroundTruth,
    predictions: Predictions,
    similarity: PairSimilarity | None = None,
) -> DetectionEvaluation:
    """The partitions' kept matchings put back at their rows of the whole inputs, as the
    evaluation of ``ground_truth`` and ``predictions`` (the whole files' engine columns,
    in file order; ``similarity`` the whole's when the partitions matched on one):
    equal, array for array, to matching them in one process.
    ``gt_rows[i]`` / ``dt_rows[i]``: partition i's rows in the whole columns, ascending
    (partition row k is whole row ``rows[k]``); partitions hold whole frames, each
    partition's frames in the whole's order."""
    num_gt, num_dt = len(ground_truth), len(predictions)
    known = {*_ROWS_OF, *_PAIRS, *_CROSS, *_SHARED, "cross_floor"}
    for state in states:
        unknown = sorted(set(state) - known)
        if unknown:
            raise ShoalError(f"cannot merge kept matchings with unknown arrays {unknown}")
    first = states[0]
    shared = [name for name in _SHARED if name in first]
    merged: dict[str, Any] = {name: first[name] for name in shared}
    for state in states[1:]:
        for name in shared:
            if not np.array_equal(state[name], first[name]):
                raise ShoalError(f"cannot merge partitions matched with different {name}")
    if sum(len(r) for r in gt_rows) != num_gt or sum(len(r) for r in dt_rows) != num_dt:
        raise ShoalError("the partitions do not cover the files' rows")

    def to_file(values: NDArray[Any], rows: NDArray[np.int64]) -> NDArray[Any]:
        # A row number (>= 0) becomes its row in the file; -1 (none) stays.
        out = values.copy()
        found = values >= 0
        out[found] = rows[values[found]]
        return out

    for name, (axis_kind, value_kind) in _ROWS_OF.items():
        sample = np.asarray(first[name])
        axis = 0 if name in ("coco_status", "best_gt", "best_iou") else -1
        shape = list(sample.shape)
        shape[axis] = num_dt if axis_kind == "dt" else num_gt
        out = np.empty(shape, sample.dtype)
        for state, gt, dt in zip(states, gt_rows, dt_rows, strict=True):
            values = np.asarray(state[name])
            if value_kind is not None:
                values = to_file(values, gt if value_kind == "gt" else dt)
            where = dt if axis_kind == "dt" else gt
            if axis == 0:
                out[where] = values
            else:
                out[..., where] = values
        merged[name] = out
    # Same-class pairs: group by group ((frame, class) in file frame order), each group's
    # pairs in its partition's matching order.
    pair_gt, pair_dt, pair_iou = [], [], []
    for state, gt, dt in zip(states, gt_rows, dt_rows, strict=True):
        values = np.asarray(state["pair_gt"])
        crowd = values < 0  # a crowd or ignored row, held as -(row + 1)
        mapped = np.where(
            crowd, -(gt[np.where(crowd, -values - 1, 0)] + 1), gt[np.where(crowd, 0, values)]
        )
        pair_gt.append(mapped.astype(values.dtype))
        pair_dt.append(dt[np.asarray(state["pair_dt"])].astype(np.asarray(state["pair_dt"]).dtype))
        pair_iou.append(np.asarray(state["pair_iou"]))
    all_pair_dt = np.concatenate(pair_dt)
    num_classes = max(len(ground_truth.classes), 1)
    group = (
        predictions.frame[all_pair_dt].astype(np.int64) * num_classes
        + predictions.label[all_pair_dt]
    )
    by_group = np.argsort(group, kind="stable")
    merged["pair_gt"] = np.concatenate(pair_gt)[by_group]
    merged["pair_dt"] = all_pair_dt[by_group]
    merged["pair_iou"] = np.concatenate(pair_iou)[by_group]
    # Confusion candidates: every partition's down to the highest floor, in confusion
    # order (prediction by descending score, frame id and row; descending IoU; ground
    # truth row), the order the engine keeps them in. Each partition's list is in that
    # order already (its rows map to file rows in ascending order), and two partitions
    # never tie on (score, frame): a stable sort on those two keys merges them.
    floor = max(float(np.asarray(s["cross_floor"])) for s in states)
    cross_gt, cross_dt, cross_iou = [], [], []
    for state, gt, dt in zip(states, gt_rows, dt_rows, strict=True):
        keep = np.asarray(state["cross_iou"]) >= floor
        cross_gt.append(to_file(np.asarray(state["cross_gt"])[keep], gt))
        cross_dt.append(to_file(np.asarray(state["cross_dt"])[keep], dt))
        cross_iou.append(np.asarray(state["cross_iou"])[keep])
    c_gt, c_dt, c_iou = (np.concatenate(a) for a in (cross_gt, cross_dt, cross_iou))
    frame_rank = np.empty(ground_truth.num_frames, np.int64)
    frame_rank[frame_order(ground_truth.frame_ids)] = np.arange(ground_truth.num_frames)
    order = np.lexsort((frame_rank[predictions.frame[c_dt]], -predictions.score[c_dt]))
    merged["cross_gt"], merged["cross_dt"], merged["cross_iou"] = (
        c_gt[order],
        c_dt[order],
        c_iou[order],
    )
    merged["cross_floor"] = np.asarray(floor, dtype=np.float64)
    return DetectionEvaluation.from_kept_state(
        ground_truth, predictions, merged, similarity=similarity
    )
