/*
 * Shoal's detection kernels: matching, COCO accumulation and operating-point counts.
 *
 * Plain C11 over flat arrays, called through ctypes (see kernels.py, which documents
 * every array layout and allocates every output). Conventions:
 *
 *   - Boxes are (x, y, width, height) doubles, row-major (n, 4).
 *   - Booleans are bytes (0/1), NumPy's bool layout.
 *   - A "group" is one (frame, class) pair. gt_sorted lists ground-truth rows grouped by
 *     (frame, class), file order inside a group; dt_sorted lists predictions grouped the
 *     same way, by descending score inside a group (stable). *_bounds hold [start, end)
 *     into those lists, one row per group.
 *   - Outcome codes: 0 unmatched, 1 matched (a counted true positive), 2 ignored
 *     (matched a crowd, ignored or out-of-range ground truth).
 *
 * IoU uses pycocotools' floating-point operations in the same order (and the build
 * turns off fused multiply-add), so thresholds tie exactly as there.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define UNMATCHED 0
#define MATCHED 1
#define IGNORED 2
#define RULE_COCO 0
#define RULE_VOC 1

/* fmin/fmax without the NaN handling that keeps them out of line (inputs are finite). */
static inline double min2(double a, double b) { return a < b ? a : b; }
static inline double max2(double a, double b) { return a > b ? a : b; }

static inline double box_iou(const double *d, const double *g, int crowd, int pixel_inclusive) {
    if (pixel_inclusive) {
        double left = max2(d[0], g[0]);
        double right = min2(d[0] + d[2], g[0] + g[2]);
        double top = max2(d[1], g[1]);
        double bottom = min2(d[1] + d[3], g[1] + g[3]);
        if (right < left || bottom < top) return 0.0;
        double inter = (right - left + 1.0) * (bottom - top + 1.0);
        double da = (d[2] + 1.0) * (d[3] + 1.0);
        double ga = (g[2] + 1.0) * (g[3] + 1.0);
        double uni = crowd ? da : da + ga - inter;
        return inter / uni;
    }
    double da = d[2] * d[3];
    double ga = g[2] * g[3];
    double w = min2(d[2] + d[0], g[2] + g[0]) - max2(d[0], g[0]);
    if (w <= 0.0) return 0.0;
    double h = min2(d[3] + d[1], g[3] + g[1]) - max2(d[1], g[1]);
    if (h <= 0.0) return 0.0;
    double inter = w * h;
    double uni = crowd ? da : da + ga - inter;
    return inter / uni;
}

void shoal_pair_ious(int64_t n, const double *dt_box, const double *gt_box, const uint8_t *crowd,
                     int64_t pixel_inclusive, double *out) {
    for (int64_t i = 0; i < n; i++)
        out[i] = box_iou(dt_box + 4 * i, gt_box + 4 * i, crowd[i], (int)pixel_inclusive);
}

/*
 * Match one group at one threshold. ious is (nd, ng) row-major with dets in score order;
 * order lists the group's ground truth, non-ignored first (stable). Writes det_gt[d] (a
 * local ground-truth column or -1) for d < num_dets and gt_det[g] (a local det or -1).
 */
static void greedy_match(const double *ious, int64_t ng, const int64_t *order,
                         const uint8_t *ignored, const uint8_t *crowd, int64_t num_dets,
                         double threshold, int rule, int64_t *det_gt, int64_t *gt_det) {
    for (int64_t g = 0; g < ng; g++) gt_det[g] = -1;
    double limit = threshold < 1.0 - 1e-10 ? threshold : 1.0 - 1e-10;
    for (int64_t d = 0; d < num_dets; d++) {
        const double *row = ious + d * ng;
        det_gt[d] = -1;
        if (rule == RULE_VOC) {
            int64_t best = -1;
            double best_iou = -1.0;
            for (int64_t g = 0; g < ng; g++)
                if (row[g] > best_iou) {
                    best_iou = row[g];
                    best = g;
                }
            /* A taken (non-ignored) best match leaves the prediction a duplicate. */
            if (best >= 0 && best_iou >= limit && (ignored[best] || gt_det[best] < 0)) {
                det_gt[d] = best;
                if (gt_det[best] < 0) gt_det[best] = d;
            }
            continue;
        }
        int64_t best = -1;
        double best_iou = limit;
        for (int64_t j = 0; j < ng; j++) {
            int64_t g = order[j];
            if (gt_det[g] >= 0 && !crowd[g]) continue;
            if (best > -1 && !ignored[best] && ignored[g]) break;
            if (row[g] < best_iou) continue;
            best_iou = row[g];
            best = g;
        }
        if (best >= 0) {
            det_gt[d] = best;
            gt_det[best] = d;
        }
    }
}

