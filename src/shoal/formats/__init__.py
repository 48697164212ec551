"""Readers for annotation and prediction file formats."""

from shoal.formats.coco import read_coco_ground_truth, read_coco_results

__all__ = ["read_coco_ground_truth", "read_coco_results"]
