/* TIDE's per-image assignment (Bolya et al., ECCV 2020) as tidecv 1.0.1 runs it in box mode.
 *
 * One call walks every frame: greedy matching of the frame's kept predictions (already
 * sorted by descending score and cut to the per-image limit by the caller) to same-class
 * ground truth, crowd regions that then ignore unmatched predictions, the first error test
 * that fires for each unmatched or ignored prediction (Loc, Cls, Dupe, Bkg, else Both) and
 * Miss for ground truth no prediction matched or explained. Plain C, no Python API.
 *
 * The order of every step, the argmax tie rule (first maximum) and the inclusive or strict
 * comparisons follow tidecv, so equal inputs give equal assignments; IoU repeats
 * pycocotools' bbIou operations in the same order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <math.h>

enum { FALSE_POSITIVE = 0, TRUE_POSITIVE = 1, IGNORED = 2 };
enum { NO_ERROR = 0, CLS = 1, LOC = 2, BOTH = 3, DUPE = 4, BKG = 5, MISS = 6 };

static double box_iou(const double *d, const double *g, int crowd) {
    double w = fmin(d[2] + d[0], g[2] + g[0]) - fmax(d[0], g[0]);
    if (w <= 0) return 0.0;
    double h = fmin(d[3] + d[1], g[3] + g[1]) - fmax(d[1], g[1]);
    if (h <= 0) return 0.0;
    double i = w * h;
    double da = d[2] * d[3], ga = g[2] * g[3];
    double u = crowd ? da : da + ga - i;
    return i / u;
}

/* Index of the first maximum of row[0..n) (NumPy's argmax), 0 when n is 0. */
static int64_t first_max(const double *row, int64_t n) {
    int64_t best = 0;
    for (int64_t j = 1; j < n; j++)
        if (row[j] > row[best]) best = j;
    return best;
}

/* Returns 0, or -1 when out of memory. Outputs are indexed by prediction or ground-truth
 * row; rows outside dt_order keep what the caller put there. dt_target holds the matched
 * ground truth of a true positive, the target of Cls and Loc and the taken ground truth of
 * a Dupe (-1 otherwise); gt_best is the prediction a Cls or Loc fix turns into the match
 * of that ground truth (the highest-scoring one targeting it while it was unmatched). */