static void ignored_first(int64_t n, const uint8_t *ignored, int64_t *order) {
    int64_t k = 0;
    for (int64_t g = 0; g < n; g++)
        if (!ignored[g]) order[k++] = g;
    for (int64_t g = 0; g < n; g++)
        if (ignored[g]) order[k++] = g;
}

/*
 * Match every group that has both sides; see kernels.match_all for the layouts.
 * Outputs must be pre-filled: det_gt/gt_det with -1, det_ignored/coco_status with 0,
 * best_gt with -1, best_iou with 0. Returns the number of same-class pairs written.
 */
int64_t shoal_match_all(
    const double *gt_box, const double *gt_area, const uint8_t *gt_crowd, const uint8_t *gt_ignore,
    const double *dt_box, int64_t num_gt, int64_t num_dt,
    const int64_t *gt_sorted, const int64_t *gt_bounds, const int64_t *dt_sorted,
    const int64_t *dt_bounds, int64_t num_groups,
    const double *grid, int64_t num_grid, const double *coco_thresholds, const int64_t *coco_in_grid,
    int64_t num_coco, const double *area_ranges, int64_t num_area, int64_t max_det, int64_t rule,
    int64_t pixel_inclusive,
    int32_t *det_gt, uint8_t *det_ignored, int32_t *gt_det, int8_t *coco_status, int32_t *best_gt,
    double *best_iou, int32_t *pair_gt, int32_t *pair_dt, double *pair_iou) {
    int64_t max_ng = 0, max_nd = 0;
    for (int64_t k = 0; k < num_groups; k++) {
        int64_t ng = gt_bounds[2 * k + 1] - gt_bounds[2 * k];
        int64_t nd = dt_bounds[2 * k + 1] - dt_bounds[2 * k];
        if (ng > max_ng) max_ng = ng;
        if (nd > max_nd) max_nd = nd;
    }
    /* One set of scratch buffers for every group. */
    double *ious = malloc(sizeof(double) * (max_nd * max_ng + 1));
    uint8_t *crowd = malloc(max_ng + 1), *ignored = malloc(max_ng + 1), *area_ign = malloc(max_ng + 1);
    int64_t *order = malloc(sizeof(int64_t) * (max_ng + 1));
    int64_t *area_order = malloc(sizeof(int64_t) * (max_ng + 1));
    int64_t *local_det = malloc(sizeof(int64_t) * (max_nd + 1));
    int64_t *local_gt = malloc(sizeof(int64_t) * (max_ng + 1));
    if (!ious || !crowd || !ignored || !area_ign || !order || !area_order || !local_det || !local_gt) {
        free(ious), free(crowd), free(ignored), free(area_ign), free(order), free(area_order);
        free(local_det), free(local_gt);
        return -1;
    }
    int64_t num_pairs = 0;
    (void)num_gt;
    for (int64_t k = 0; k < num_groups; k++) {
        const int64_t *gts = gt_sorted + gt_bounds[2 * k];
        const int64_t *dts = dt_sorted + dt_bounds[2 * k];
        int64_t ng = gt_bounds[2 * k + 1] - gt_bounds[2 * k];
        int64_t nd = dt_bounds[2 * k + 1] - dt_bounds[2 * k];
        for (int64_t j = 0; j < ng; j++) {
            crowd[j] = gt_crowd[gts[j]];
            ignored[j] = gt_crowd[gts[j]] || gt_ignore[gts[j]];
        }
        for (int64_t i = 0; i < nd; i++) {
            int64_t d = dts[i];
            for (int64_t j = 0; j < ng; j++) {
                int64_t g = gts[j];
                double v = box_iou(dt_box + 4 * d, gt_box + 4 * g, crowd[j] && rule == RULE_COCO,
                                   (int)pixel_inclusive);
                ious[i * ng + j] = v;
                if (!ignored[j] && v > 0.0) {
                    pair_gt[num_pairs] = (int32_t)g;
                    pair_dt[num_pairs] = (int32_t)d;
                    pair_iou[num_pairs] = v;
                    num_pairs++;
                    if (v > best_iou[d]) {
                        best_iou[d] = v;
                        best_gt[d] = (int32_t)g;
                    }
                }
            }
        }
        ignored_first(ng, ignored, order);
        for (int64_t t = 0; t < num_grid; t++) {
            greedy_match(ious, ng, order, ignored, crowd, nd, grid[t], (int)rule, local_det, local_gt);
            for (int64_t i = 0; i < nd; i++) {
                int64_t j = local_det[i];
                if (j >= 0) {
                    det_gt[t * num_dt + dts[i]] = (int32_t)gts[j];
                    det_ignored[t * num_dt + dts[i]] = ignored[j];
                }
            }
            for (int64_t j = 0; j < ng; j++)
                if (local_gt[j] >= 0) gt_det[t * num_gt + gts[j]] = (int32_t)dts[local_gt[j]];
        }
        int64_t capped = nd < max_det ? nd : max_det;
        for (int64_t a = 0; a < num_area; a++) {
            double lo = area_ranges[2 * a], hi = area_ranges[2 * a + 1];
            int same_as_grid = 1;
            for (int64_t j = 0; j < ng; j++) {
                double area = gt_area[gts[j]];
                area_ign[j] = ignored[j] || area < lo || area > hi;
                same_as_grid = same_as_grid && area_ign[j] == ignored[j];
            }
            ignored_first(ng, area_ign, area_order);
            for (int64_t t = 0; t < num_coco; t++) {
                int64_t g = coco_in_grid[t];
                if (same_as_grid && g >= 0) {
                    /* Same flags, same order: the capped matching is a prefix of the
                       grid's uncapped one. */
                    for (int64_t i = 0; i < capped; i++) {
                        int64_t d = dts[i];
                        if (det_gt[g * num_dt + d] >= 0)
                            coco_status[(d * num_area + a) * num_coco + t] =
                                det_ignored[g * num_dt + d] ? IGNORED : MATCHED;
                    }
                    continue;
                }
                greedy_match(ious, ng, area_order, area_ign, crowd, capped, coco_thresholds[t],
                             (int)rule, local_det, local_gt);
                for (int64_t i = 0; i < capped; i++) {
                    int64_t j = local_det[i];
                    if (j >= 0)
                        coco_status[(dts[i] * num_area + a) * num_coco + t] =
                            area_ign[j] ? IGNORED : MATCHED;
                }
            }
        }
    }
    free(ious), free(crowd), free(ignored), free(area_ign), free(order), free(area_order);
    free(local_det), free(local_gt);
    return num_pairs;
}

