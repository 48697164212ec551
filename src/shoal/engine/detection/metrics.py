"""Result types specific to detection: the COCO protocol's parameters and summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoal.errors import InputError

__all__ = ["COCO_STAT_NAMES", "KEYPOINT_STAT_NAMES", "CocoParams", "CocoStat", "CocoSummary"]

COCO_STAT_NAMES = (
    "AP",
    "AP50",
    "AP75",
    "APs",
    "APm",
    "APl",
    "AR1",
    "AR10",
    "AR100",
    "ARs",
    "ARm",
    "ARl",
)

KEYPOINT_STAT_NAMES = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")


@dataclass(frozen=True, slots=True)
class CocoStat:
    """One summary statistic as pycocotools' ``summarize`` computes it: ``kind`` "AP"
    (mean precision) or "AR" (mean recall), over IoU ``iou`` (None: every threshold),
    the area range named ``area`` and the cap ``max_dets``."""

    name: str
    kind: str
    iou: float | None
    area: str
    max_dets: int

    @property
    def title(self) -> str:
        """pycocotools' printed line without the value."""
        long = "Average Precision" if self.kind == "AP" else "Average Recall"
        iou = "0.50:0.95" if self.iou is None else f"{self.iou:0.2f}"
        return (
            f"{long:<18} ({self.kind}) @[ IoU={iou:<9} | area={self.area:>6s} | "
            f"maxDets={self.max_dets:>3d} ]"
        )


@dataclass(frozen=True, slots=True)
class CocoParams:
    """pycocotools' ``Params`` for one ``iouType``: the area ranges (``area_names`` with
    inclusive ``area_bounds``), the per-image caps on predictions ``max_dets``
    (increasing; matching keeps each image's top ``max_dets[-1]`` of a class) and the
    summary statistics. Build with ``bbox()``, ``segm()`` or ``keypoints()``."""

    iou_type: str
    area_names: tuple[str, ...]
    area_bounds: tuple[tuple[float, float], ...]
    max_dets: tuple[int, ...]
    stats: tuple[CocoStat, ...]

    @property
    def area_ranges(self) -> NDArray[np.float64]:
        """(A, 2) float64 [low, high] of each area range, inclusive."""
        return np.asarray(self.area_bounds, dtype=np.float64).reshape(-1, 2)

    @property
    def stat_names(self) -> tuple[str, ...]:
        return tuple(stat.name for stat in self.stats)

    @classmethod
    def bbox(cls) -> CocoParams:
        """COCO's box protocol: areas all/small/medium/large, maxDets 1, 10, 100, the
        12 statistics of ``COCO_STAT_NAMES``."""
        areas = ("all", "small", "medium", "large")
        stats = (
            CocoStat("AP", "AP", None, "all", 100),
            CocoStat("AP50", "AP", 0.5, "all", 100),
            CocoStat("AP75", "AP", 0.75, "all", 100),
            CocoStat("APs", "AP", None, "small", 100),
            CocoStat("APm", "AP", None, "medium", 100),
            CocoStat("APl", "AP", None, "large", 100),
            CocoStat("AR1", "AR", None, "all", 1),
            CocoStat("AR10", "AR", None, "all", 10),
            CocoStat("AR100", "AR", None, "all", 100),
            CocoStat("ARs", "AR", None, "small", 100),
            CocoStat("ARm", "AR", None, "medium", 100),
            CocoStat("ARl", "AR", None, "large", 100),
        )
        bounds = ((0.0, 1e5**2), (0.0, 32.0**2), (32.0**2, 96.0**2), (96.0**2, 1e5**2))
        return cls("bbox", areas, bounds, (1, 10, 100), stats)

    @classmethod
    def segm(cls) -> CocoParams:
        """COCO's mask protocol: the box protocol's areas, caps and statistics."""
        return replace(cls.bbox(), iou_type="segm")

    @classmethod
    def keypoints(cls) -> CocoParams:
        """COCO's keypoint protocol: areas all/medium/large, maxDets 20, the 10
        statistics of ``KEYPOINT_STAT_NAMES``."""
        stats = (
            CocoStat("AP", "AP", None, "all", 20),
            CocoStat("AP50", "AP", 0.5, "all", 20),
            CocoStat("AP75", "AP", 0.75, "all", 20),
            CocoStat("APm", "AP", None, "medium", 20),
            CocoStat("APl", "AP", None, "large", 20),
            CocoStat("AR", "AR", None, "all", 20),
            CocoStat("AR50", "AR", 0.5, "all", 20),
            CocoStat("AR75", "AR", 0.75, "all", 20),
            CocoStat("ARm", "AR", None, "medium", 20),
            CocoStat("ARl", "AR", None, "large", 20),
        )
        bounds = ((0.0, 1e5**2), (32.0**2, 96.0**2), (96.0**2, 1e5**2))
        return cls("keypoints", ("all", "medium", "large"), bounds, (20,), stats)

    @classmethod
    def for_iou_type(cls, iou_type: str) -> CocoParams:
        """The params pycocotools uses for ``iou_type`` (points and polylines use the
        box protocol's areas and caps)."""
        if iou_type == "keypoints":
            return cls.keypoints()
        if iou_type == "segm":
            return cls.segm()
        return replace(cls.bbox(), iou_type=iou_type)


