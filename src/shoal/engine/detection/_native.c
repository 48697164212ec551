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
 *
 * The heavy kernels take num_threads last and split their items across POSIX threads
 * (see "Threads" below); their results are bit-identical for every thread count.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../_threads.h"

#define UNMATCHED 0
#define MATCHED 1
#define IGNORED 2
#define RULE_COCO 0
#define RULE_VOC 1

/*
 * Threads. A threaded kernel splits its items (groups, frames, classes, segments) into
 * at most num_threads contiguous ranges of about equal work, runs one range per thread
 * (the caller's thread takes the first) and has each write only its own rows of the
 * outputs, so nothing is locked and the results do not depend on the thread count:
 * every floating-point reduction stays inside one item, and appended outputs are
 * written at per-item offsets and compacted in item order afterwards.
 */
/* Below this much work (about one IoU each) a second thread costs more than it saves.
   Settable so that tests can split even tiny inputs across every thread. */
static int64_t min_work_per_thread = 20000;

int64_t shoal_set_min_work_per_thread(int64_t work) {
    int64_t previous = min_work_per_thread;
    min_work_per_thread = work < 1 ? 1 : work;
    return previous;
}

/* How many parts for total_work units (see _threads.h). */
static int64_t num_parts(int64_t num_threads, int64_t num_items, int64_t total_work) {
    return parts_for(num_threads, num_items, total_work, min_work_per_thread);
}

/* Item ranges of about equal work: cum_work[i] is the work of items [0, i) (n + 1
   entries); bounds[p], bounds[p + 1] delimit part p (parts + 1 entries). */
static void split_work(const int64_t *cum_work, int64_t n, int64_t parts, int64_t *bounds) {
    bounds[0] = 0;
    int64_t item = 0;
    for (int64_t p = 1; p < parts; p++) {
        /* total * p / parts in integers that cannot overflow: the same split on every
           machine for the same inputs. */
        int64_t total = cum_work[n];
        int64_t target = total / parts * p + total % parts * p / parts;
        while (item < n && cum_work[item] < target) item++;
        bounds[p] = item;
    }
    bounds[parts] = n;
}

/* What every threaded job records per part: its item range, rows appended, failure. */
struct parts {
    int64_t count;
    int64_t bounds[MAX_THREADS + 1];
    int64_t appended[MAX_THREADS];
    int failed[MAX_THREADS];
};

/* Splits n items by cum_work into parts, runs fn(job, p) for each and returns 0, or -1
   if a part failed (ran out of memory). */
static int64_t run_split(int64_t num_threads, const int64_t *cum_work, int64_t n,
                         struct parts *parts, part_fn fn, void *job) {
    parts->count = num_parts(num_threads, n, cum_work[n]);
    split_work(cum_work, n, parts->count, parts->bounds);
    run_parts(parts->count, fn, job);
    int failed = 0;
    for (int64_t p = 0; p < parts->count; p++) failed |= parts->failed[p];
    return failed ? -1 : 0;
}

/* cum[k] = scale x the total size of [start, end) ranges 0..k-1 of bounds (n + 1 entries;
   NULL when out of memory). */
static int64_t *cumulative_sizes(const int64_t *bounds, int64_t n, int64_t scale) {
    int64_t *cum = malloc(sizeof(int64_t) * (n + 1));
    if (!cum) return NULL;
    cum[0] = 0;
    for (int64_t k = 0; k < n; k++) cum[k + 1] = cum[k] + scale * (bounds[2 * k + 1] - bounds[2 * k]);
    return cum;
}

/* Move each part's appended rows (written from item_offset[its first item]) to follow
   the previous part's, in part order. Returns the total. */
static int64_t compact_parts(const struct parts *parts, const int64_t *item_offset, int32_t *a,
                             int32_t *b, double *values) {
    int64_t total = 0;
    for (int64_t p = 0; p < parts->count; p++) {
        int64_t from = item_offset[parts->bounds[p]], n = parts->appended[p];
        if (from != total && n > 0) {
            memmove(a + total, a + from, sizeof(int32_t) * n);
            memmove(b + total, b + from, sizeof(int32_t) * n);
            memmove(values + total, values + from, sizeof(double) * n);
        }
        total += n;
    }
    return total;
}

/* Fills many arrays in parallel: each part fills its slice of each. */
struct fill_job {
    int64_t parts;
    int64_t num_i32;
    int32_t *i32[4];
    int64_t i32_n[4];
    int32_t i32_value[4];
    int64_t num_f64;
    double *f64[2];
    int64_t f64_n[2];
};

static void fill_part(void *ctx, int64_t p) {
    struct fill_job *job = ctx;
    for (int64_t k = 0; k < job->num_i32; k++) {
        int64_t lo = job->i32_n[k] * p / job->parts, hi = job->i32_n[k] * (p + 1) / job->parts;
        for (int64_t i = lo; i < hi; i++) job->i32[k][i] = job->i32_value[k];
    }
    for (int64_t k = 0; k < job->num_f64; k++) {
        int64_t lo = job->f64_n[k] * p / job->parts, hi = job->f64_n[k] * (p + 1) / job->parts;
        for (int64_t i = lo; i < hi; i++) job->f64[k][i] = 0.0;
    }
}

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
 * row_max[d] is the largest IoU in row d; order lists the group's ground truth,
 * non-ignored first (stable). Writes det_gt[d] (a local ground-truth column or -1) for
 * d < num_dets and gt_det[g] (a local det or -1).
 */