/*
 * Every (prediction, counted ground truth of another class) pair in one frame with
 * IoU >= min_iou. *_frame_sorted list rows grouped by frame; *_frame_bounds (F, 2).
 * Returns the number of pairs written (capacity: the sum of per-frame products).
 */
int64_t shoal_cross_class_pairs(const double *gt_box, const int32_t *gt_label,
                                const uint8_t *gt_counted, const double *dt_box,
                                const int32_t *dt_label, const int64_t *gt_frame_sorted,
                                const int64_t *gt_frame_bounds, const int64_t *dt_frame_sorted,
                                const int64_t *dt_frame_bounds, int64_t num_frames, double min_iou,
                                int64_t pixel_inclusive, int32_t *pair_dt, int32_t *pair_gt,
                                double *pair_iou) {
    int64_t n = 0;
    for (int64_t f = 0; f < num_frames; f++) {
        for (int64_t i = dt_frame_bounds[2 * f]; i < dt_frame_bounds[2 * f + 1]; i++) {
            int64_t d = dt_frame_sorted[i];
            for (int64_t j = gt_frame_bounds[2 * f]; j < gt_frame_bounds[2 * f + 1]; j++) {
                int64_t g = gt_frame_sorted[j];
                if (!gt_counted[g] || gt_label[g] == dt_label[d]) continue;
                double v = box_iou(dt_box + 4 * d, gt_box + 4 * g, 0, (int)pixel_inclusive);
                if (v >= min_iou && v > 0.0) {
                    pair_dt[n] = (int32_t)d;
                    pair_gt[n] = (int32_t)g;
                    pair_iou[n] = v;
                    n++;
                }
            }
        }
    }
    return n;
}

