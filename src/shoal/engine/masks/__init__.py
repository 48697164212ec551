"""Instance masks: COCO RLE (compressed and uncompressed), polygon rasterisation and
mask IoU, each equal to pycocotools; many masks at once as a ``MaskColumn`` (C
kernels), and ``MaskSimilarity``, the detection evaluator's pair similarity for COCO's
``segm``. Layouts are documented in each module."""

from shoal.engine.masks.column import (
    MaskColumn,
    MaskSimilarity,
    mask_pair_ious,
    masks_from_counts,
    masks_from_polygons,
    masks_from_rles,
    masks_from_strings,
    masks_to_strings,
)
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
    "MaskColumn",
    "MaskSimilarity",
    "Rle",
    "box_to_rle",
    "decode_mask",
    "encode_mask",
    "mask_iou",
    "mask_pair_ious",
    "masks_from_counts",
    "masks_from_polygons",
    "masks_from_rles",
    "masks_from_strings",
    "masks_to_strings",
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