static void greedy_match(const double *ious, const double *row_max, int64_t ng,
                         const int64_t *order, const uint8_t *ignored, const uint8_t *crowd,
                         int64_t num_dets, double threshold, int rule, int64_t *det_gt,
                         int64_t *gt_det) {
    for (int64_t g = 0; g < ng; g++) gt_det[g] = -1;
    double limit = threshold < 1.0 - 1e-10 ? threshold : 1.0 - 1e-10;
    for (int64_t d = 0; d < num_dets; d++) {
        const double *row = ious + d * ng;
        det_gt[d] = -1;
        /* Every rule needs an IoU >= limit: a row without one matches nothing. */
        if (row_max[d] < limit) continue;
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

/* What shoal_match_all's parts share: its arguments, and per part the group range
   and the number of pairs written. */
struct match_job {
    const double *gt_box, *gt_area;
    const uint8_t *gt_crowd, *gt_ignore;
    const double *dt_box;
    const double *values; /* NULL (box IoU), or each group's pair values at pair_offset */
    int64_t num_gt, num_dt;
    const int64_t *gt_sorted, *gt_bounds, *dt_sorted, *dt_bounds;
    const double *grid;
    int64_t num_grid;
    const double *coco_thresholds;
    const int64_t *coco_in_grid;
    int64_t num_coco;
    const double *area_ranges;
    int64_t num_area, max_det, rule, pixel_inclusive;
    int32_t *det_gt;
    uint8_t *det_ignored;
    int32_t *gt_det;
    int8_t *coco_status;
    int32_t *best_gt;
    double *best_iou;
    int32_t *pair_gt, *pair_dt;
    double *pair_iou;
    const int64_t *pair_offset; /* per group: where its pairs may start (sum of products) */
    struct parts parts;
};

static void match_part(void *ctx, int64_t part) {
    struct match_job *J = ctx;
    int64_t first = J->parts.bounds[part], last = J->parts.bounds[part + 1];
    const int64_t rule = J->rule, num_dt = J->num_dt, num_gt = J->num_gt;
    const int64_t num_area = J->num_area, num_coco = J->num_coco;
    int64_t max_ng = 0, max_nd = 0;
    for (int64_t k = first; k < last; k++) {
        int64_t ng = J->gt_bounds[2 * k + 1] - J->gt_bounds[2 * k];
        int64_t nd = J->dt_bounds[2 * k + 1] - J->dt_bounds[2 * k];
        if (ng > max_ng) max_ng = ng;
        if (nd > max_nd) max_nd = nd;
    }
    /* One set of scratch buffers for every group of this part. */
    double *ious = malloc(sizeof(double) * (max_nd * max_ng + 1));
    double *row_max = malloc(sizeof(double) * (max_nd + 1));
    uint8_t *crowd = malloc(max_ng + 1), *ignored = malloc(max_ng + 1), *area_ign = malloc(max_ng + 1);
    int64_t *order = malloc(sizeof(int64_t) * (max_ng + 1));
    int64_t *area_order = malloc(sizeof(int64_t) * (max_ng + 1));
    int64_t *local_det = malloc(sizeof(int64_t) * (max_nd + 1));
    int64_t *local_gt = malloc(sizeof(int64_t) * (max_ng + 1));
    J->parts.appended[part] = 0;
    J->parts.failed[part] = !ious || !row_max || !crowd || !ignored || !area_ign || !order || !area_order ||
                      !local_det || !local_gt;
    int64_t num_pairs = first < last ? J->pair_offset[first] : 0;
    int64_t pairs_start = num_pairs;
    for (int64_t k = first; k < last && !J->parts.failed[part]; k++) {
        const int64_t *gts = J->gt_sorted + J->gt_bounds[2 * k];
        const int64_t *dts = J->dt_sorted + J->dt_bounds[2 * k];
        int64_t ng = J->gt_bounds[2 * k + 1] - J->gt_bounds[2 * k];
        int64_t nd = J->dt_bounds[2 * k + 1] - J->dt_bounds[2 * k];
        for (int64_t j = 0; j < ng; j++) {
            crowd[j] = J->gt_crowd[gts[j]];
            ignored[j] = J->gt_crowd[gts[j]] || J->gt_ignore[gts[j]];
        }
        /* Precomputed values come laid out as the loop below walks them: the group's
           predictions in score order, each one's ground truth in group order. */
        const double *given = J->values ? J->values + J->pair_offset[k] : NULL;
        for (int64_t i = 0; i < nd; i++) {
            int64_t d = dts[i];
            double largest = 0.0;
            for (int64_t j = 0; j < ng; j++) {
                int64_t g = gts[j];
                double v = given ? given[i * ng + j]
                                 : box_iou(J->dt_box + 4 * d, J->gt_box + 4 * g,
                                           crowd[j] && rule == RULE_COCO, (int)J->pixel_inclusive);
                ious[i * ng + j] = v;
                largest = v > largest ? v : largest;
                if (v > 0.0) {
                    /* Every overlapping pair is kept (matching at another threshold
                       walks them); one with an ignored row as -(row + 1). */
                    J->pair_gt[num_pairs] = ignored[j] ? -(int32_t)g - 1 : (int32_t)g;
                    J->pair_dt[num_pairs] = (int32_t)d;
                    J->pair_iou[num_pairs] = v;
                    num_pairs++;
                    if (!ignored[j] && v > J->best_iou[d]) {
                        J->best_iou[d] = v;
                        J->best_gt[d] = (int32_t)g;
                    }
                }
            }
            row_max[i] = largest;
        }
        ignored_first(ng, ignored, order);
        for (int64_t t = 0; t < J->num_grid; t++) {
            greedy_match(ious, row_max, ng, order, ignored, crowd, nd, J->grid[t], (int)rule,
                         local_det, local_gt);
            for (int64_t i = 0; i < nd; i++) {
                int64_t j = local_det[i];
                if (j >= 0) {
                    J->det_gt[t * num_dt + dts[i]] = (int32_t)gts[j];
                    J->det_ignored[t * num_dt + dts[i]] = ignored[j];
                }
            }
            for (int64_t j = 0; j < ng; j++)
                if (local_gt[j] >= 0) J->gt_det[t * num_gt + gts[j]] = (int32_t)dts[local_gt[j]];
        }
        int64_t capped = nd < J->max_det ? nd : J->max_det;
        for (int64_t a = 0; a < num_area; a++) {
            double lo = J->area_ranges[2 * a], hi = J->area_ranges[2 * a + 1];
            int same_as_grid = 1;
            for (int64_t j = 0; j < ng; j++) {
                double area = J->gt_area[gts[j]];
                area_ign[j] = ignored[j] || area < lo || area > hi;
                same_as_grid = same_as_grid && area_ign[j] == ignored[j];
            }
            ignored_first(ng, area_ign, area_order);
            for (int64_t t = 0; t < num_coco; t++) {
                int64_t g = J->coco_in_grid[t];
                if (same_as_grid && g >= 0) {
                    /* Same flags, same order: the capped matching is a prefix of the
                       grid's uncapped one. */
                    for (int64_t i = 0; i < capped; i++) {
                        int64_t d = dts[i];
                        if (J->det_gt[g * num_dt + d] >= 0)
                            J->coco_status[(d * num_area + a) * num_coco + t] =
                                J->det_ignored[g * num_dt + d] ? IGNORED : MATCHED;
                    }
                    continue;
                }
                greedy_match(ious, row_max, ng, area_order, area_ign, crowd, capped,
                             J->coco_thresholds[t], (int)rule, local_det, local_gt);
                for (int64_t i = 0; i < capped; i++) {
                    int64_t j = local_det[i];
                    if (j >= 0)
                        J->coco_status[(dts[i] * num_area + a) * num_coco + t] =
                            area_ign[j] ? IGNORED : MATCHED;
                }
            }
        }
    }
    J->parts.appended[part] = num_pairs - pairs_start;
    free(ious), free(row_max), free(crowd), free(ignored), free(area_ign), free(order);
    free(area_order), free(local_det), free(local_gt);
}

/*
 * Match every group that has both sides, on up to num_threads threads; see
 * kernels.match_all for the layouts. det_ignored and coco_status must come zeroed
 * (calloc'd memory is the OS's zero pages: no second pass); fills the other outputs
 * itself (det_gt, gt_det and best_gt with -1, best_iou with 0). The pair arrays need
 * room for the sum over groups of ground truth x predictions. Returns the number of
 * same-class pairs with IoU > 0 written (in group order, each prediction's together;
 * a pair with an ignored row holds -(row + 1)), or -1 when out of memory. pair_values,
 * when not NULL, replaces box IoU: group k's values start at the sum over earlier groups
 * of ground truth x predictions, predictions (score order) major, ground truth minor.
 */
int64_t shoal_match_all(
    const double *gt_box, const double *gt_area, const uint8_t *gt_crowd, const uint8_t *gt_ignore,
    const double *dt_box, const double *pair_values, int64_t num_gt, int64_t num_dt,
    const int64_t *gt_sorted, const int64_t *gt_bounds, const int64_t *dt_sorted,
    const int64_t *dt_bounds, int64_t num_groups,
    const double *grid, int64_t num_grid, const double *coco_thresholds, const int64_t *coco_in_grid,
    int64_t num_coco, const double *area_ranges, int64_t num_area, int64_t max_det, int64_t rule,
    int64_t pixel_inclusive,
    int32_t *det_gt, uint8_t *det_ignored, int32_t *gt_det, int8_t *coco_status, int32_t *best_gt,
    double *best_iou, int32_t *pair_gt, int32_t *pair_dt, double *pair_iou, int64_t num_threads) {
    int64_t *pair_offset = malloc(sizeof(int64_t) * (num_groups + 1));
    int64_t *work = malloc(sizeof(int64_t) * (num_groups + 1));
    if (!pair_offset || !work) {
        free(pair_offset), free(work);
        return -1;
    }
    pair_offset[0] = work[0] = 0;
    for (int64_t k = 0; k < num_groups; k++) {
        int64_t ng = gt_bounds[2 * k + 1] - gt_bounds[2 * k];
        int64_t nd = dt_bounds[2 * k + 1] - dt_bounds[2 * k];
        pair_offset[k + 1] = pair_offset[k] + ng * nd;
        /* IoUs, then one greedy pass per threshold over the predictions. */
        work[k + 1] = work[k] + ng * nd + (nd + ng) * (num_grid + num_area);
    }
    struct fill_job fill = {
        .num_i32 = 3,
        .i32 = {det_gt, gt_det, best_gt},
        .i32_n = {num_grid * num_dt, num_grid * num_gt, num_dt},
        .i32_value = {-1, -1, -1},
        .num_f64 = 1,
        .f64 = {best_iou},
        .f64_n = {num_dt},
    };
    int64_t fill_size = num_grid * (num_dt + num_gt) + 2 * num_dt;
    fill.parts = num_parts(num_threads, fill_size, fill_size / 16);
    run_parts(fill.parts, fill_part, &fill);

    struct match_job *job = malloc(sizeof(struct match_job));
    if (!job) {
        free(pair_offset), free(work);
        return -1;
    }
    *job = (struct match_job){
        gt_box, gt_area, gt_crowd, gt_ignore, dt_box, pair_values, num_gt, num_dt, gt_sorted, gt_bounds,
        dt_sorted, dt_bounds, grid, num_grid, coco_thresholds, coco_in_grid, num_coco,
        area_ranges, num_area, max_det, rule, pixel_inclusive, det_gt, det_ignored, gt_det,
        coco_status, best_gt, best_iou, pair_gt, pair_dt, pair_iou, pair_offset, {0},
    };
    int64_t status = run_split(num_threads, work, num_groups, &job->parts, match_part, job);
    if (status == 0) status = compact_parts(&job->parts, pair_offset, pair_gt, pair_dt, pair_iou);
    free(job), free(pair_offset), free(work);
    return status;
}

/*
 * Matching at one more threshold from the kept pairs instead of the boxes. The pairs
 * are every same-class (ground truth, prediction) pair with IoU > 0 (an ignored row
 * as -(row + 1)), as shoal_match_all writes them: each group's pairs together, and in
 * it each prediction's, predictions by descending score. Every other ground truth has
 * IoU 0 and can match nothing, so one greedy pass over the pairs repeats greedy_match
 * exactly. Ties go as there: COCO takes the last ground truth of the best IoU in group
 * order (the larger row), VOC the first (the smaller row).
 */
struct rematch_job {
    const int32_t *pair_gt, *pair_dt;
    const double *pair_iou;
    const uint8_t *gt_crowd;
    double limit;
    int64_t rule;
    int32_t *det_gt;
    uint8_t *det_ignored;
    int32_t *gt_det;
    const int32_t *dt_position; /* NULL, or each prediction's position in dt_order ... */
    uint8_t *outcome;           /* ... where its outcome is written (must come zeroed) */
    int64_t bounds[MAX_THREADS + 1];
};

static void rematch_part(void *ctx, int64_t part) {
    struct rematch_job *J = ctx;
    const int coco = J->rule == RULE_COCO;
    const int32_t *pair_gt = J->pair_gt, *pair_dt = J->pair_dt;
    const double *pair_iou = J->pair_iou;
    const uint8_t *crowd = J->gt_crowd;
    int32_t *gt_det = J->gt_det;
    const double limit = J->limit;
    int64_t last = J->bounds[part + 1];
    for (int64_t p = J->bounds[part]; p < last;) {
        int32_t d = pair_dt[p];
        /* One pass over the prediction's pairs: the best counted and the best ignored
           candidate (COCO: an ignored one only counts when no counted one matches). */
        int64_t best = -1, best_ignored = -1;
        double best_iou = coco ? limit : -1.0, ignored_iou = best_iou;
        for (; p < last && pair_dt[p] == d; p++) {
            int32_t code = pair_gt[p];
            double v = pair_iou[p];
            if (code >= 0) {
                int64_t g = code;
                if (coco) {
                    if (gt_det[g] >= 0) continue;
                    if (v < best_iou || (v == best_iou && best >= 0 && g < best)) continue;
                } else if (v < best_iou || (v == best_iou && g > best)) {
                    continue;
                }
                best = g, best_iou = v;
            } else {
                int64_t g = -(int64_t)code - 1;
                if (coco) {
                    if (gt_det[g] >= 0 && !crowd[g]) continue;
                    if (v < ignored_iou || (v == ignored_iou && best_ignored >= 0 && g < best_ignored))
                        continue;
                } else if (v < ignored_iou || (v == ignored_iou && g > best_ignored)) {
                    continue;
                }
                best_ignored = g, ignored_iou = v;
            }
        }
        /* COCO takes a counted row when one matches; VOC the best of either (the first
           in group order, the smaller row, on a tie). */
        int ignored = best < 0 ? best_ignored >= 0
                               : !coco && best_ignored >= 0 &&
                                     (ignored_iou > best_iou ||
                                      (ignored_iou == best_iou && best_ignored < best));
        if (ignored) best = best_ignored, best_iou = ignored_iou;
        if (best < 0) continue;
        if (coco) {
            gt_det[best] = d;
        } else if (best_iou >= limit && (ignored || gt_det[best] < 0)) {
            if (gt_det[best] < 0) gt_det[best] = d;
        } else {
            continue;
        }
        J->det_gt[d] = (int32_t)best;
        J->det_ignored[d] = (uint8_t)ignored;
        if (J->outcome) J->outcome[J->dt_position[d]] = ignored ? IGNORED : MATCHED;
    }
}

/*
 * det_gt (num_dt) and gt_det (num_gt) are filled here (-1 where unmatched);
 * det_ignored must come zeroed. With dt_position (each prediction's position in the
 * accumulation order), each match is also written to outcome at that position
 * (zeroed by the caller: UNMATCHED), which AP then reads in order. The pairs are split
 * into up to num_threads parts at group boundaries (dt_frame, dt_label: a prediction's
 * frame and class index).
 */
void shoal_rematch(int64_t num_pairs, const int32_t *pair_gt, const int32_t *pair_dt,
                   const double *pair_iou, int64_t num_dt, const int32_t *dt_frame,
                   const int32_t *dt_label, int64_t num_gt, const uint8_t *gt_crowd,
                   double threshold, int64_t rule, int32_t *det_gt, uint8_t *det_ignored,
                   int32_t *gt_det, const int32_t *dt_position, uint8_t *outcome,
                   int64_t num_threads) {
    struct fill_job fill = {
        .num_i32 = 2,
        .i32 = {det_gt, gt_det},
        .i32_n = {num_dt, num_gt},
        .i32_value = {-1, -1},
    };
    fill.parts = num_parts(num_threads, num_dt + num_gt, (num_dt + num_gt) / 16);
    run_parts(fill.parts, fill_part, &fill);
    struct rematch_job job = {
        pair_gt, pair_dt, pair_iou, gt_crowd, threshold < 1.0 - 1e-10 ? threshold : 1.0 - 1e-10,
        rule, det_gt, det_ignored, gt_det, dt_position, outcome, {0},
    };
    int64_t parts = num_parts(num_threads, num_pairs, num_pairs);
    job.bounds[0] = 0;
    for (int64_t p = 1; p < parts; p++) {
        int64_t at = num_pairs / parts * p + num_pairs % parts * p / parts;
        if (at < job.bounds[p - 1]) at = job.bounds[p - 1];
        while (at > 0 && at < num_pairs && dt_frame[pair_dt[at]] == dt_frame[pair_dt[at - 1]] &&
               dt_label[pair_dt[at]] == dt_label[pair_dt[at - 1]])
            at++;
        job.bounds[p] = at;
    }
    job.bounds[parts] = num_pairs;
    run_parts(parts, rematch_part, &job);
}

struct cross_job {
    const double *gt_box;
    const int32_t *gt_label;
    const uint8_t *gt_counted;
    const double *dt_box;
    const int32_t *dt_label;
    const int64_t *gt_frame_sorted, *gt_frame_bounds, *dt_frame_sorted, *dt_frame_bounds;
    double min_iou;
    int64_t pixel_inclusive;
    int32_t *pair_dt, *pair_gt;
    double *pair_iou;
    const int64_t *pair_offset;
    struct parts parts;
};

static void cross_part(void *ctx, int64_t part) {
    struct cross_job *J = ctx;
    int64_t first = J->parts.bounds[part], last = J->parts.bounds[part + 1];
    int64_t n = J->pair_offset[first], start = n, max_ng = 0;
    for (int64_t f = first; f < last; f++) {
        int64_t ng = J->gt_frame_bounds[2 * f + 1] - J->gt_frame_bounds[2 * f];
        if (ng > max_ng) max_ng = ng;
    }
    /* Each frame's counted ground truth copied side by side: the inner loop then reads
       contiguous memory and never looks at a row it would skip. */
    double *box = malloc(sizeof(double) * 4 * (max_ng + 1));
    int32_t *label = malloc(sizeof(int32_t) * (max_ng + 1));
    int64_t *rows = malloc(sizeof(int64_t) * (max_ng + 1));
    J->parts.failed[part] = !box || !label || !rows;
    for (int64_t f = first; f < last && !J->parts.failed[part]; f++) {
        int64_t ng = 0;
        for (int64_t j = J->gt_frame_bounds[2 * f]; j < J->gt_frame_bounds[2 * f + 1]; j++) {
            int64_t g = J->gt_frame_sorted[j];
            if (!J->gt_counted[g]) continue;
            memcpy(box + 4 * ng, J->gt_box + 4 * g, 4 * sizeof(double));
            label[ng] = J->gt_label[g];
            rows[ng++] = g;
        }
        if (ng == 0) continue;
        for (int64_t i = J->dt_frame_bounds[2 * f]; i < J->dt_frame_bounds[2 * f + 1]; i++) {
            int64_t d = J->dt_frame_sorted[i];
            int32_t own = J->dt_label[d];
            const double *dt_box = J->dt_box + 4 * d;
            for (int64_t j = 0; j < ng; j++) {
                if (label[j] == own) continue;
                double v = box_iou(dt_box, box + 4 * j, 0, (int)J->pixel_inclusive);
                if (v >= J->min_iou && v > 0.0) {
                    J->pair_dt[n] = (int32_t)d;
                    J->pair_gt[n] = (int32_t)rows[j];
                    J->pair_iou[n] = v;
                    n++;
                }
            }
        }
    }
    J->parts.appended[part] = n - start;
    free(box), free(label), free(rows);
}

/*
 * Every (prediction, counted ground truth of another class) pair in one frame with
 * IoU >= min_iou, frame by frame, on up to num_threads threads. *_frame_sorted list
 * rows grouped by frame; *_frame_bounds (F, 2). Returns the number of pairs written
 * (capacity: the sum of per-frame products), or -1 when out of memory.
 */
int64_t shoal_cross_class_pairs(const double *gt_box, const int32_t *gt_label,
                                const uint8_t *gt_counted, const double *dt_box,
                                const int32_t *dt_label, const int64_t *gt_frame_sorted,
                                const int64_t *gt_frame_bounds, const int64_t *dt_frame_sorted,
                                const int64_t *dt_frame_bounds, int64_t num_frames, double min_iou,
                                int64_t pixel_inclusive, int32_t *pair_dt, int32_t *pair_gt,
                                double *pair_iou, int64_t num_threads) {
    int64_t *pair_offset = malloc(sizeof(int64_t) * (num_frames + 1));
    struct cross_job *job = malloc(sizeof(struct cross_job));
    if (!pair_offset || !job) {
        free(pair_offset), free(job);
        return -1;
    }
    pair_offset[0] = 0;
    for (int64_t f = 0; f < num_frames; f++)
        pair_offset[f + 1] = pair_offset[f] + (gt_frame_bounds[2 * f + 1] - gt_frame_bounds[2 * f]) *
                                                  (dt_frame_bounds[2 * f + 1] - dt_frame_bounds[2 * f]);
    *job = (struct cross_job){
        gt_box, gt_label, gt_counted, dt_box, dt_label, gt_frame_sorted, gt_frame_bounds,
        dt_frame_sorted, dt_frame_bounds, min_iou, pixel_inclusive, pair_dt, pair_gt, pair_iou,
        pair_offset, {0},
    };
    int64_t status = run_split(num_threads, pair_offset, num_frames, &job->parts, cross_part, job);
    if (status == 0) status = compact_parts(&job->parts, pair_offset, pair_dt, pair_gt, pair_iou);
    free(job), free(pair_offset);
    return status;
}

/* How far ahead the accumulation's gather prefetches its scattered rows. */
#define PREFETCH_AHEAD 24

struct accumulate_job {
    const int64_t *class_bounds;
    int64_t num_cls;
    const int64_t *dt_order, *dt_rank;
    const double *dt_area;
    const uint8_t *dt_selected;
    const int8_t *coco_status;
    int64_t num_area, num_thr;
    const int64_t *num_counted_gt;
    const double *area_ranges;
    const int64_t *max_dets;
    const double *recall_points;
    int64_t num_rec;
    double *precision, *recall;
    struct parts parts;
};

static void accumulate_part(void *ctx, int64_t part) {
    struct accumulate_job *J = ctx;
    const double eps = 2.220446049250313e-16; /* np.spacing(1) */
    const int64_t num_cls = J->num_cls, num_area = J->num_area, num_thr = J->num_thr;
    const int64_t num_rec = J->num_rec, width = num_area * num_thr;
    int64_t first = J->parts.bounds[part], last = J->parts.bounds[part + 1];
    /* A class has at most as many true positives in an area range as it has counted
       ground truth there: that bounds each (area, threshold, cap)'s list of false-positive
       counts, so the lists are sized by ground truth, not by predictions. */
    int64_t max_gt = 0, max_n = 0;
    for (int64_t c = first; c < last; c++) {
        int64_t total = 0;
        for (int64_t a = 0; a < num_area; a++) total += J->num_counted_gt[a * num_cls + c];
        if (total > max_gt) max_gt = total;
        int64_t n = J->class_bounds[2 * c + 1] - J->class_bounds[2 * c];
        if (n > max_n) max_n = n;
    }
    int64_t *fp = malloc(sizeof(int64_t) * 3 * width);   /* running FP count per (k, cap) */
    int64_t *tp = malloc(sizeof(int64_t) * 3 * width);   /* TPs so far per (k, cap) */
    int64_t *start_of = malloc(sizeof(int64_t) * 3 * width); /* list start per (k, cap) */
    double *fp_at = malloc(sizeof(double) * (3 * num_thr * max_gt + 1));
    double *pr = malloc(sizeof(double) * (max_gt + 1));
    uint8_t *inside = malloc((size_t)num_area);
    J->parts.failed[part] = !fp || !tp || !start_of || !fp_at || !pr || !inside;
    const int64_t cap0 = J->max_dets[0], cap1 = J->max_dets[1], cap2 = J->max_dets[2];
    double *precision = J->precision, *recall = J->recall;
#define PREC(t, r, c, a, m) precision[((((t) * num_rec + (r)) * num_cls + (c)) * num_area + (a)) * 3 + (m)]
#define REC(t, c, a, m) recall[(((t) * num_cls + (c)) * num_area + (a)) * 3 + (m)]
    for (int64_t c = first; c < last && !J->parts.failed[part]; c++) {
        int64_t offset = 0;
        for (int64_t a = 0; a < num_area; a++)
            for (int64_t t = 0; t < num_thr; t++)
                for (int m = 0; m < 3; m++) {
                    start_of[(a * num_thr + t) * 3 + m] = offset;
                    offset += J->num_counted_gt[a * num_cls + c];
                }
        if (offset == 0) continue; /* no counted ground truth: -1 everywhere */
        memset(fp, 0, sizeof(int64_t) * 3 * width);
        memset(tp, 0, sizeof(int64_t) * 3 * width);
        const int64_t start = J->class_bounds[2 * c], n = J->class_bounds[2 * c + 1] - start;
        const int64_t *rows = J->dt_order + start;
        /* One pass down the class's predictions in accumulation order, every (area,
           threshold) at once: a prediction is a true positive where its code is MATCHED,
           a counted false positive where UNMATCHED inside the area range, else nothing.
           fp_at lists, per (area, threshold, cap), the false positives seen when each
           true positive arrives: all that the precision envelope needs. */
        for (int64_t i = 0; i < n; i++) {
            if (i + PREFETCH_AHEAD < n) {
                int64_t ahead = rows[i + PREFETCH_AHEAD];
                const int8_t *line = J->coco_status + ahead * width;
                __builtin_prefetch(line);
                __builtin_prefetch(line + width - 1);
                __builtin_prefetch(J->dt_rank + ahead);
                __builtin_prefetch(J->dt_area + ahead);
                if (J->dt_selected) __builtin_prefetch(J->dt_selected + ahead);
            }
            int64_t row = rows[i], rank = J->dt_rank[row];
            if ((J->dt_selected && !J->dt_selected[row]) || rank >= cap2) continue;
            int64_t in1 = rank < cap1, in0 = rank < cap0;
            double area = J->dt_area[row];
            for (int64_t a = 0; a < num_area; a++)
                inside[a] = !(area < J->area_ranges[2 * a] || area > J->area_ranges[2 * a + 1]);
            const int8_t *status = J->coco_status + row * width;
            int any_match = 0;
            for (int64_t a = 0; a < num_area; a++) {
                for (int64_t t = 0; t < num_thr; t++) {
                    int64_t k = a * num_thr + t;
                    int64_t is_fp = (status[k] == UNMATCHED) & inside[a];
                    fp[3 * k] += is_fp & in0;
                    fp[3 * k + 1] += is_fp & in1;
                    fp[3 * k + 2] += is_fp;
                    any_match |= status[k] == MATCHED;
                }
            }
            if (!any_match) continue;
            for (int64_t k = 0; k < width; k++) {
                if (status[k] != MATCHED) continue;
                int64_t *next = tp + 3 * k;
                const int64_t *begin = start_of + 3 * k, *fps = fp + 3 * k;
                fp_at[begin[2] + next[2]++] = (double)fps[2];
                if (in1) fp_at[begin[1] + next[1]++] = (double)fps[1];
                if (in0) fp_at[begin[0] + next[0]++] = (double)fps[0];
            }
        }
        /* Precision only rises at a true positive, so the envelope and its samples need
           only the true positives' entries; recall point 0 before any true positive reads
           the same maximum. */
        for (int64_t a = 0; a < num_area; a++) {
            int64_t npig = J->num_counted_gt[a * num_cls + c];
            if (npig == 0) continue;
            for (int64_t t = 0; t < num_thr; t++) {
                for (int m = 0; m < 3; m++) {
                    int64_t k3 = (a * num_thr + t) * 3 + m, count = tp[k3];
                    const double *fps = fp_at + start_of[k3];
                    REC(t, c, a, m) = (double)count / (double)npig;
                    for (int64_t j = 0; j < count; j++)
                        pr[j] = (j + 1.0) / (fps[j] + (j + 1.0) + eps);
                    for (int64_t j = count - 1; j > 0; j--)
                        if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
                    int64_t j = 0;
                    for (int64_t r = 0; r < num_rec; r++) {
                        while (j < count && (j + 1.0) / (double)npig < J->recall_points[r]) j++;
                        PREC(t, r, c, a, m) = j < count ? pr[j] : 0.0;
                    }
                }
            }
        }
    }
#undef PREC
#undef REC
    free(fp), free(tp), free(start_of), free(fp_at), free(pr), free(inside);
}

/*
 * pycocotools' accumulate, class by class on up to num_threads threads; see
 * kernels.coco_accumulate for the layouts. Predictions are read through dt_order
 * (accumulation order) from their rows; dt_selected may be NULL (every prediction).
 * precision (T, R, C, A, 3) and recall (T, C, A, 3) must be pre-filled with -1.
 * Returns -1 when out of memory.
 */
int64_t shoal_coco_accumulate(const int64_t *class_bounds, int64_t num_cls,
                              const int64_t *dt_order, const int64_t *dt_rank,
                              const double *dt_area, const uint8_t *dt_selected,
                              const int8_t *coco_status, int64_t num_area, int64_t num_thr,
                              const int64_t *num_counted_gt, const double *area_ranges,
                              const int64_t *max_dets, const double *recall_points,
                              int64_t num_rec, double *precision, double *recall,
                              int64_t num_threads) {
    int64_t *work = cumulative_sizes(class_bounds, num_cls, num_area * num_thr);
    struct accumulate_job *job = malloc(sizeof(struct accumulate_job));
    int64_t status = -1;
    if (work && job) {
        *job = (struct accumulate_job){
            class_bounds, num_cls, dt_order, dt_rank, dt_area, dt_selected, coco_status, num_area,
            num_thr, num_counted_gt, area_ranges, max_dets, recall_points, num_rec, precision,
            recall, {0},
        };
        status = run_split(num_threads, work, num_cls, &job->parts, accumulate_part, job);
    }
    free(work), free(job);
    return status;
}

struct counts_job {
    int64_t num_dt;
    const int32_t *dt_label;
    const double *dt_score;
    const uint8_t *dt_selected;
    const int32_t *det_gt;
    const uint8_t *det_ignored;
    int64_t num_gt;
    const int32_t *gt_label;
    const uint8_t *gt_selected;
    const int32_t *gt_det;
    const double *class_conf;
    const double *also_conf; /* NULL, or a second threshold per class counted alongside */
    int64_t num_cls;
    int64_t *counts; /* per part: (3, num_cls) TP, FP, FN, then as many at also_conf */
    uint8_t *dt_is_fp, *gt_is_fn;
    struct parts parts;
};

/* Part p counts its share of the predictions and of the ground truth (rows split
   evenly; the items are rows, so parts.bounds is unused). */
static void counts_part(void *ctx, int64_t p) {
    struct counts_job *J = ctx;
    int64_t parts = J->parts.count, blocks = J->also_conf ? 6 : 3;
    int64_t *tp = J->counts + blocks * J->num_cls * p;
    int64_t *fp = tp + J->num_cls, *fn = fp + J->num_cls;
    int64_t *also_tp = fn + J->num_cls, *also_fp = also_tp + J->num_cls;
    int64_t *also_fn = also_fp + J->num_cls;
    const uint8_t *selected = J->dt_selected; /* NULL: every prediction */
    const double *also = J->also_conf;
    for (int64_t d = J->num_dt * p / parts; d < J->num_dt * (p + 1) / parts; d++) {
        if ((selected && !selected[d]) || J->det_ignored[d]) continue;
        int32_t c = J->dt_label[d];
        double score = J->dt_score[d];
        int matched = J->det_gt[d] >= 0;
        if (also && score >= also[c]) {
            if (matched) also_tp[c]++;
            else also_fp[c]++;
        }
        if (score < J->class_conf[c]) continue;
        if (matched) {
            tp[c]++;
        } else {
            fp[c]++;
            J->dt_is_fp[d] = 1;
        }
    }
    for (int64_t g = J->num_gt * p / parts; g < J->num_gt * (p + 1) / parts; g++) {
        if (!J->gt_selected[g]) continue;
        int32_t c = J->gt_label[g];
        int32_t d = J->gt_det[g];
        if (also && (d < 0 || J->dt_score[d] < also[c])) also_fn[c]++;
        if (d < 0 || J->dt_score[d] < J->class_conf[c]) {
            fn[c]++;
            J->gt_is_fn[g] = 1;
        }
    }
}

/* Per-class TP, FP, FN at one grid threshold, rows split across up to num_threads
   threads and the integer counts summed after (outputs zero-filled by the caller).
   With also_conf (else NULL), the counts at those per-class thresholds too, in the same
   pass, added into also_counts (3, num_cls): TP, FP, FN, without row masks. Returns -1
   when out of memory. */
int64_t shoal_operating_point_counts(int64_t num_dt, const int32_t *dt_label,
                                     const double *dt_score, const uint8_t *dt_selected,
                                     const int32_t *det_gt, const uint8_t *det_ignored,
                                     int64_t num_gt, const int32_t *gt_label,
                                     const uint8_t *gt_selected, const int32_t *gt_det,
                                     const double *class_conf, int64_t num_cls, int64_t *tp,
                                     int64_t *fp, int64_t *fn, uint8_t *dt_is_fp,
                                     uint8_t *gt_is_fn, const double *also_conf,
                                     int64_t *also_counts, int64_t num_threads) {
    struct counts_job *job = malloc(sizeof(struct counts_job));
    int64_t parts = num_parts(num_threads, num_dt + num_gt, num_dt + num_gt);
    int64_t blocks = also_conf ? 6 : 3;
    int64_t *counts = calloc((size_t)(blocks * num_cls * parts + 1), sizeof(int64_t));
    if (!job || !counts) {
        free(job), free(counts);
        return -1;
    }
    *job = (struct counts_job){num_dt,      dt_label,   dt_score,  dt_selected, det_gt,
                               det_ignored, num_gt,     gt_label,  gt_selected, gt_det,
                               class_conf,  also_conf,  num_cls,   counts,      dt_is_fp,
                               gt_is_fn,    {0}};
    job->parts.count = parts;
    run_parts(parts, counts_part, job);
    for (int64_t p = 0; p < parts; p++) {
        const int64_t *part = counts + blocks * num_cls * p;
        for (int64_t c = 0; c < num_cls; c++) {
            tp[c] += part[c];
            fp[c] += part[num_cls + c];
            fn[c] += part[2 * num_cls + c];
        }
        if (also_conf)
            for (int64_t i = 0; i < 3 * num_cls; i++) also_counts[i] += part[3 * num_cls + i];
    }
    free(job), free(counts);
    return 0;
}

/*
 * Labelbox's matching: pairs in the rule's order (decreasing IoU, ties as the caller
 * sorted them); each usable pair whose prediction and ground truth are both still free
 * is matched. Pairs never span two images, so one pass over every image's pairs at once
 * matches each image as if alone. det_gt and gt_det must come -1-filled.
 */
void shoal_greedy_pairs(int64_t num_pairs, const int32_t *pair_dt, const int32_t *pair_gt,
                        const uint8_t *usable, int32_t *det_gt, int32_t *gt_det) {
    for (int64_t i = 0; i < num_pairs; i++) {
        if (!usable[i]) continue;
        int32_t d = pair_dt[i], g = pair_gt[i];
        if (det_gt[d] >= 0 || gt_det[g] >= 0) continue;
        det_gt[d] = g;
        gt_det[g] = d;
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

/* The same pass, writing only the pairs made (each prediction's candidates are
   together, so "already paired" needs no array over the predictions): out_dt, out_gt
   need room for one pair per prediction in the candidates. Returns the count, or -1
   when out of memory. */
int64_t shoal_confused_pairs(int64_t num_pairs, const int32_t *pair_dt, const int32_t *pair_gt,
                             const double *pair_iou, const uint8_t *dt_is_fp,
                             const uint8_t *gt_is_fn, double threshold, int64_t num_gt,
                             int32_t *out_dt, int32_t *out_gt) {
    uint8_t *taken = calloc((size_t)num_gt + 1, 1);
    if (!taken) return -1;
    double limit = threshold < 1.0 - 1e-10 ? threshold : 1.0 - 1e-10;
    int64_t n = 0;
    for (int64_t p = 0; p < num_pairs; p++) {
        int32_t d = pair_dt[p], g = pair_gt[p];
        if (pair_iou[p] < limit || !dt_is_fp[d] || !gt_is_fn[g]) continue;
        if ((n > 0 && out_dt[n - 1] == d) || taken[g]) continue;
        out_dt[n] = d;
        out_gt[n] = g;
        taken[g] = 1;
        n++;
    }
    free(taken);
    return n;
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

struct ap_job {
    const int64_t *dt_order, *class_bounds;
    const uint8_t *dt_selected;
    const int32_t *det_gt;
    const uint8_t *det_ignored;
    const uint8_t *outcome; /* or, per position of dt_order: 0 FP, 1 TP, 2 ignored */
    const int64_t *num_positive;
    int64_t interpolation;
    const double *recall_points;
    int64_t num_rec;
    double *out;
    struct parts parts;
};

/*
 * Only a true positive can start a recall level, and along a run of false positives
 * precision only falls, so the precision envelope at any point a recall sample lands
 * on is the largest precision at a true positive from there on: the curve is kept at
 * true positives only (the same values, summed in the same order: bit for bit the AP
 * of every point, at a division per true positive instead of per prediction).
 */
static void ap_part(void *ctx, int64_t part) {
    struct ap_job *J = ctx;
    const double eps = 2.220446049250313e-16;
    int64_t first = J->parts.bounds[part], last = J->parts.bounds[part + 1], max_n = 0;
    for (int64_t c = first; c < last; c++) {
        int64_t n = J->num_positive[c];
        if (n > max_n) max_n = n;
    }
    double *rc = malloc(sizeof(double) * (max_n + 1)), *pr = malloc(sizeof(double) * (max_n + 1));
    J->parts.failed[part] = !rc || !pr;
    const uint8_t *selected = J->dt_selected;
    for (int64_t c = first; c < last && !J->parts.failed[part]; c++) {
        int64_t npos = J->num_positive[c];
        if (npos == 0) continue;
        int64_t tp = 0, fp = 0, count = 0;
        for (int64_t i = J->class_bounds[2 * c]; i < J->class_bounds[2 * c + 1]; i++) {
            int outcome;
            if (J->outcome) {
                outcome = J->outcome[i]; /* read in order: no scattered reads */
            } else {
                int64_t d = J->dt_order[i];
                if (selected && !selected[d]) continue;
                outcome = J->det_ignored[d] ? IGNORED : J->det_gt[d] >= 0 ? MATCHED : UNMATCHED;
            }
            if (outcome == IGNORED) continue;
            if (outcome == UNMATCHED) {
                fp++;
                continue;
            }
            tp++;
            /* More matches than positives cannot happen (each counted row matches once);
               guard the buffer anyway. */
            if (count > npos) continue;
            double t = (double)tp, f = (double)fp;
            rc[count] = t / (double)npos;
            pr[count] = J->interpolation == 0 ? t / (f + t + eps) : t / (f + t);
            count++;
        }
        for (int64_t i = count - 1; i > 0; i--)
            if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
        double total = 0.0;
        if (J->interpolation == 1) {
            double previous = 0.0;
            for (int64_t i = 0; i < count; i++) {
                total += (rc[i] - previous) * pr[i];
                previous = rc[i];
            }
            J->out[c] = total;
            continue;
        }
        int64_t i = 0;
        for (int64_t r = 0; r < J->num_rec; r++) {
            while (i < count && rc[i] < J->recall_points[r]) i++;
            total += i < count ? pr[i] : 0.0;
        }
        J->out[c] = total / (double)J->num_rec;
    }
    free(rc), free(pr);
}

/* Per-class AP at one grid threshold (out pre-filled with -1), class by class on up to
   num_threads threads. interpolation: 0 COCO 101-point, 1 VOC all-point, 2 VOC 11-point
   (sampled at recall_points). Returns -1 when out of memory. */
int64_t shoal_average_precision_by_class(const int64_t *dt_order, const int64_t *class_bounds,
                                         int64_t num_cls, const uint8_t *dt_selected,
                                         const int32_t *det_gt, const uint8_t *det_ignored,
                                         const uint8_t *outcome,
                                         const int64_t *num_positive, int64_t interpolation,
                                         const double *recall_points, int64_t num_rec,
                                         double *out, int64_t num_threads) {
    int64_t *work = cumulative_sizes(class_bounds, num_cls, 1);
    struct ap_job *job = malloc(sizeof(struct ap_job));
    int64_t status = -1;
    if (work && job) {
        *job = (struct ap_job){dt_order,      class_bounds,  dt_selected, det_gt,
                               det_ignored,   outcome,       num_positive, interpolation,
                               recall_points, num_rec,       out,          {0}};
        status = run_split(num_threads, work, num_cls, &job->parts, ap_part, job);
    }
    free(work), free(job);
    return status;
}

/*
 * AP of resampled frame multisets (the paired bootstrap's replicates). Item k is class
 * k / num_reps in replicate k % num_reps: its counted predictions (entries in accumulation
 * order, class_bounds) are walked in order, each counted weights[rep, frame] times. A
 * true positive repeated w times is one point at the block's end: inside the block
 * precision only rises, so the envelope at every point of the block is the envelope at
 * its end, and the AP is that of the duplicated frames. With every weight 1 the
 * arithmetic is ap_part's, in the same order: bit for bit the same AP.
 */
struct resampled_ap_job {
    const int32_t *entry; /* per position: a TP's ~frame (negative), an FP's frame */
    const int64_t *class_bounds;
    const double *weights; /* (num_reps, num_frames) */
    const double *positives; /* (num_reps, num_cls): counted ground truth, weighted */
    int64_t num_cls, num_reps, num_frames, interpolation;
    const double *recall_points;
    int64_t num_rec;
    double *out; /* (num_reps, num_cls), pre-filled with -1 */
    int64_t max_size;
    struct parts parts;
};

static void resampled_ap_part(void *ctx, int64_t part) {
    struct resampled_ap_job *J = ctx;
    const double eps = 2.220446049250313e-16;
    int64_t first = J->parts.bounds[part], last = J->parts.bounds[part + 1];
    double *rc = malloc(sizeof(double) * (J->max_size + 1));
    double *pr = malloc(sizeof(double) * (J->max_size + 1));
    J->parts.failed[part] = !rc || !pr;
    for (int64_t k = first; k < last && !J->parts.failed[part]; k++) {
        int64_t c = k / J->num_reps, b = k % J->num_reps;
        double npos = J->positives[b * J->num_cls + c];
        if (npos <= 0.0) continue;
        const double *w = J->weights + b * J->num_frames;
        double tp = 0.0, fp = 0.0;
        int64_t count = 0;
        for (int64_t i = J->class_bounds[2 * c]; i < J->class_bounds[2 * c + 1]; i++) {
            int32_t entry = J->entry[i];
            if (entry >= 0) {
                fp += w[entry];
                continue;
            }
            double times = w[~entry];
            if (times == 0.0) continue;
            tp += times;
            rc[count] = tp / npos;
            pr[count] = J->interpolation == 0 ? tp / (fp + tp + eps) : tp / (fp + tp);
            count++;
        }
        for (int64_t i = count - 1; i > 0; i--)
            if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
        double total = 0.0;
        double *out = J->out + b * J->num_cls + c;
        if (J->interpolation == 1) {
            double previous = 0.0;
            for (int64_t i = 0; i < count; i++) {
                total += (rc[i] - previous) * pr[i];
                previous = rc[i];
            }
            *out = total;
            continue;
        }
        int64_t i = 0;
        for (int64_t r = 0; r < J->num_rec; r++) {
            while (i < count && rc[i] < J->recall_points[r]) i++;
            total += i < count ? pr[i] : 0.0;
        }
        *out = total / (double)J->num_rec;
    }
    free(rc), free(pr);
}

/* Per replicate and class AP (see resampled_ap_job) on up to num_threads threads.
   Returns -1 when out of memory. */
int64_t shoal_resampled_average_precision(const int32_t *entry, const int64_t *class_bounds, int64_t num_cls,
                                          const double *weights, int64_t num_reps,
                                          int64_t num_frames, const double *positives,
                                          int64_t interpolation, const double *recall_points,
                                          int64_t num_rec, double *out, int64_t num_threads) {
    int64_t items = num_cls * num_reps, max_size = 0;
    int64_t *work = malloc(sizeof(int64_t) * (items + 1));
    struct resampled_ap_job *job = malloc(sizeof(struct resampled_ap_job));
    int64_t status = -1;
    if (work && job) {
        work[0] = 0;
        for (int64_t k = 0; k < items; k++) {
            int64_t c = k / num_reps;
            int64_t size = class_bounds[2 * c + 1] - class_bounds[2 * c];
            if (size > max_size) max_size = size;
            work[k + 1] = work[k] + size + 1;
        }
        *job = (struct resampled_ap_job){entry,     class_bounds, weights,
                                         positives, num_cls,      num_reps,     num_frames,
                                         interpolation, recall_points, num_rec,  out,
                                         max_size,  {0}};
        status = run_split(num_threads, work, items, &job->parts, resampled_ap_part, job);
    }
    free(work), free(job);
    return status;
}

struct counting_job {
    const int32_t *keys;
    int64_t num_keys;
    const int64_t *order;
    int64_t n;
    int64_t *out;
    int64_t *next; /* per part: num_keys counts, then each key's next output slot */
    int scatter;   /* 0: count, 1: scatter */
    struct parts parts;
};

/* Part p holds the rows order[n p / parts, n (p + 1) / parts). */
static void counting_part(void *ctx, int64_t p) {
    struct counting_job *J = ctx;
    int64_t *next = J->next + J->num_keys * p;
    int64_t lo = J->n * p / J->parts.count, hi = J->n * (p + 1) / J->parts.count;
    if (!J->scatter) {
        for (int64_t i = lo; i < hi; i++) next[J->keys[J->order[i]]]++;
        return;
    }
    for (int64_t i = lo; i < hi; i++) {
        int64_t row = J->order[i];
        J->out[next[J->keys[row]]++] = row;
    }
}

/* Stable counting sort of the rows in order[] by keys[row] in [0, num_keys), on up to
   num_threads threads: each counts its contiguous share of rows, a key's slots go to
   the parts in order, then each scatters its share, so the result is the serial one.
   Returns -1 when out of memory. */
int64_t shoal_counting_sort(const int32_t *keys, int64_t num_keys, const int64_t *order, int64_t n,
                            int64_t *out, int64_t *bounds, int64_t num_threads) {
    /* A part's counts cost num_keys to merge: worth it only with many rows per key. */
    int64_t parts = num_parts(num_threads, n, n / 4 > num_keys ? n : 0);
    struct counting_job *job = malloc(sizeof(struct counting_job));
    int64_t *next = calloc((size_t)(num_keys * parts + 1), sizeof(int64_t));
    if (!job || !next) {
        free(job), free(next);
        return -1;
    }
    *job = (struct counting_job){keys, num_keys, order, n, out, next, 0, {0}};
    job->parts.count = parts;
    run_parts(parts, counting_part, job);
    int64_t slot = 0;
    for (int64_t k = 0; k < num_keys; k++) {
        bounds[2 * k] = slot;
        for (int64_t p = 0; p < parts; p++) {
            int64_t count = next[num_keys * p + k];
            next[num_keys * p + k] = slot;
            slot += count;
        }
        bounds[2 * k + 1] = slot;
    }
    job->scatter = 1;
    run_parts(parts, counting_part, job);
    free(job), free(next);
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

struct segments_job {
    int64_t *order;
    const int64_t *bounds;
    const double *score;
    struct parts parts;
};

static void sort_segments_part(void *ctx, int64_t part) {
    struct segments_job *J = ctx;
    int64_t first = J->parts.bounds[part], last = J->parts.bounds[part + 1], max_n = 0;
    for (int64_t s = first; s < last; s++) {
        int64_t n = J->bounds[2 * s + 1] - J->bounds[2 * s];
        if (n > max_n) max_n = n;
    }
    int64_t *tmp = malloc(sizeof(int64_t) * (max_n / 2 + 1));
    J->parts.failed[part] = !tmp;
    for (int64_t s = first; s < last && tmp; s++)
        merge_sort_desc(J->order + J->bounds[2 * s], tmp, J->bounds[2 * s + 1] - J->bounds[2 * s],
                        J->score);
    free(tmp);
}

/* Within each [start, end) segment of order, a stable sort by descending score, on up
   to num_threads threads. Returns -1 when out of memory. */
int64_t shoal_sort_segments_by_score(int64_t *order, const int64_t *bounds, int64_t num_segments,
                                     const double *score, int64_t num_threads) {
    /* About four comparisons per row. */
    int64_t *work = cumulative_sizes(bounds, num_segments, 4);
    struct segments_job *job = malloc(sizeof(struct segments_job));
    int64_t status = -1;
    if (work && job) {
        *job = (struct segments_job){order, bounds, score, {0}};
        status = run_split(num_threads, work, num_segments, &job->parts, sort_segments_part, job);
    }
    free(work), free(job);
    return status;
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

/* Every (prediction, ground truth) row pair of each block, block by block, predictions
 * major (the layout shoal_match_all reads precomputed values in): block k pairs rows
 * dt_sorted[dt_bounds[2k] .. dt_bounds[2k+1]) with gt_sorted[gt_bounds[2k] ..
 * gt_bounds[2k+1]). pair_dt/pair_gt hold the sum of the blocks' products. */
void shoal_block_pairs(const int64_t *dt_sorted, const int64_t *dt_bounds,
                       const int64_t *gt_sorted, const int64_t *gt_bounds, int64_t num_blocks,
                       int64_t *pair_dt, int64_t *pair_gt) {
    int64_t out = 0;
    for (int64_t k = 0; k < num_blocks; k++) {
        const int64_t g0 = gt_bounds[2 * k], g1 = gt_bounds[2 * k + 1];
        if (g1 <= g0) continue;
        for (int64_t d = dt_bounds[2 * k]; d < dt_bounds[2 * k + 1]; d++) {
            const int64_t row = dt_sorted[d];
            for (int64_t g = g0; g < g1; g++, out++) {
                pair_dt[out] = row;
                pair_gt[out] = gt_sorted[g];
            }
        }
    }
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