/*
 * pycocotools' accumulate; see kernels.coco_accumulate for the layouts. precision
 * (T, R, C, A, 3) and recall (T, C, A, 3) must be pre-filled with -1.
 */
int64_t shoal_coco_accumulate(const int64_t *class_bounds, int64_t num_cls,
                              const int64_t *sorted_rank, const double *sorted_area,
                              const uint8_t *sorted_selected, const int8_t *sorted_status,
                              int64_t num_area, int64_t num_thr, const int64_t *num_counted_gt,
                              const double *area_ranges, const int64_t *max_dets,
                              const double *recall_points, int64_t num_rec, double *precision,
                              double *recall) {
    const double eps = 2.220446049250313e-16; /* np.spacing(1) */
    int64_t max_n = 0;
    for (int64_t c = 0; c < num_cls; c++) {
        int64_t n = class_bounds[2 * c + 1] - class_bounds[2 * c];
        if (n > max_n) max_n = n;
    }
    int8_t *codes = malloc((size_t)(num_area * num_thr * max_n + 1));
    int8_t *level = malloc((size_t)(max_n + 1));
    double *fp_at = malloc(sizeof(double) * (3 * max_n + 1));
    double *pr = malloc(sizeof(double) * (max_n + 1));
    if (!codes || !level || !fp_at || !pr) {
        free(codes), free(level), free(fp_at), free(pr);
        return -1;
    }
    const int64_t cap0 = max_dets[0], cap1 = max_dets[1], cap2 = max_dets[2];
#define PREC(t, r, c, a, m) precision[((((t) * num_rec + (r)) * num_cls + (c)) * num_area + (a)) * 3 + (m)]
#define REC(t, c, a, m) recall[(((t) * num_cls + (c)) * num_area + (a)) * 3 + (m)]
    for (int64_t c = 0; c < num_cls; c++) {
        int any = 0;
        for (int64_t a = 0; a < num_area; a++) any |= num_counted_gt[a * num_cls + c] > 0;
        if (!any) continue;
        int64_t start = class_bounds[2 * c], n = class_bounds[2 * c + 1] - start;
        /* Codes laid out (area, threshold, position) so the passes read memory in order:
           1 true positive, 2 counted false positive, 0 neither (ignored, past every cap,
           or unmatched outside the area range). */
        memset(codes, 0, (size_t)(num_area * num_thr * n));
        for (int64_t i = 0; i < n; i++) {
            int64_t s = start + i;
            int64_t rank = sorted_rank[s];
            level[i] = rank < cap0 ? 0 : (rank < cap1 ? 1 : 2);
            if (!sorted_selected[s] || rank >= cap2) continue;
            double area = sorted_area[s];
            for (int64_t a = 0; a < num_area; a++) {
                int outside = area < area_ranges[2 * a] || area > area_ranges[2 * a + 1];
                for (int64_t t = 0; t < num_thr; t++) {
                    int8_t status = sorted_status[(s * num_area + a) * num_thr + t];
                    int8_t *code = &codes[(a * num_thr + t) * n + i];
                    if (status == MATCHED) *code = 1;
                    else if (status == UNMATCHED && !outside) *code = 2;
                }
            }
        }
        /* Precision only rises at a true positive, so the envelope and its samples need
           only the true positives' entries; recall point 0 before any true positive reads
           the same maximum. fp_at[m * n + j]: cap m's false positives when TP j+1 arrives. */
        for (int64_t a = 0; a < num_area; a++) {
            int64_t npig = num_counted_gt[a * num_cls + c];
            if (npig == 0) continue;
            for (int64_t t = 0; t < num_thr; t++) {
                const int8_t *row = &codes[(a * num_thr + t) * n];
                int64_t tp[3] = {0, 0, 0};
                int64_t fp0 = 0, fp1 = 0, fp2 = 0;
                for (int64_t i = 0; i < n; i++) {
                    int8_t code = row[i];
                    int lv = level[i];
                    /* Branch-free false-positive counts: codes mix unpredictably. */
                    int64_t is_fp = code >> 1;
                    fp2 += is_fp;
                    fp1 += is_fp & (lv <= 1);
                    fp0 += is_fp & (lv == 0);
                    if (code == 1) {
                        fp_at[2 * n + tp[2]++] = (double)fp2;
                        if (lv <= 1) fp_at[n + tp[1]++] = (double)fp1;
                        if (lv == 0) fp_at[tp[0]++] = (double)fp0;
                    }
                }
                for (int m = 0; m < 3; m++) {
                    int64_t count = tp[m];
                    REC(t, c, a, m) = (double)count / (double)npig;
                    for (int64_t j = 0; j < count; j++)
                        pr[j] = (j + 1.0) / (fp_at[m * n + j] + (j + 1.0) + eps);
                    for (int64_t j = count - 1; j > 0; j--)
                        if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
                    int64_t j = 0;
                    for (int64_t r = 0; r < num_rec; r++) {
                        while (j < count && (j + 1.0) / (double)npig < recall_points[r]) j++;
                        PREC(t, r, c, a, m) = j < count ? pr[j] : 0.0;
                    }
                }
            }
        }
    }
#undef PREC
#undef REC
    free(codes), free(level), free(fp_at), free(pr);
    return 0;
}

