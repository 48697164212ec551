/*
 * Shoal's keypoint and polyline kernels: object keypoint similarity (OKS) and the
 * discrete Fréchet distance of pairs of objects.
 *
 * Plain C11 over flat arrays, called through ctypes (kernels.py documents the layouts
 * and allocates every output). An object's points are a run of rows of a flat array:
 * object i owns rows [offsets[i], offsets[i + 1]). Keypoint rows are (x, y, v) triples,
 * polyline rows (x, y) pairs.
 *
 * OKS repeats pycocotools' COCOeval.computeOks operations in the same order (the build
 * turns off fused multiply-add), leaves the exponentials to NumPy's np.exp and sums the
 * per-keypoint terms the way np.sum does (pairwise, eight accumulators), so the values
 * equal pycocotools' bit for bit.
 *
 * Every kernel takes num_threads last and splits its pairs into contiguous ranges, one
 * per thread; each pair's value depends on that pair only, so results do not depend on
 * the thread count.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../_threads.h"

/* Pairs' points below which a second thread costs more than it saves; settable so that
   tests can split tiny inputs across every thread. */
static int64_t min_work_per_thread = 20000;

int64_t shoal_keypoints_set_min_work_per_thread(int64_t work) {
    int64_t previous = min_work_per_thread;
    min_work_per_thread = work < 1 ? 1 : work;
    return previous;
}

typedef int (*range_fn)(const void *ctx, int64_t start, int64_t end);

struct ranges {
    range_fn fn;
    const void *ctx;
    int64_t n, parts;
    int status[MAX_THREADS];
};

static void range_part(void *arg, int64_t p) {
    struct ranges *job = arg;
    job->status[p] = job->fn(job->ctx, job->n * p / job->parts, job->n * (p + 1) / job->parts);
}

/* fn over [0, n) in up to num_threads contiguous ranges (see _threads.h). Returns -1
   when any range failed (out of memory), else 0. */
static int run_ranges(int64_t n, int64_t work, int64_t num_threads, range_fn fn,
                      const void *ctx) {
    struct ranges job = {fn, ctx, n, parts_for(num_threads, n, work, min_work_per_thread), {0}};
    run_parts(job.parts, range_part, &job);
    for (int64_t p = 0; p < job.parts; p++)
        if (job.status[p] < 0) return -1;
    return 0;
}

/* ------------------------------------------------------------------------------ OKS */

/* NumPy's pairwise summation of a contiguous float64 array of n <= 128 values (the
   reduction starts from 0.0, which adds nothing). */
static double numpy_sum(const double *a, int64_t n) {
    if (n < 8) {
        double res = 0.0;
        for (int64_t i = 0; i < n; i++) res += a[i];
        return res;
    }
    double r[8];
    for (int j = 0; j < 8; j++) r[j] = a[j];
    int64_t i;
    for (i = 8; i < n - (n % 8); i += 8)
        for (int j = 0; j < 8; j++) r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[i];
    return res;
}

static double pairwise_sum(const double *a, int64_t n) {
    if (n <= 128) return numpy_sum(a, n);
    int64_t half = n / 2;
    half -= half % 8;
    return pairwise_sum(a, half) + pairwise_sum(a + half, n - half);
}

struct oks_ctx {
    const int64_t *dt_rows, *gt_rows;
    const int64_t *dt_offsets;
    const double *dt_points; /* (x, y, v) rows; v unused, as in pycocotools */
    const int64_t *gt_offsets;
    const double *gt_points; /* (x, y, v) rows */
    const double *gt_box;    /* (x, y, w, h) per ground-truth row */
    const double *gt_area;
    const int64_t *gt_vars; /* offset into vars of each ground-truth row's (2 sigma)^2 */
    const double *vars;
    int64_t max_points;
};

