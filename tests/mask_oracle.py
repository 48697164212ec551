"""NumPy references for the mask kernels (shoal.engine.masks' C code): the vectorised
implementations Shoal used before the C kernels, each itself tested bit-identical to
pycocotools. The tests hold the C kernels to them on inputs pycocotools cannot take in
bulk, besides pycocotools itself."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shoal.engine.masks.rle import Rle, rle_area, rle_bbox
from shoal.errors import InputError

_SCALE = 5.0


def _c_int(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """C's ``(int)`` of doubles: truncation toward zero."""
    return np.trunc(values).astype(np.int64)


def numpy_polygons_to_rles(
    polygons: Sequence[ArrayLike], heights: ArrayLike, widths: ArrayLike
) -> list[Rle]:
    """The RLE of each polygon (``polygon_to_rle`` of each, in one vectorised pass over
    all of them: what reading a file's ground truth needs). ``heights``/``widths`` (N,)
    or one number for all."""
    n = len(polygons)
    hs = np.broadcast_to(np.asarray(heights, np.int64), (n,))
    ws = np.broadcast_to(np.asarray(widths, np.int64), (n,))
    if n == 0:
        return []
    flat = [np.asarray(p, dtype=np.float64).ravel() for p in polygons]
    vertices = np.asarray([f.size // 2 for f in flat], np.int64)
    coords = np.concatenate([f[: 2 * k] for f, k in zip(flat, vertices.tolist(), strict=True)])
    polygon_of_vertex = np.repeat(np.arange(n), vertices)
    first_vertex = np.cumsum(vertices) - vertices
    x = _c_int(_SCALE * coords[0::2] + 0.5)
    y = _c_int(_SCALE * coords[1::2] + 0.5)
    # Each vertex's next one, the last closing on its polygon's first.
    following = np.arange(x.size) + 1
    last_vertex = first_vertex + vertices - 1
    following[last_vertex[vertices > 0]] = first_vertex[vertices > 0]
    xs, ys, xe, ye = x, y, x[following], y[following]
    dx, dy = np.abs(xe - xs), np.abs(ys - ye)
    along_x = dx >= dy
    flip = (along_x & (xs > xe)) | (~along_x & (ys > ye))
    # Walk from the lower end so that rounding is symmetric, in the original order.
    x0, x1 = np.where(flip, xe, xs), np.where(flip, xs, xe)
    y0, y1 = np.where(flip, ye, ys), np.where(flip, ys, ye)
    steps = np.where(along_x, dx, dy)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(along_x, (y1 - y0) / dx, (x1 - x0) / dy)
    lengths = steps + 1
    edge = np.repeat(np.arange(x.size), lengths)
    d = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    t = np.where(flip[edge], steps[edge] - d, d)
    major_x = along_x[edge]
    with np.errstate(invalid="ignore"):
        # A zero-length edge has slope NaN; its one point never marks a crossing.
        rounded = np.where(major_x, y0[edge], x0[edge]) + slope[edge] * t + 0.5
        rounded_int = _c_int(np.nan_to_num(rounded))
    u = np.where(major_x, t + x0[edge], rounded_int)
    v = np.where(major_x, rounded_int, t + y0[edge])
    polygon_of_point = polygon_of_vertex[edge]

    # Crossings of a column centre between consecutive points of one polygon.
    crossing = (
        np.flatnonzero((u[1:] != u[:-1]) & (polygon_of_point[1:] == polygon_of_point[:-1])) + 1
    )
    owner = polygon_of_point[crossing]
    h, w = hs[owner], ws[owner]
    uj, up = u[crossing], u[crossing - 1]
    xd = (np.where(uj < up, uj, uj - 1).astype(np.float64) + 0.5) / _SCALE - 0.5
    keep = (np.floor(xd) == xd) & (xd >= 0) & (xd <= w - 1)
    yd = (np.minimum(v[crossing], v[crossing - 1]).astype(np.float64) + 0.5) / _SCALE - 0.5
    yd = np.ceil(np.clip(yd, 0, h))
    # Marks as uint32 positions (C's unsigned wrap-around kept), each polygon's closed
    # by h * w, sorted within the polygon; the runs are their gaps.
    marks = (xd[keep].astype(np.int64) * h[keep] + yd[keep].astype(np.int64)) & 0xFFFFFFFF
    marks = np.concatenate((marks, (hs * ws) & 0xFFFFFFFF))
    mark_owner = np.concatenate((owner[keep], np.arange(n)))
    order = np.lexsort((marks, mark_owner))
    marks, mark_owner = marks[order], mark_owner[order]
    starts_polygon = np.ones(marks.size, bool)
    starts_polygon[1:] = mark_owner[1:] != mark_owner[:-1]
    gaps = np.diff(marks, prepend=0)
    gaps[starts_polygon] = marks[starts_polygon]
    # pycocotools walks the gaps after the first: an empty gap is dropped together with
    # the gap after it, which joins the run before. So empty gaps pair up, and the
    # gap after an odd stretch of them joins the previous run.
    empty = (gaps == 0) & ~starts_polygon
    zeros_so_far = np.cumsum(empty)
    zeros_at_last_run = np.maximum.accumulate(np.where(empty, 0, zeros_so_far))
    stretch = np.zeros(gaps.size, np.int64)
    stretch[1:] = zeros_so_far[:-1] - zeros_at_last_run[:-1]  # empty gaps just before
    kept = ~empty
    joins = kept & (stretch % 2 == 1) & ~starts_polygon
    run_starts = np.flatnonzero(~joins[kept])
    counts = np.add.reduceat(gaps[kept], run_starts).astype(np.uint32)
    runs_per_polygon = np.bincount(mark_owner[kept][run_starts], minlength=n)
    pieces = np.split(counts, np.cumsum(runs_per_polygon)[:-1])
    return [Rle(int(hh), int(ww), piece) for hh, ww, piece in zip(hs, ws, pieces, strict=True)]


def numpy_rles_from_strings(
    counts: Sequence[str | bytes], heights: ArrayLike, widths: ArrayLike
) -> list[Rle]:
    """Many compressed COCO ``counts`` strings at once (``rle_from_string`` of each, in
    one vectorised pass: what reading a results file needs). ``heights``/``widths``
    (N,) or one number for all."""
    texts = [c.encode("ascii") if isinstance(c, str) else bytes(c) for c in counts]
    n = len(texts)
    hs = np.broadcast_to(np.asarray(heights, np.int64), (n,))
    ws = np.broadcast_to(np.asarray(widths, np.int64), (n,))
    if n and (hs.min() < 0 or ws.min() < 0):
        raise InputError(f"RLE {int(np.flatnonzero((hs < 0) | (ws < 0))[0])}: a negative size")
    lengths = np.asarray([len(t) for t in texts], np.int64)
    groups = np.frombuffer(b"".join(texts), np.uint8).astype(np.int64) - 48
    text_of = np.repeat(np.arange(n), lengths)
    bad = np.flatnonzero((groups < 0) | (groups >= 64))
    if bad.size:
        where = int(text_of[bad[0]])
        position = int(bad[0] - (lengths[:where].sum()))
        raise InputError(
            f"RLE {where}: counts character {chr(texts[where][position])!r} at {position} "
            "is not in COCO's alphabet"
        )
    ends = np.cumsum(lengths)
    final_group = groups[ends[lengths > 0] - 1]  # each nonempty string's last character
    unfinished = np.flatnonzero(lengths > 0)[(final_group & 0x20) != 0]
    if unfinished.size:
        raise InputError(f"RLE {int(unfinished[0])}: counts ends inside a number")
    last = np.flatnonzero((groups & 0x20) == 0)  # each number's last group
    values = np.zeros(last.size, np.int64)
    if last.size:
        first = np.concatenate(([0], last[:-1] + 1))
        place = np.arange(groups.size) - np.repeat(first, last - first + 1)
        values = np.add.reduceat((groups & 0x1F) << (5 * place), first)
        negative = (groups[last] & 0x10) != 0  # the last group's top bit is the sign
        values -= np.where(negative, np.int64(1) << (5 * (place[last] + 1)), 0)
    # Numbers per string; each count from the fourth on is a difference with the count
    # two before: a cumulative sum along each string's odd (from 1) and even (from 2) chain.
    per_text = np.diff(np.searchsorted(last, ends, side="left"), prepend=0)
    owner = np.repeat(np.arange(n), per_text)
    index = np.arange(values.size) - np.repeat(np.cumsum(per_text) - per_text, per_text)
    chained = np.flatnonzero(index >= 1)
    chain_key = owner[chained] * 2 + (index[chained] % 2)
    order = chained[np.argsort(chain_key, kind="stable")]
    key_sorted = owner[order] * 2 + (index[order] % 2)
    totals = np.cumsum(values[order])
    chain_start = np.flatnonzero(np.diff(key_sorted, prepend=-1) != 0)
    before = np.repeat(
        totals[chain_start] - values[order][chain_start],
        np.diff(np.append(chain_start, order.size)),
    )
    values[order] = totals - before
    values &= 0xFFFFFFFF
    pieces = np.split(values.astype(np.uint32), np.cumsum(per_text)[:-1]) if n else []
    return [Rle(int(h), int(w), piece) for h, w, piece in zip(hs, ws, pieces, strict=True)]


def _foreground_runs(
    rles: Sequence[Rle],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Starts and ends (R,) of every foreground run, each RLE's runs in turn, and the
    offsets (N + 1,) of each RLE's runs in them."""
    sizes = np.asarray([r.counts.size for r in rles], np.int64)
    offsets = np.zeros(len(rles) + 1, np.int64)
    np.cumsum(sizes // 2, out=offsets[1:])
    if not rles or not sizes.sum():
        return np.zeros(0, np.int64), np.zeros(0, np.int64), offsets
    runs = np.concatenate([r.counts for r in rles]).astype(np.int64)
    first = np.cumsum(sizes) - sizes
    totals = np.cumsum(runs)
    # Where each run ends inside its own mask: the running total restarted per mask.
    at = np.minimum(first, runs.size - 1)  # a mask without runs repeats nothing
    ends = totals - np.repeat(totals[at] - runs[at], sizes)
    foreground = (np.arange(runs.size) - np.repeat(first, sizes)) % 2 == 1
    return (ends - runs)[foreground], ends[foreground], offsets


def _boxes_overlap(dt_box: NDArray[np.float64], gt_box: NDArray[np.float64]) -> NDArray[np.bool_]:
    """(D, G): whether pycocotools' box IoU of the masks' boxes is above 0."""
    dx, dy, dw, dh = (dt_box[:, i, None] for i in range(4))
    gx, gy, gw, gh = (gt_box[None, :, i] for i in range(4))
    width = np.minimum(dw + dx, gw + gx) - np.maximum(dx, gx)
    height = np.minimum(dh + dy, gh + gy) - np.maximum(dy, gy)
    return (width > 0) & (height > 0)


def numpy_mask_iou(
    predictions: Sequence[Rle], ground_truth: Sequence[Rle], iscrowd: ArrayLike | None = None
) -> NDArray[np.float64]:
    """IoU (D, G) of every prediction mask with every ground-truth mask (see the
    module's layouts); all masks must have one size where their boxes overlap."""
    num_dt, num_gt = len(predictions), len(ground_truth)
    crowd = np.zeros(num_gt, bool) if iscrowd is None else np.asarray(iscrowd, bool).reshape(-1)
    if crowd.size != num_gt:
        raise InputError(f"iscrowd has {crowd.size} values for {num_gt} ground-truth masks")
    iou = np.zeros((num_dt, num_gt), np.float64)
    if num_dt == 0 or num_gt == 0:
        return iou
    dt_index, gt_index = np.nonzero(_boxes_overlap(rle_bbox(predictions), rle_bbox(ground_truth)))
    if dt_index.size == 0:
        return iou
    dt_size = np.asarray([r.size for r in predictions], np.int64).reshape(-1, 2)
    gt_size = np.asarray([r.size for r in ground_truth], np.int64).reshape(-1, 2)
    mismatched = np.flatnonzero((dt_size[dt_index] != gt_size[gt_index]).any(axis=1))
    if mismatched.size:
        d, g = int(dt_index[mismatched[0]]), int(gt_index[mismatched[0]])
        raise InputError(
            f"prediction mask {d} is {predictions[d].size} but ground-truth mask {g} "
            f"is {ground_truth[g].size} (height, width); masks compared must match"
        )

    dt_starts, dt_ends, dt_offsets = _foreground_runs(predictions)
    gt_starts, gt_ends, gt_offsets = _foreground_runs(ground_truth)
    block = max(r.height * r.width for r in predictions) + 1
    dt_shift = np.repeat(np.arange(num_dt, dtype=np.int64) * block, np.diff(dt_offsets))
    line_starts, line_ends = dt_starts + dt_shift, dt_ends + dt_shift
    lengths = line_ends - line_starts
    before = np.cumsum(lengths) - lengths  # foreground on the line before each run

    def foreground_before(position: NDArray[np.int64]) -> NDArray[np.int64]:
        run = np.searchsorted(line_starts, position, side="right") - 1
        safe = np.maximum(run, 0)
        inside = np.clip(position - line_starts[safe], 0, lengths[safe])
        return np.where(run >= 0, before[safe] + inside, 0)

    # Every (pair, ground-truth run) as one row.
    runs_per_pair = gt_offsets[gt_index + 1] - gt_offsets[gt_index]
    pair_of_row = np.repeat(np.arange(dt_index.size), runs_per_pair)
    first_row = np.cumsum(runs_per_pair) - runs_per_pair
    gt_run = gt_offsets[gt_index][pair_of_row] + (
        np.arange(pair_of_row.size) - first_row[pair_of_row]
    )
    shift = dt_index[pair_of_row].astype(np.int64) * block
    overlap = foreground_before(gt_ends[gt_run] + shift) - foreground_before(
        gt_starts[gt_run] + shift
    )
    intersection = np.bincount(pair_of_row, weights=overlap, minlength=dt_index.size)

    dt_area = rle_area(predictions).astype(np.float64)[dt_index]
    gt_area = rle_area(ground_truth).astype(np.float64)[gt_index]
    union = np.where(crowd[gt_index], dt_area, dt_area + gt_area - intersection)
    union = np.where(intersection == 0, 1.0, union)
    iou[dt_index, gt_index] = intersection / union
    return iou