/* Per-class TP, FP, FN at one grid threshold (outputs zero-filled by the caller). */
void shoal_operating_point_counts(int64_t num_dt, const int32_t *dt_label, const double *dt_score,
                                  const uint8_t *dt_selected, const int32_t *det_gt,
                                  const uint8_t *det_ignored, int64_t num_gt,
                                  const int32_t *gt_label, const uint8_t *gt_selected,
                                  const int32_t *gt_det, const double *class_conf, int64_t *tp,
                                  int64_t *fp, int64_t *fn, uint8_t *dt_is_fp, uint8_t *gt_is_fn) {
    for (int64_t d = 0; d < num_dt; d++) {
        if (!dt_selected[d] || det_ignored[d]) continue;
        int32_t c = dt_label[d];
        if (dt_score[d] < class_conf[c]) continue;
        if (det_gt[d] >= 0) {
            tp[c]++;
        } else {
            fp[c]++;
            dt_is_fp[d] = 1;
        }
    }
    for (int64_t g = 0; g < num_gt; g++) {
        if (!gt_selected[g]) continue;
        int32_t c = gt_label[g];
        int32_t d = gt_det[g];
        if (d < 0 || dt_score[d] < class_conf[c]) {
            fn[c]++;
            gt_is_fn[g] = 1;
        }
    }
}

/* The confusion pass over cross-class candidates (outputs -1-filled by the caller). */
void shoal_assign_confusions(int64_t num_pairs, const int32_t *pair_dt, const int32_t *pair_gt,
                             const double *pair_iou, const uint8_t *dt_is_fp,
                             const uint8_t *gt_is_fn, double threshold, int32_t *dt_confused_gt,
                             int32_t *gt_confused_dt) {
    double limit = threshold < 1.0 - 1e-10 ? threshold : 1.0 - 1e-10;
    for (int64_t p = 0; p < num_pairs; p++) {
        int32_t d = pair_dt[p], g = pair_gt[p];
        if (pair_iou[p] < limit || !dt_is_fp[d] || !gt_is_fn[g]) continue;
        if (dt_confused_gt[d] >= 0 || gt_confused_dt[g] >= 0) continue;
        dt_confused_gt[d] = g;
        gt_confused_dt[g] = d;
    }
}