/*
 * OKS in two passes, so that the exponentials are NumPy's (pycocotools calls np.exp,
 * whose vectorised implementation may round differently from C's exp): first
 * shoal_oks_exponents writes each pair's -e terms at terms[term_offsets[i]...] (the
 * caller sized them: the ground truth's visible keypoints, or all of them when none is
 * visible; none for a pair scoring 0), then the caller takes np.exp of them in place and
 * shoal_oks_means averages each pair's terms as np.sum does. An exponent below
 * DEAD_EXPONENT, whose exp is exactly 0 (and slow in NumPy: its underflow path), is
 * written as +1 instead (exp 2.718..., which no true term reaches) and read as 0.
 */
#define DEAD_EXPONENT (-750.0)

static inline double live_exponent(double x) { return x < DEAD_EXPONENT ? 1.0 : x; }
struct exponents_ctx {
    const struct oks_ctx *oks;
    const int64_t *term_offsets;
    double *terms;
};

static int exponents_range(const void *ctx, int64_t start, int64_t end) {
    const struct exponents_ctx *c = ctx;
    const struct oks_ctx *o = c->oks;
    double *scratch = malloc(sizeof(double) * (size_t)(o->max_points > 0 ? o->max_points : 1));
    if (!scratch) return -1;
    for (int64_t i = start; i < end; i++) {
        if (c->term_offsets[i + 1] == c->term_offsets[i]) continue;
        int64_t g = o->gt_rows[i], d = o->dt_rows[i];
        int64_t k = o->gt_offsets[g + 1] - o->gt_offsets[g];
        const double *gp = o->gt_points + 3 * o->gt_offsets[g];
        const double *dp = o->dt_points + 3 * o->dt_offsets[d];
        const double *var = o->vars + o->gt_vars[g];
        const double *box = o->gt_box + 4 * g;
        double area = o->gt_area[g] + DBL_EPSILON;
        double *out = c->terms + c->term_offsets[i];
        /* The visible keypoints, selected without branches (to a branch predictor the
           flags are random): every value is written at the next slot, kept by counting. */
        int64_t n = 0;
        for (int64_t j = 0; j < k; j++) {
            double dx = dp[3 * j] - gp[3 * j];
            double dy = dp[3 * j + 1] - gp[3 * j + 1];
            scratch[n] = live_exponent(-((dx * dx + dy * dy) / var[j] / area * 0.5));
            n += gp[3 * j + 2] > 0;
        }
        if (n > 0) {
            memcpy(out, scratch, sizeof(double) * (size_t)n);
            continue;
        }
        double x0 = box[0] - box[2], x1 = box[0] + box[2] * 2;
        double y0 = box[1] - box[3], y1 = box[1] + box[3] * 2;
        for (int64_t j = 0; j < k; j++) {
            double xd = dp[3 * j], yd = dp[3 * j + 1];
            double dx = fmax(0.0, x0 - xd) + fmax(0.0, xd - x1);
            double dy = fmax(0.0, y0 - yd) + fmax(0.0, yd - y1);
            out[j] = live_exponent(-((dx * dx + dy * dy) / var[j] / area * 0.5));
        }
    }
    free(scratch);
    return 0;
}

int64_t shoal_oks_exponents(int64_t n, const int64_t *dt_rows, const int64_t *gt_rows,
                            const int64_t *dt_offsets, const double *dt_points,
                            const int64_t *gt_offsets, const double *gt_points,
                            const double *gt_box, const double *gt_area, const int64_t *gt_vars,
                            const double *vars, int64_t max_points, const int64_t *term_offsets,
                            double *terms, int64_t num_threads) {
    struct oks_ctx oks = {dt_rows, gt_rows, dt_offsets, dt_points, gt_offsets, gt_points,
                          gt_box,  gt_area, gt_vars,    vars,      max_points};
    struct exponents_ctx ctx = {&oks, term_offsets, terms};
    return run_ranges(n, term_offsets[n], num_threads, exponents_range, &ctx);
}

struct means_ctx {
    const int64_t *term_offsets;
    double *terms;
    double *out;
};

static int means_range(const void *ctx, int64_t start, int64_t end) {
    const struct means_ctx *c = ctx;
    for (int64_t i = start; i < end; i++) {
        int64_t count = c->term_offsets[i + 1] - c->term_offsets[i];
        double *terms = c->terms + c->term_offsets[i];
        for (int64_t j = 0; j < count; j++) terms[j] = terms[j] > 1.0 ? 0.0 : terms[j];
        c->out[i] = count ? pairwise_sum(terms, count) / (double)count : 0.0;
    }
    return 0;
}