@dataclass(frozen=True, eq=False)
class CocoSummary:
    """The COCO summary statistics of ``params`` (the 12 of ``COCO_STAT_NAMES`` for
    boxes and masks, the 10 of ``KEYPOINT_STAT_NAMES`` for keypoints), with per-class
    AP and AR.

    ``stats`` maps the names in ``params.stat_names`` to values; -1 means "no ground
    truth to measure against" (as pycocotools prints). ``precision`` (T, R, C, A, D)
    and ``recall`` (T, C, A, D) are pycocotools' ``eval['precision']`` and
    ``eval['recall']`` arrays (A: ``params.area_names``, D: ``params.max_dets``).
    """

    stats: dict[str, float]
    labels: tuple[str, ...]
    class_ap: NDArray[np.float64]
    class_ap50: NDArray[np.float64]
    class_ap75: NDArray[np.float64]
    class_ar100: NDArray[np.float64]
    precision: NDArray[np.float64]
    recall: NDArray[np.float64]
    params: CocoParams = field(default_factory=CocoParams.bbox)

    def __getitem__(self, name: str) -> float:
        if name not in self.stats:
            raise InputError(f"unknown COCO statistic {name!r}; use one of {', '.join(self.stats)}")
        return self.stats[name]

    @property
    def _recall_key(self) -> str:
        # The per-class recall at the last cap: "AR100" for boxes and masks, "AR20" for keypoints.
        return f"AR{self.params.max_dets[-1]}"

    def per_class(self) -> dict[str, dict[str, float]]:
        return {
            label: {
                "AP": float(self.class_ap[i]),
                "AP50": float(self.class_ap50[i]),
                "AP75": float(self.class_ap75[i]),
                self._recall_key: float(self.class_ar100[i]),
            }
            for i, label in enumerate(self.labels)
        }

    def to_dict(self) -> dict[str, Any]:
        """The statistics by name (``params.stat_names``) and ``per_class`` (``{label:
        {"AP", "AP50", "AP75", "AR100"}}``, "AR20" for keypoints: recall at the last cap);
        the (T, R, C, A, D) arrays stay out (12,120 numbers a class)."""
        return {**self.stats, "per_class": self.per_class()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CocoSummary:
        """The summary :meth:`to_dict` wrote (e.g. a REST answer). The statistics and the
        per-class values are the original's; ``precision`` and ``recall`` are empty
        arrays, since the dict does not carry them."""
        per_class: Mapping[str, Mapping[str, Any]] = data["per_class"]
        names = [name for name in data if name != "per_class"]
        params = (
            CocoParams.keypoints() if set(names) == set(KEYPOINT_STAT_NAMES) else CocoParams.bbox()
        )

        def column(name: str) -> NDArray[np.float64]:
            values = [per_class[label][name] for label in per_class]
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        return cls(
            stats={
                name: np.nan if data[name] is None else float(data[name])
                for name in params.stat_names
            },
            labels=tuple(str(label) for label in per_class),
            class_ap=column("AP"),
            class_ap50=column("AP50"),
            class_ap75=column("AP75"),
            class_ar100=column(f"AR{params.max_dets[-1]}"),
            precision=np.zeros((0, 0, 0, 0, 0)),
            recall=np.zeros((0, 0, 0, 0)),
            params=params,
        )

    def __str__(self) -> str:
        """pycocotools' ``summarize`` lines."""
        return "\n".join(
            f" {stat.title} = {self.stats[stat.name]:0.3f}" for stat in self.params.stats
        )