/* Cumulative TP/FP down order[start:end], one entry per distinct score. Returns count. */
int64_t shoal_cumulative_curve(const int64_t *order, int64_t start, int64_t end,
                               const uint8_t *dt_selected, const int32_t *det_gt,
                               const uint8_t *det_ignored, const double *dt_score,
                               double *thresholds, double *tps, double *fps) {
    double tp = 0.0, fp = 0.0, last = NAN;
    int64_t count = 0;
    for (int64_t i = start; i < end; i++) {
        int64_t d = order[i];
        if (!dt_selected[d] || det_ignored[d]) continue;
        if (det_gt[d] >= 0) tp += 1.0;
        else fp += 1.0;
        if (count > 0 && dt_score[d] == last) count--;
        thresholds[count] = dt_score[d];
        tps[count] = tp;
        fps[count] = fp;
        last = dt_score[d];
        count++;
    }
    return count;
}

/* Per-class AP at one grid threshold (out pre-filled with -1). interpolation: 0 COCO
   101-point, 1 VOC all-point, 2 VOC 11-point (sampled at recall_points). */
int64_t shoal_average_precision_by_class(const int64_t *dt_order, const int64_t *class_bounds,
                                         int64_t num_cls, const uint8_t *dt_selected,
                                         const int32_t *det_gt, const uint8_t *det_ignored,
                                         const int64_t *num_positive, int64_t interpolation,
                                         const double *recall_points, int64_t num_rec,
                                         double *out) {
    const double eps = 2.220446049250313e-16;
    int64_t max_n = 0;
    for (int64_t c = 0; c < num_cls; c++) {
        int64_t n = class_bounds[2 * c + 1] - class_bounds[2 * c];
        if (n > max_n) max_n = n;
    }
    double *rc = malloc(sizeof(double) * (max_n + 1)), *pr = malloc(sizeof(double) * (max_n + 1));
    if (!rc || !pr) {
        free(rc), free(pr);
        return -1;
    }
    for (int64_t c = 0; c < num_cls; c++) {
        int64_t npos = num_positive[c];
        if (npos == 0) continue;
        double tp = 0.0, fp = 0.0;
        int64_t count = 0;
        for (int64_t i = class_bounds[2 * c]; i < class_bounds[2 * c + 1]; i++) {
            int64_t d = dt_order[i];
            if (!dt_selected[d] || det_ignored[d]) continue;
            if (det_gt[d] >= 0) tp += 1.0;
            else fp += 1.0;
            rc[count] = tp / (double)npos;
            pr[count] = interpolation == 0 ? tp / (fp + tp + eps) : tp / (fp + tp);
            count++;
        }
        for (int64_t i = count - 1; i > 0; i--)
            if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
        double total = 0.0;
        if (interpolation == 1) {
            double previous = 0.0;
            for (int64_t i = 0; i < count; i++) {
                total += (rc[i] - previous) * pr[i];
                previous = rc[i];
            }
            out[c] = total;
            continue;
        }
        int64_t i = 0;
        for (int64_t r = 0; r < num_rec; r++) {
            while (i < count && rc[i] < recall_points[r]) i++;
            total += i < count ? pr[i] : 0.0;
        }
        out[c] = total / (double)num_rec;
    }
    free(rc), free(pr);
    return 0;
}

/* Stable counting sort of the rows in order[] by keys[row] in [0, num_keys). */
int64_t shoal_counting_sort(const int64_t *keys, int64_t num_keys, const int64_t *order, int64_t n,
                            int64_t *out, int64_t *bounds) {
    int64_t *next = calloc((size_t)num_keys + 1, sizeof(int64_t));
    if (!next) return -1;
    for (int64_t i = 0; i < n; i++) next[keys[order[i]] + 1]++;
    for (int64_t k = 0; k < num_keys; k++) next[k + 1] += next[k];
    for (int64_t k = 0; k < num_keys; k++) {
        bounds[2 * k] = next[k];
        bounds[2 * k + 1] = next[k + 1];
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t row = order[i];
        out[next[keys[row]]++] = row;
    }
    free(next);
    return 0;
}