void shoal_oks_means(int64_t n, const int64_t *term_offsets, double *terms, double *out,
                     int64_t num_threads) {
    struct means_ctx ctx = {term_offsets, terms, out};
    run_ranges(n, term_offsets[n], num_threads, means_range, &ctx);
}

/* ------------------------------------------------------------------ Fréchet distance */

struct frechet_ctx {
    const int64_t *dt_rows, *gt_rows;
    const int64_t *dt_offsets;
    const double *dt_points; /* (x, y) rows */
    const int64_t *gt_offsets;
    const double *gt_points;
    int64_t either_direction;
    int64_t max_points; /* the largest vertex count of any ground-truth row */
    double *out;
};

static double distance(const double *a, const double *b) {
    double dx = a[0] - b[0], dy = a[1] - b[1];
    return sqrt(dx * dx + dy * dy);
}

/* Discrete Fréchet distance of paths p (n vertices) and q (m), q read backwards when
   reversed, by the row-by-row recurrence
   D(i, j) = max(d(p_i, q_j), min(D(i-1, j), D(i-1, j-1), D(i, j-1))); row holds m. */
static double frechet(const double *p, int64_t n, const double *q, int64_t m, int reversed,
                      double *row) {
#define Q(j) (q + 2 * (reversed ? m - 1 - (j) : (j)))
    for (int64_t j = 0; j < m; j++) {
        double dist = distance(p, Q(j));
        row[j] = j == 0 ? dist : fmax(row[j - 1], dist);
    }
    for (int64_t i = 1; i < n; i++) {
        const double *pi = p + 2 * i;
        double diagonal = row[0]; /* D(i-1, j-1) for the next column */
        row[0] = fmax(row[0], distance(pi, Q(0)));
        for (int64_t j = 1; j < m; j++) {
            double up = row[j];
            double best = fmin(fmin(up, diagonal), row[j - 1]);
            row[j] = fmax(best, distance(pi, Q(j)));
            diagonal = up;
        }
    }
    return row[m - 1];
#undef Q
}

static int frechet_range(const void *ctx, int64_t start, int64_t end) {
    const struct frechet_ctx *c = ctx;
    double *row = malloc(sizeof(double) * (size_t)(c->max_points > 0 ? c->max_points : 1));
    if (!row) return -1;
    for (int64_t i = start; i < end; i++) {
        int64_t d = c->dt_rows[i], g = c->gt_rows[i];
        int64_t n = c->dt_offsets[d + 1] - c->dt_offsets[d];
        int64_t m = c->gt_offsets[g + 1] - c->gt_offsets[g];
        if (n == 0 || m == 0) {
            c->out[i] = INFINITY;
            continue;
        }
        const double *p = c->dt_points + 2 * c->dt_offsets[d];
        const double *q = c->gt_points + 2 * c->gt_offsets[g];
        double value = frechet(p, n, q, m, 0, row);
        if (c->either_direction) value = fmin(value, frechet(p, n, q, m, 1, row));
        c->out[i] = value;
    }
    free(row);
    return 0;
}

/*
 * Discrete Fréchet distance of each pair (dt_rows[i], gt_rows[i]) into out[i] (infinity
 * when either path has no vertex); either_direction also reads the ground truth's
 * path backwards and keeps the smaller distance. Returns 0, or -1 when out of memory.
 */
int64_t shoal_frechet_pairs(int64_t n, const int64_t *dt_rows, const int64_t *gt_rows,
                            const int64_t *dt_offsets, const double *dt_points,
                            const int64_t *gt_offsets, const double *gt_points,
                            int64_t either_direction, int64_t max_points, int64_t work,
                            double *out, int64_t num_threads) {
    struct frechet_ctx ctx = {dt_rows,   gt_rows,          dt_offsets, dt_points, gt_offsets,
                              gt_points, either_direction, max_points, out};
    return run_ranges(n, work, num_threads, frechet_range, &ctx);
}