int64_t shoal_tide_assign(
    int64_t num_frames, const int64_t *dt_bounds, const int64_t *dt_order,
    const int64_t *gt_bounds, const int64_t *gt_order,
    const double *dt_box, const int32_t *dt_label, const double *dt_score,
    const double *gt_box, const int32_t *gt_label, const uint8_t *gt_ignore,
    double pos_thresh, double bg_thresh,
    int8_t *dt_state, int8_t *dt_error, int64_t *dt_target,
    int8_t *gt_state, int8_t *gt_miss, int64_t *gt_best)
{
    int64_t max_d = 0, max_g = 0;
    for (int64_t f = 0; f < num_frames; f++) {
        int64_t nd = dt_bounds[f + 1] - dt_bounds[f], ng = gt_bounds[f + 1] - gt_bounds[f];
        if (nd > max_d) max_d = nd;
        if (ng > max_g) max_g = ng;
    }
    size_t cells = (size_t)(max_d > 0 ? max_d : 1) * (size_t)(max_g > 0 ? max_g : 1);
    double *iou = malloc(cells * sizeof(double));
    double *buffer = malloc(cells * sizeof(double));
    double *row = malloc((size_t)(max_g > 0 ? max_g : 1) * sizeof(double));
    int64_t *regular = malloc((size_t)(max_g > 0 ? max_g : 1) * sizeof(int64_t));
    uint8_t *used = malloc((size_t)(max_g > 0 ? max_g : 1));
    uint8_t *usable = malloc((size_t)(max_g > 0 ? max_g : 1));
    double *best_score = malloc((size_t)(max_g > 0 ? max_g : 1) * sizeof(double));
    if (!iou || !buffer || !row || !regular || !used || !usable || !best_score) {
        free(iou); free(buffer); free(row); free(regular); free(used); free(usable);
        free(best_score);
        return -1;
    }
    for (int64_t f = 0; f < num_frames; f++) {
        const int64_t *dts = dt_order + dt_bounds[f];
        int64_t nd = dt_bounds[f + 1] - dt_bounds[f];
        int64_t nr = 0;
        for (int64_t k = gt_bounds[f]; k < gt_bounds[f + 1]; k++) {
            int64_t g = gt_order[k];
            gt_miss[g] = 0;
            gt_best[g] = -1;
            if (gt_ignore[g]) gt_state[g] = IGNORED;
            else { gt_state[g] = FALSE_POSITIVE; regular[nr++] = g; }
        }
        for (int64_t r = 0; r < nr; r++) { used[r] = 0; usable[r] = 0; best_score[r] = -1.0; }
        if (nd == 0) {  /* every ground truth of a frame without predictions is missed */
            for (int64_t r = 0; r < nr; r++) gt_miss[regular[r]] = 1;
            continue;
        }
        for (int64_t i = 0; i < nd; i++) {
            int64_t d = dts[i];
            dt_state[d] = FALSE_POSITIVE;
            dt_error[d] = NO_ERROR;
            dt_target[d] = -1;
            for (int64_t r = 0; r < nr; r++) {
                int64_t g = regular[r];
                double v = box_iou(dt_box + 4 * d, gt_box + 4 * g, 0);
                iou[i * nr + r] = v;
                buffer[i * nr + r] = dt_label[d] == gt_label[g] ? v : 0.0;
            }
        }
        if (nr > 0) {  /* greedy matching in score order, best unused same-class GT */
            for (int64_t i = 0; i < nd; i++) {
                double *b = buffer + i * nr;
                int64_t r = first_max(b, nr);
                if (b[r] >= pos_thresh) {
                    int64_t d = dts[i];
                    dt_state[d] = TRUE_POSITIVE;
                    dt_target[d] = regular[r];
                    used[r] = 1;
                    for (int64_t k = 0; k < nd; k++) buffer[k * nr + r] = 0.0;
                }
            }
        }
        /* Crowd regions: an unmatched prediction of the region's class whose crowd IoU
         * exceeds the positive threshold is ignored (left out of AP). */
        for (int64_t k = gt_bounds[f]; k < gt_bounds[f + 1]; k++) {
            int64_t g = gt_order[k];
            if (!gt_ignore[g]) continue;
            for (int64_t i = 0; i < nd; i++) {
                int64_t d = dts[i];
                if (dt_state[d] != FALSE_POSITIVE || dt_label[d] != gt_label[g]) continue;
                if (box_iou(dt_box + 4 * d, gt_box + 4 * g, 1) > pos_thresh) dt_state[d] = IGNORED;
            }
        }
        for (int64_t i = 0; i < nd; i++) {
            int64_t d = dts[i];
            if (dt_state[d] == TRUE_POSITIVE) continue;
            if (nr == 0) { dt_error[d] = BKG; continue; }
            const double *ious = iou + i * nr;
            int64_t r;
            /* Loc: best same-class IoU (used or not) within [bg, pos]. */
            for (int64_t j = 0; j < nr; j++)
                row[j] = dt_label[d] == gt_label[regular[j]] ? ious[j] : 0.0;
            r = first_max(row, nr);
            int error = NO_ERROR;
            if (bg_thresh <= row[r] && row[r] <= pos_thresh) error = LOC;
            if (error == NO_ERROR) {  /* Cls: another class's GT at IoU >= pos */
                for (int64_t j = 0; j < nr; j++)
                    row[j] = dt_label[d] != gt_label[regular[j]] ? ious[j] : 0.0;
                r = first_max(row, nr);
                if (row[r] >= pos_thresh) error = CLS;
            }
            if (error == NO_ERROR) {  /* Dupe: a matched same-class GT at IoU >= pos */
                for (int64_t j = 0; j < nr; j++)
                    row[j] = used[j] && dt_label[d] == gt_label[regular[j]] ? ious[j] : 0.0;
                r = first_max(row, nr);
                if (row[r] >= pos_thresh) { dt_error[d] = DUPE; dt_target[d] = regular[r]; continue; }
            }
            if (error == NO_ERROR) {  /* Bkg: no GT above the background threshold */
                r = first_max(ious, nr);
                dt_error[d] = ious[r] <= bg_thresh ? BKG : BOTH;
                continue;
            }
            dt_error[d] = (int8_t)error;
            dt_target[d] = regular[r];
            if (!used[r]) {  /* the fix may turn it into this GT's match */
                usable[r] = 1;
                if (best_score[r] < dt_score[d]) { best_score[r] = dt_score[d]; gt_best[regular[r]] = d; }
            }
        }
        for (int64_t r = 0; r < nr; r++) {
            int64_t g = regular[r];
            if (used[r]) gt_state[g] = TRUE_POSITIVE;
            else if (!usable[r]) gt_miss[g] = 1;
        }
    }
    free(iou); free(buffer); free(row); free(regular); free(used); free(usable); free(best_score);
    return 0;
}