/* Stable merge sort of rows by descending score; tmp has room for n rows. */
static void merge_sort_desc(int64_t *rows, int64_t *tmp, int64_t n, const double *score) {
    if (n <= 24) {
        for (int64_t i = 1; i < n; i++) {
            int64_t row = rows[i];
            double value = score[row];
            int64_t j = i - 1;
            while (j >= 0 && score[rows[j]] < value) {
                rows[j + 1] = rows[j];
                j--;
            }
            rows[j + 1] = row;
        }
        return;
    }
    int64_t half = n / 2;
    merge_sort_desc(rows, tmp, half, score);
    merge_sort_desc(rows + half, tmp, n - half, score);
    if (score[rows[half - 1]] >= score[rows[half]]) return; /* already in order */
    memcpy(tmp, rows, sizeof(int64_t) * half);
    int64_t i = 0, j = half, k = 0;
    while (i < half && j < n) {
        /* Take from the right only when strictly higher: equal scores keep their order. */
        if (score[rows[j]] > score[tmp[i]]) rows[k++] = rows[j++];
        else rows[k++] = tmp[i++];
    }
    while (i < half) rows[k++] = tmp[i++];
}

/* Within each [start, end) segment of order, a stable sort by descending score. */
int64_t shoal_sort_segments_by_score(int64_t *order, const int64_t *bounds, int64_t num_segments,
                                     const double *score) {
    int64_t max_n = 0;
    for (int64_t s = 0; s < num_segments; s++) {
        int64_t n = bounds[2 * s + 1] - bounds[2 * s];
        if (n > max_n) max_n = n;
    }
    int64_t *tmp = malloc(sizeof(int64_t) * (max_n / 2 + 1));
    if (!tmp) return -1;
    for (int64_t s = 0; s < num_segments; s++)
        merge_sort_desc(order + bounds[2 * s], tmp, bounds[2 * s + 1] - bounds[2 * s], score);
    free(tmp);
    return 0;
}

/* Bounds of the keys present on both sides (rows sorted by key). Returns the count. */
int64_t shoal_shared_groups(const int64_t *gt_key, const int64_t *gt_sorted, int64_t num_gt,
                            const int64_t *dt_key, const int64_t *dt_sorted, int64_t num_dt,
                            int64_t *gt_bounds, int64_t *dt_bounds) {
    int64_t n = 0, i = 0, j = 0;
    while (i < num_gt && j < num_dt) {
        int64_t gk = gt_key[gt_sorted[i]], dk = dt_key[dt_sorted[j]];
        if (gk < dk) {
            i++;
            continue;
        }
        if (dk < gk) {
            j++;
            continue;
        }
        int64_t i_end = i, j_end = j;
        while (i_end < num_gt && gt_key[gt_sorted[i_end]] == gk) i_end++;
        while (j_end < num_dt && dt_key[dt_sorted[j_end]] == dk) j_end++;
        gt_bounds[2 * n] = i, gt_bounds[2 * n + 1] = i_end;
        dt_bounds[2 * n] = j, dt_bounds[2 * n + 1] = j_end;
        n++;
        i = i_end, j = j_end;
    }
    return n;
}

/* 0-based position of each row inside its run of equal keys along sorted[]. */
void shoal_ranks_in_groups(const int64_t *sorted, int64_t n, const int64_t *key, int64_t *rank) {
    int64_t start = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i > 0 && key[sorted[i]] != key[sorted[i - 1]]) start = i;
        rank[sorted[i]] = i - start;
    }
}

/* [start, end) of each run of equal key[row] along order[]. Returns the run count. */
int64_t shoal_key_runs(const int64_t *order, int64_t n, const int64_t *key, int64_t *bounds) {
    int64_t runs = 0, start = 0;
    for (int64_t i = 1; i <= n; i++) {
        if (i == n || key[order[i]] != key[order[i - 1]]) {
            bounds[2 * runs] = start, bounds[2 * runs + 1] = i;
            runs++;
            start = i;
        }
    }
    return runs;
}

