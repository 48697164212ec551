"""Instance masks: COCO RLE (compressed and uncompressed), polygon rasterisation and
mask IoU, each equal to pycocotools. Layouts are documented in each module."""

from shoal.engine.masks.iou import mask_iou
from shoal.engine.masks.polygons import (
    box_to_rle,
    polygon_to_rle,
    polygons_to_rle,
    polygons_to_rles,
)
from shoal.engine.masks.rle import (
    Rle,
    decode_mask,
    encode_mask,
    merge_rles,
    rle_area,
    rle_bbox,
    rle_from_coco,
    rle_from_string,
    rle_to_coco,
    rle_to_string,
    rles_from_strings,
)

__all__ = [
    "Rle",
    "box_to_rle",
    "decode_mask",
    "encode_mask",
    "mask_iou",
    "merge_rles",
    "polygon_to_rle",
    "polygons_to_rle",
    "polygons_to_rles",
    "rle_area",
    "rle_bbox",
    "rle_from_coco",
    "rle_from_string",
    "rle_to_coco",
    "rle_to_string",
    "rles_from_strings",
]