/*
 * Every counted object's outcome at one operating point (see evaluator.outcomes).
 *
 * Predictions first (selected, not ignored, at or above their class threshold, of a
 * wanted class), then ground truth (selected counted rows of a wanted class). For row i
 * of the output: row[i] is the prediction or ground-truth row, outcome[i] 0 TP / 1 FP /
 * 2 FN, reason[i] 0 none / 1 class_confusion / 2 duplicate / 3 localization /
 * 4 background / 5 missed, partner[i] the other side's row (-1 none), iou[i] with it.
 * same_gt/same_dt list same-class overlapping pairs by ground truth, then descending
 * IoU, then descending score, then prediction row: a missed ground truth's localization
 * partner is its first eligible pair. localizer is scratch of num_gt entries.
 * Returns the number of prediction rows; *total receives the number of rows.
 */
int64_t shoal_outcomes(
    int64_t num_dt, const int32_t *dt_label, const double *dt_score, const uint8_t *dt_selected,
    const int32_t *det_gt, const uint8_t *det_ignored, const int32_t *best_gt,
    const double *best_iou, const int32_t *dt_confused_gt, const double *class_conf,
    const uint8_t *class_wanted, int64_t num_gt, const int32_t *gt_label,
    const uint8_t *gt_selected, const int32_t *gt_det, const uint8_t *gt_is_fn,
    const int32_t *gt_confused_dt, int64_t num_pairs, const int32_t *same_gt,
    const int32_t *same_dt, const double *dt_box, const double *gt_box, const uint8_t *gt_crowd,
    int64_t use_crowd, int64_t pixel_inclusive, double threshold, int64_t *localizer,
    int64_t *row, int8_t *outcome, int8_t *reason, int64_t *partner, double *iou,
    int64_t *total) {
    double limit = threshold < 1.0 - 1e-10 ? threshold : 1.0 - 1e-10;
    int64_t n = 0;
    for (int64_t d = 0; d < num_dt; d++) {
        int32_t c = dt_label[d];
        if (!dt_selected[d] || det_ignored[d] || !class_wanted[c] || dt_score[d] < class_conf[c])
            continue;
        int64_t p;
        int8_t why;
        if (det_gt[d] >= 0) {
            p = det_gt[d], why = 0;
        } else if (dt_confused_gt[d] >= 0) {
            p = dt_confused_gt[d], why = 1;
        } else {
            p = best_gt[d];
            why = best_iou[d] >= limit ? 2 : (best_iou[d] > 0.0 ? 3 : 4);
        }
        row[n] = d;
        outcome[n] = det_gt[d] >= 0 ? 0 : 1;
        reason[n] = why;
        partner[n] = p;
        iou[n] = p >= 0 ? box_iou(dt_box + 4 * d, gt_box + 4 * p, use_crowd && gt_crowd[p],
                                  (int)pixel_inclusive)
                        : 0.0;
        n++;
    }
    int64_t num_pred_rows = n;
    for (int64_t g = 0; g < num_gt; g++) localizer[g] = -1;
    for (int64_t q = 0; q < num_pairs; q++) {
        int32_t g = same_gt[q], d = same_dt[q];
        if (localizer[g] >= 0 || !gt_is_fn[g]) continue;
        if (dt_selected[d] && !det_ignored[d] && dt_score[d] >= class_conf[dt_label[d]])
            localizer[g] = d;
    }
    for (int64_t g = 0; g < num_gt; g++) {
        if (!gt_selected[g] || !class_wanted[gt_label[g]]) continue;
        int64_t p;
        int8_t out, why;
        if (!gt_is_fn[g]) {
            p = gt_det[g], out = 0, why = 0;
        } else if (gt_confused_dt[g] >= 0) {
            p = gt_confused_dt[g], out = 2, why = 1;
        } else if (localizer[g] >= 0) {
            p = localizer[g], out = 2, why = 3;
        } else {
            p = -1, out = 2, why = 5;
        }
        row[n] = g;
        outcome[n] = out;
        reason[n] = why;
        partner[n] = p;
        iou[n] = p >= 0 ? box_iou(dt_box + 4 * p, gt_box + 4 * g, use_crowd && gt_crowd[g],
                                  (int)pixel_inclusive)
                        : 0.0;
        n++;
    }
    *total = n;
    return num_pred_rows;
}
