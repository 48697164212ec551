/*
 * Shoal's mask kernels: COCO RLE strings read into a mask column, polygons rasterised,
 * and the IoU of (prediction, ground truth) mask pairs, each as pycocotools computes it.
 *
 * Plain C11 over flat arrays, called through ctypes (see column.py, which documents
 * the layouts and allocates every output). A *mask column* holds N masks: all their
 * run lengths end to end (uint32 ``counts``, column-major runs starting with
 * background, as COCO's RLE), ``offsets`` (N + 1) into them, and per mask its height,
 * width, area (foreground pixels) and box (pycocotools' toBbox: x, y, w, h doubles).
 *
 * The kernels take num_threads last and split their items across POSIX threads; every
 * item is computed by one thread alone, so results do not depend on the thread count.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../_threads.h"

/* ------------------------------------------------------------------ threads */

/* Below this much work (about one run visited per unit) a thread costs more than it
   saves. Settable so that tests can split tiny inputs across every thread. */
static int64_t min_work_per_thread = 50000;

int64_t shoal_masks_set_min_work_per_thread(int64_t work) {
    int64_t previous = min_work_per_thread;
    min_work_per_thread = work < 1 ? 1 : work;
    return previous;
}

/* Parts for n items of total_work (see _threads.h). */
static int64_t num_parts(int64_t num_threads, int64_t n, int64_t total_work) {
    return parts_for(num_threads, n, total_work, min_work_per_thread);
}

/* Part p's items [lo, hi) of n: contiguous, about equal in number. */
static inline void part_range(int64_t n, int64_t parts, int64_t p, int64_t *lo, int64_t *hi) {
    *lo = n / parts * p + n % parts * p / parts;
    *hi = n / parts * (p + 1) + n % parts * (p + 1) / parts;
}

/* ------------------------------------------------------------------ area and box */

/* Column x and row y of pixel t on an h-pixel column, following the column from call
   to call (*column_start = x * h): a division only on a jump of two columns or more,
   or a step back. */
static inline void locate(uint32_t t, uint32_t h, uint32_t *x, uint64_t *column_start,
                          uint32_t *y) {
    uint64_t into = (uint64_t)t - *column_start; /* huge when t is behind the column */
    if (into >= h) {
        if (into < 2 * (uint64_t)h) {
            *x += 1;
            *column_start += h;
        } else {
            *x = t / h;
            *column_start = (uint64_t)*x * h;
        }
    }
    *y = (uint32_t)((uint64_t)t - *column_start);
}

/* Foreground pixels (the odd runs) and pycocotools' (2.0.8 on) rleToBbox of one mask:
   the first and last pixel of every non-empty foreground run among the first even
   number of runs, a run spanning columns covering the full height; unsigned 32-bit
   arithmetic as there (a mask whose foreground runs are all empty gets x = width,
   y = height and sizes wrapped around from 1 - width, 1 - height). */
static void area_and_box(const uint32_t *cnts, int64_t m, int64_t height, int64_t width,
                         int64_t *area, double *bb) {
    int64_t a = 0;
    for (int64_t j = 1; j < m; j += 2) a += cnts[j];
    *area = a;
    uint32_t h = (uint32_t)height, w = (uint32_t)width;
    int64_t even = m / 2 * 2;
    if (even == 0 || h == 0) {
        bb[0] = bb[1] = bb[2] = bb[3] = 0.0;
        return;
    }
    uint32_t xs = w, ys = h, xe = 0, ye = 0, cc = 0, x = 0;
    uint64_t column_start = 0;
    for (int64_t j = 0; j < even; j++) {
        uint32_t start = cc;
        cc += cnts[j];
        if (j % 2 == 0 || cnts[j] == 0) continue;
        uint32_t x_start, y_start, x_end, y_end;
        locate(start, h, &x, &column_start, &y_start);
        x_start = x;
        locate(cc - 1, h, &x, &column_start, &y_end);
        x_end = x;
        if (x_start < xs) xs = x_start;
        if (x_end > xe) xe = x_end;
        if (x_start < x_end) {
            ys = 0;
            ye = h - 1;
        } else {
            if (y_start < ys) ys = y_start;
            if (y_end > ye) ye = y_end;
        }
    }
    bb[0] = xs;
    bb[1] = ys;
    bb[2] = (uint32_t)(xe - xs + 1);
    bb[3] = (uint32_t)(ye - ys + 1);
}

struct area_job {
    int64_t n, parts;
    const uint32_t *counts;
    const int64_t *offsets, *height, *width;
    int64_t *area, *pixels;
    double *bbox;
};

static void area_part(void *ctx, int64_t p) {
    struct area_job *job = ctx;
    int64_t lo, hi;
    part_range(job->n, job->parts, p, &lo, &hi);
    for (int64_t i = lo; i < hi; i++) {
        const uint32_t *c = job->counts + job->offsets[i];
        int64_t m = job->offsets[i + 1] - job->offsets[i], total = 0;
        for (int64_t j = 0; j < m; j++) total += c[j];
        job->pixels[i] = total;
        area_and_box(c, m, job->height[i], job->width[i], job->area + i, job->bbox + 4 * i);
    }
}

/* Area, box and run total (pixels covered) of each mask of a column. */
void shoal_masks_area_bbox(int64_t n, const uint32_t *counts, const int64_t *offsets,
                           const int64_t *height, const int64_t *width, int64_t *area,
                           double *bbox, int64_t *pixels, int64_t num_threads) {
    struct area_job job = {n, 0, counts, offsets, height, width, area, pixels, bbox};
    job.parts = num_parts(num_threads, n, n ? offsets[n] : 0);
    run_parts(job.parts, area_part, &job);
}

struct pixels_job {
    int64_t n, parts;
    const uint32_t *counts;
    const int64_t *offsets;
    int64_t *pixels;
};

static void pixels_part(void *ctx, int64_t p) {
    struct pixels_job *job = ctx;
    int64_t lo, hi;
    part_range(job->n, job->parts, p, &lo, &hi);
    for (int64_t i = lo; i < hi; i++) {
        int64_t total = 0;
        for (int64_t j = job->offsets[i]; j < job->offsets[i + 1]; j++) total += job->counts[j];
        job->pixels[i] = total;
    }
}

/* Each mask's run total (the pixels its runs cover). */
void shoal_masks_pixels(int64_t n, const uint32_t *counts, const int64_t *offsets,
                        int64_t *pixels, int64_t num_threads) {
    struct pixels_job job = {n, 0, counts, offsets, pixels};
    job.parts = num_parts(num_threads, n, n ? offsets[n] : 0);
    run_parts(job.parts, pixels_part, &job);
}

struct gather_job {
    int64_t n, parts;
    const uint32_t *counts;
    const int64_t *offsets, *rows, *out_offsets;
    uint32_t *out;
};

static void gather_part(void *ctx, int64_t p) {
    struct gather_job *job = ctx;
    int64_t lo, hi;
    part_range(job->n, job->parts, p, &lo, &hi);
    for (int64_t i = lo; i < hi; i++) {
        int64_t r = job->rows[i];
        memcpy(job->out + job->out_offsets[i], job->counts + job->offsets[r],
               sizeof(uint32_t) * (job->offsets[r + 1] - job->offsets[r]));
    }
}

/* The runs of masks rows[0..n) one after the other into out, mask i's at out_offsets[i]. */
void shoal_masks_gather(int64_t n, const uint32_t *counts, const int64_t *offsets,
                        const int64_t *rows, const int64_t *out_offsets, uint32_t *out,
                        int64_t num_threads) {
    struct gather_job job = {n, 0, counts, offsets, rows, out_offsets, out};
    job.parts = num_parts(num_threads, n, n ? out_offsets[n] : 0);
    run_parts(job.parts, gather_part, &job);
}

/* ------------------------------------------------------------------ strings */

/*
 * COCO's compressed counts: each number in 5-bit groups, low group first, as the
 * character 48 + group | 0x20 while more groups follow; the last group's bit 0x10 is
 * the sign. From the fourth number on, each is a difference to the number two before.
 * Read with 64-bit arithmetic and kept modulo 2^32, as pycocotools' uint counts are.
 */
struct strings_job {
    int64_t n, parts;
    const uint8_t *text;
    const int64_t *starts, *ends, *height, *width, *offsets;
    uint32_t *counts;
    int64_t *area, *pixels, *problem;
    double *bbox;
    int json_escaped;
};

/* Numbers in each string: characters without the continuation bit (0x20 after the
   offset 48). A string's decoding writes no more than that many runs. */
static void count_part(void *ctx, int64_t p) {
    struct strings_job *job = ctx;
    int64_t lo, hi;
    part_range(job->n, job->parts, p, &lo, &hi);
    for (int64_t i = lo; i < hi; i++) {
        int64_t m = 0;
        for (int64_t at = job->starts[i]; at < job->ends[i]; at++)
            m += ((job->text[at] - 48) & 0x20) == 0;
        job->pixels[i] = m;
    }
}

static void strings_part(void *ctx, int64_t p) {
    struct strings_job *job = ctx;
    int64_t lo, hi;
    part_range(job->n, job->parts, p, &lo, &hi);
    for (int64_t i = lo; i < hi; i++) {
        const uint8_t *s = job->text + job->starts[i];
        int64_t size = job->ends[i] - job->starts[i];
        uint32_t *cnts = job->counts + job->offsets[i];
        int64_t m = 0, pos = 0, problem = -1, total = 0;
        while (pos < size) {
            int64_t x = 0;
            int k = 0, more = 1;
            /* Most numbers (small differences) are one character: no loop. */
            int c0 = (int)s[pos] - 48;
            if (c0 >= 0 && c0 < 32) {
                x = (c0 & 0x10) ? c0 - 32 : c0;
                pos++;
                more = 0;
            }
            while (more) {
                if (pos >= size) {
                    problem = -2; /* ends inside a number */
                    break;
                }
                /* In a JSON file's text a backslash (a counts character) is written \\. */
                if (job->json_escaped && s[pos] == '\\' && pos + 1 < size) pos++;
                int c = (int)s[pos] - 48;
                if (c < 0 || c > 63) {
                    problem = pos;
                    break;
                }
                if (k < 12) x |= (int64_t)(c & 0x1f) << (5 * k);
                more = c & 0x20;
                pos++;
                k++;
                if (!more && (c & 0x10) && k < 12) x |= (int64_t)-1 * ((int64_t)1 << (5 * k));
            }
            if (problem != -1) break;
            if (m > 2) x += (int64_t)cnts[m - 2];
            cnts[m++] = (uint32_t)x;
            total += (uint32_t)x;
        }
        job->problem[i] = problem;
        job->pixels[i] = total;
        if (problem == -1)
            area_and_box(cnts, m, job->height[i], job->width[i], job->area + i, job->bbox + 4 * i);
    }
}

/* How many runs each string text[starts[i]:ends[i]] holds (a bound when the string is
   malformed): runs[i], n of them. */
void shoal_count_string_runs(int64_t n, const uint8_t *text, const int64_t *starts,
                             const int64_t *ends, int64_t *runs, int64_t num_threads) {
    struct strings_job job = {n, 0, text, starts, ends, NULL, NULL, NULL, NULL, NULL, runs, NULL,
                              NULL, 0};
    job.parts = num_parts(num_threads, n, n ? (ends[n - 1] - starts[0]) / 4 : 0);
    run_parts(job.parts, count_part, &job);
}

/*
 * n compressed strings, string i being text[starts[i]:ends[i]], for masks of height[i] x
 * width[i], decoded into counts at offsets (n + 1; from shoal_count_string_runs). problem[i]
 * is -1, the position of a character outside COCO's alphabet, or -2 when the string ends
 * inside a number (that mask's area and box are then not written). json_escaped: the
 * strings are as a JSON file writes them, a backslash as \\ (no other escape).
 */
void shoal_masks_from_strings(int64_t n, const uint8_t *text, const int64_t *starts,
                              const int64_t *ends, const int64_t *height, const int64_t *width,
                              const int64_t *offsets, uint32_t *counts, int64_t *area,
                              double *bbox, int64_t *pixels, int64_t *problem,
                              int64_t json_escaped, int64_t num_threads) {
    struct strings_job job = {n, 0, text, starts, ends, height, width, offsets,
                              counts, area, pixels, problem, bbox, (int)json_escaped};
    job.parts = num_parts(num_threads, n, n ? offsets[n] : 0);
    run_parts(job.parts, strings_part, &job);
}

/* Write each mask's compressed counts string (pycocotools' rleToString): mask i's
   characters from bound_offsets[i] (7 bytes per run are always enough), compacted
   afterwards into text, string i at [text_offsets[i], text_offsets[i + 1]). */
struct to_strings_job {
    int64_t n, parts;
    const uint32_t *counts;
    const int64_t *offsets;
    uint8_t *text;
    int64_t *lengths;
};

static void to_strings_part(void *ctx, int64_t p) {
    struct to_strings_job *job = ctx;
    int64_t lo, hi;
    part_range(job->n, job->parts, p, &lo, &hi);
    for (int64_t i = lo; i < hi; i++) {
        const uint32_t *cnts = job->counts + job->offsets[i];
        int64_t m = job->offsets[i + 1] - job->offsets[i];
        uint8_t *s = job->text + 7 * job->offsets[i];
        int64_t at = 0;
        for (int64_t j = 0; j < m; j++) {
            int64_t x = (int64_t)cnts[j];
            if (j > 2) x -= (int64_t)cnts[j - 2];
            int more = 1;
            while (more) {
                int c = (int)(x & 0x1f);
                x >>= 5;
                more = (c & 0x10) ? x != -1 : x != 0;
                if (more) c |= 0x20;
                s[at++] = (uint8_t)(c + 48);
            }
        }
        job->lengths[i] = at;
    }
}

int64_t shoal_masks_to_strings(int64_t n, const uint32_t *counts, const int64_t *offsets,
                               uint8_t *text, int64_t *text_offsets, int64_t num_threads) {
    int64_t *lengths = malloc(sizeof(int64_t) * (n + 1));
    if (!lengths) return -1;
    struct to_strings_job job = {n, 0, counts, offsets, text, lengths};
    job.parts = num_parts(num_threads, n, n ? offsets[n] : 0);
    run_parts(job.parts, to_strings_part, &job);
    int64_t at = 0;
    for (int64_t i = 0; i < n; i++) {
        text_offsets[i] = at;
        if (at != 7 * offsets[i] && lengths[i]) memmove(text + at, text + 7 * offsets[i], lengths[i]);
        at += lengths[i];
    }
    text_offsets[n] = at;
    free(lengths);
    return at;
}

/* ------------------------------------------------------------------ polygons */

/* Move each item's runs (written from bound_offsets[i], lengths[i] of them) to follow the
   previous item's; offsets (n + 1) receives where each now starts. Returns the total. */
static int64_t compact(uint32_t *counts, int64_t n, const int64_t *bound_offsets,
                       const int64_t *lengths, int64_t *offsets) {
    int64_t at = 0;
    for (int64_t i = 0; i < n; i++) {
        offsets[i] = at;
        if (at != bound_offsets[i] && lengths[i])
            memmove(counts + at, counts + bound_offsets[i], sizeof(uint32_t) * lengths[i]);
        at += lengths[i];
    }
    offsets[n] = at;
    return at;
}

/* A growable uint32 buffer, one per thread. */
struct buffer {
    uint32_t *data;
    int64_t size;
};

static int reserve(struct buffer *b, int64_t size) {
    if (size <= b->size) return 1;
    int64_t grown = b->size * 2 > size ? b->size * 2 : size;
    uint32_t *data = realloc(b->data, sizeof(uint32_t) * grown);
    if (!data) return 0;
    b->data = data;
    b->size = grown;
    return 1;
}

/* Ascending sort of n uint32 (a polygon's marks): insertion sort for short runs,
   quicksort (median of three) above. */
static void sort_uint(uint32_t *a, int64_t n) {
    while (n > 24) {
        uint32_t x = a[0], y = a[n / 2], z = a[n - 1];
        uint32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int64_t i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i >= j) break;
            uint32_t t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        /* [0, j] <= pivot <= [j + 1, n): recurse on the smaller side, loop on the other. */
        if (j + 1 < n - j - 1) {
            sort_uint(a, j + 1);
            a += j + 1;
            n -= j + 1;
        } else {
            sort_uint(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (int64_t i = 1; i < n; i++) {
        uint32_t v = a[i];
        int64_t k = i;
        while (k > 0 && a[k - 1] > v) {
            a[k] = a[k - 1];
            k--;
        }
        a[k] = v;
    }
}

/* C's (int) of a double as the x86-64 conversion does it (out-of-range: INT_MIN), so
   that far-off vertices rasterise as in pycocotools rather than being undefined. */
static inline int c_int(double v) {
    if (!(v > -2147483649.0 && v < 2147483648.0)) return INT32_MIN;
    return (int)v;
}

/* An upper bound on the runs of one polygon's RLE: one mark per kept column crossing
   (at most one per column of the image per edge, and one per 5 scaled units of the
   edge's x extent) plus the closing mark. */
static int64_t polygon_run_bound(const double *xy, int64_t k, int64_t w) {
    int64_t bound = 3;
    for (int64_t j = 0; j < k; j++) {
        int64_t next = j + 1 < k ? j + 1 : 0;
        int64_t xs = c_int(5.0 * xy[2 * j] + .5), xe = c_int(5.0 * xy[2 * next] + .5);
        int64_t dx = xs > xe ? xs - xe : xe - xs;
        int64_t per_edge = dx / 5 + 2;
        bound += per_edge < w + 2 ? per_edge : w + 2;
    }
    return bound;
}

/*
 * pycocotools' rleFrPoly, step for step: vertices scaled by 5 and truncated, each edge
 * walked one step at a time along its longer axis from its lower end (points produced
 * in the edge's own direction), every change of column between consecutive points
 * whose column centre falls on a pixel centre in the image marks where that column's
 * foreground starts or stops; the sorted marks become the runs. The points are visited
 * as they are produced, none stored. Writes the runs to out (room: polygon_run_bound)
 * and returns how many; marks is scratch of the same room.
 */
/* The mark of the boundary point between consecutive points (pu, pv) and (u, v) whose
   columns differ, if it falls on a pixel centre of the image (rleFrPoly's test). */
static inline int64_t mark_crossing(int u, int pu, int v, int pv, int64_t h, int64_t w,
                                    uint32_t *marks, uint32_t *columns, int64_t num_marks) {
    /* rleFrPoly's doubles, xd = (k + .5) / 5 - .5 kept when a whole number in [0, w - 1]
       and yd = ceil(clamp((y + .5) / 5 - .5, 0, h)), are exactly these integers: xd is
       whole just when k = 5 xd + 2, and (y + .5) / 5 - .5 lies at least 0.2 from a whole
       number otherwise, so rounding never moves its ceiling. */
    int64_t k = u < pu ? u : (int64_t)u - 1;
    if ((k - 2) % 5 != 0) return num_marks;
    int64_t column = (k - 2) / 5;
    if (column < 0 || column > w - 1) return num_marks;
    int64_t y = (int64_t)(v < pv ? v : pv) - 2;
    int64_t row = y >= 0 ? (y + 4) / 5 : y / 5; /* the ceiling of y / 5 */
    if (row < 0) row = 0;
    else if (row > h) row = h;
    marks[num_marks] = (uint32_t)(column * h + row);
    columns[num_marks] = (uint32_t)column;
    return num_marks + 1;
}

/* Sort a polygon's marks (n of them, each in column columns[i] of an h-pixel image
   small enough that column * h + row does not wrap): a counting sort by column, then
   each column's few marks by value, when the columns span no more than n (a polygon
   inside the image crosses each column it spans at least twice); a comparison sort
   otherwise. tmp and bucket have room for n + 1 entries. */
static void sort_marks(uint32_t *marks, const uint32_t *columns, int64_t n, uint32_t *tmp,
                       uint32_t *bucket) {
    if (n < 32) {
        sort_uint(marks, n);
        return;
    }
    uint32_t lo = columns[0], hi = columns[0];
    for (int64_t i = 1; i < n; i++) {
        if (columns[i] < lo) lo = columns[i];
        if (columns[i] > hi) hi = columns[i];
    }
    int64_t range = (int64_t)hi - lo + 1;
    if (range > n) {
        sort_uint(marks, n);
        return;
    }
    memset(bucket, 0, sizeof(uint32_t) * (range + 1));
    for (int64_t i = 0; i < n; i++) bucket[columns[i] - lo + 1]++;
    for (int64_t c = 0; c < range; c++) bucket[c + 1] += bucket[c];
    for (int64_t i = 0; i < n; i++) tmp[bucket[columns[i] - lo]++] = marks[i];
    /* bucket[c] is now where column c + 1 starts: sort each column's marks in place. */
    int64_t start = 0;
    for (int64_t c = 0; c < range; c++) {
        int64_t end = bucket[c];
        if (end - start > 1) sort_uint(tmp + start, end - start);
        start = end;
    }
    memcpy(marks, tmp, sizeof(uint32_t) * n);
}

static int64_t polygon_runs(const double *xy, int64_t k, int64_t h, int64_t w, uint32_t *marks,
                            uint32_t *columns, uint32_t *tmp, uint32_t *bucket, uint32_t *out) {
    const double scale = 5;
    int64_t num_marks = 0;
    int have_previous = 0, pu = 0, pv = 0;
    for (int64_t j = 0; j < k; j++) {
        int64_t next = j + 1 < k ? j + 1 : 0;
        int xs = c_int(scale * xy[2 * j] + .5), xe = c_int(scale * xy[2 * next] + .5);
        int ys = c_int(scale * xy[2 * j + 1] + .5), ye = c_int(scale * xy[2 * next + 1] + .5);
        int dx = abs(xe - xs), dy = abs(ys - ye), t;
        int flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
        if (flip) {
            t = xs; xs = xe; xe = t;
            t = ys; ys = ye; ye = t;
        }
        int along_x = dx >= dy;
        int steps = along_x ? dx : dy;
        /* A zero-length edge divides 0 by 0; its one point repeats the previous point's
           column, so its row is never used. */
        double s = steps == 0 ? 0.0 : along_x ? (double)(ye - ys) / dx : (double)(xe - xs) / dy;
        if (along_x && steps > 0) {
            /* The column changes at every step: of the pairs inside the edge only those
               whose lower column k is 2 modulo 5 (a pixel centre, xd = (k - 2) / 5) and in
               the image mark anything, so only they are visited. The pair joining the
               previous edge is checked as any other. */
            int t_first = flip ? steps : 0, t_last = flip ? 0 : steps;
            int u_first = t_first + xs, v_first = c_int(ys + s * t_first + .5);
            if (have_previous && u_first != pu)
                num_marks = mark_crossing(u_first, pu, v_first, pv, h, w, marks, columns, num_marks);
            int64_t lo = xs > 2 ? xs : 2, hi = (int64_t)xs + steps - 1;
            if (hi > 5 * (w - 1) + 2) hi = 5 * (w - 1) + 2;
            for (int64_t col = lo + ((2 - lo) % 5 + 5) % 5; col <= hi; col += 5) {
                int ta = (int)(col - xs);
                int va = c_int(ys + s * ta + .5), vb = c_int(ys + s * (ta + 1) + .5);
                num_marks = mark_crossing((int)col + 1, (int)col, vb, va, h, w, marks, columns, num_marks);
            }
            have_previous = 1;
            pu = t_last + xs;
            pv = c_int(ys + s * t_last + .5);
            continue;
        }
        for (int d = 0; d <= steps; d++) {
            t = flip ? steps - d : d;
            int u, v;
            if (along_x) {
                u = t + xs;
                v = c_int(ys + s * t + .5);
            } else {
                v = t + ys;
                u = c_int(xs + s * t + .5);
            }
            if (have_previous && u != pu) num_marks = mark_crossing(u, pu, v, pv, h, w, marks, columns, num_marks);
            have_previous = 1;
            pu = u;
            pv = v;
        }
    }
    if (h * w < ((int64_t)1 << 31)) sort_marks(marks, columns, num_marks, tmp, bucket);
    else sort_uint(marks, num_marks);
    /* The closing mark, h * w, is at least every other. */
    marks[num_marks++] = (uint32_t)(h * w);
    uint32_t previous = 0;
    for (int64_t j = 0; j < num_marks; j++) {
        uint32_t at = marks[j];
        marks[j] -= previous;
        previous = at;
    }
    /* An empty gap is dropped with the gap after it, which joins the run before. */
    int64_t m = 0, j = 0;
    out[m++] = marks[j++];
    while (j < num_marks) {
        if (marks[j] > 0) out[m++] = marks[j++];
        else {
            j++;
            if (j < num_marks) out[m - 1] += marks[j++];
        }
    }
    return m;
}

/* pycocotools' rleMerge of two same-size masks (union): a into out (room: ka + kb). */
static int64_t union_runs(const uint32_t *a_cnts, int64_t ka, const uint32_t *b_cnts, int64_t kb,
                          uint32_t *out) {
    uint32_t ca = ka ? a_cnts[0] : 0, cb = kb ? b_cnts[0] : 0, c, cc = 0, ct = 1;
    int v = 0, va = 0, vb = 0, vp;
    int64_t a = 1, b = 1, m = 0;
    while (ct > 0) {
        c = ca < cb ? ca : cb;
        cc += c;
        ct = 0;
        ca -= c;
        if (!ca && a < ka) {
            ca = a_cnts[a++];
            va = !va;
        }
        ct += ca;
        cb -= c;
        if (!cb && b < kb) {
            cb = b_cnts[b++];
            vb = !vb;
        }
        ct += cb;
        vp = v;
        v = va || vb;
        if (v != vp || ct == 0) {
            out[m++] = cc;
            cc = 0;
        }
    }
    return m;
}

struct polygons_job {
    int64_t n, parts;
    const int64_t *object_polygons, *polygon_coords, *height, *width, *bound_offsets;
    const double *coords;
    uint32_t *counts;
    int64_t *lengths, *area;
    double *bbox;
    int failed[MAX_THREADS];
};

static void polygons_part(void *ctx, int64_t p) {
    struct polygons_job *job = ctx;
    int64_t lo, hi;
    part_range(job->n, job->parts, p, &lo, &hi);
    struct buffer marks = {NULL, 0}, runs = {NULL, 0}, merged = {NULL, 0};
    struct buffer columns = {NULL, 0}, tmp = {NULL, 0}, bucket = {NULL, 0};
    for (int64_t i = lo; i < hi && !job->failed[p]; i++) {
        int64_t h = job->height[i], w = job->width[i];
        uint32_t *out = job->counts + job->bound_offsets[i];
        int64_t m = 0;
        for (int64_t q = job->object_polygons[i]; q < job->object_polygons[i + 1]; q++) {
            const double *xy = job->coords + job->polygon_coords[q];
            int64_t k = (job->polygon_coords[q + 1] - job->polygon_coords[q]) / 2;
            int64_t bound = polygon_run_bound(xy, k, w);
            if (!reserve(&marks, bound) || !reserve(&runs, bound) ||
                !reserve(&merged, m + bound + 1) || !reserve(&columns, bound) ||
                !reserve(&tmp, bound + 1) || !reserve(&bucket, bound + 1)) {
                job->failed[p] = 1;
                break;
            }
            int64_t got = polygon_runs(xy, k, h, w, marks.data, columns.data, tmp.data,
                                       bucket.data, runs.data);
            if (q == job->object_polygons[i]) {
                memcpy(out, runs.data, sizeof(uint32_t) * got);
                m = got;
            } else {
                /* The union of the polygons so far with this one. */
                m = union_runs(out, m, runs.data, got, merged.data);
                memcpy(out, merged.data, sizeof(uint32_t) * m);
            }
        }
        job->lengths[i] = m;
        area_and_box(out, m, h, w, job->area + i, job->bbox + 4 * i);
    }
    free(marks.data);
    free(runs.data);
    free(merged.data);
    free(columns.data);
    free(tmp.data);
    free(bucket.data);
}

/* Each object's room in counts (bounds, n of them): the sum of its polygons' bounds. */
void shoal_polygon_run_bounds(int64_t n, const int64_t *object_polygons,
                              const int64_t *polygon_coords, const double *coords,
                              const int64_t *width, int64_t *bounds) {
    for (int64_t i = 0; i < n; i++) {
        int64_t bound = 0;
        for (int64_t q = object_polygons[i]; q < object_polygons[i + 1]; q++)
            bound += polygon_run_bound(coords + polygon_coords[q],
                                       (polygon_coords[q + 1] - polygon_coords[q]) / 2, width[i]);
        bounds[i] = bound;
    }
}

/*
 * n objects, object i being polygons [object_polygons[i], object_polygons[i + 1]), each
 * polygon q the (x, y) pairs coords[polygon_coords[q]:polygon_coords[q + 1]], on an
 * image of height[i] x width[i]: each polygon rasterised (rleFrPoly), an object's
 * polygons merged in order (rleMerge), as pycocotools' annToRLE does. Object i's runs
 * are written from bound_offsets[i] (its shoal_polygon_run_bounds room), compacted
 * afterwards into offsets. Returns the total number of runs, or -1 when out of memory.
 */
int64_t shoal_masks_from_polygons(int64_t n, const int64_t *object_polygons,
                                  const int64_t *polygon_coords, const double *coords,
                                  const int64_t *height, const int64_t *width,
                                  const int64_t *bound_offsets, uint32_t *counts,
                                  int64_t *offsets, int64_t *area, double *bbox,
                                  int64_t num_threads) {
    int64_t *lengths = malloc(sizeof(int64_t) * (n + 1));
    if (!lengths) return -1;
    struct polygons_job job = {n, 0, object_polygons, polygon_coords, height, width,
                               bound_offsets, coords, counts, lengths, area, bbox, {0}};
    int64_t work = n ? polygon_coords[object_polygons[n]] * 20 : 0;
    job.parts = num_parts(num_threads, n, work);
    run_parts(job.parts, polygons_part, &job);
    int failed = 0;
    for (int64_t p = 0; p < job.parts; p++) failed |= job.failed[p];
    int64_t total = failed ? -1 : compact(counts, n, bound_offsets, lengths, offsets);
    free(lengths);
    return total;
}

/* ------------------------------------------------------------------ pair IoU */

/* Foreground pixels shared by two masks of the same size: their runs walked together
   (pycocotools' rleIou walk, reduced to the intersection). */
/* The first foreground run of a mask that ends after position from: its index (odd; k
   or more when none) and [start, end). Whole (background, foreground) pairs ending at
   or before from are summed over, not walked. */
static inline int64_t first_run_after(const uint32_t *cnts, int64_t k, uint64_t from,
                                      uint64_t *start, uint64_t *end) {
    int64_t j = 0;
    uint64_t at = 0;
    while (j + 1 < k && at + cnts[j] + cnts[j + 1] <= from) {
        at += (uint64_t)cnts[j] + cnts[j + 1];
        j += 2;
    }
    *start = j < k ? at + cnts[j] : at;
    *end = j + 1 < k ? *start + cnts[j + 1] : *start;
    return j + 1;
}

/* Foreground pixels shared by two masks of the same size, counted only in [lo, hi) (the
   columns both masks' boxes span, where every shared pixel lies): their foreground runs
   walked together from there (pycocotools' rleIou walk, reduced to the intersection). */
static uint32_t intersection(const uint32_t *a_cnts, int64_t ka, const uint32_t *b_cnts,
                             int64_t kb, uint64_t lo, uint64_t hi) {
    uint64_t a_start, a_end, b_start, b_end;
    int64_t a = first_run_after(a_cnts, ka, lo, &a_start, &a_end);
    int64_t b = first_run_after(b_cnts, kb, lo, &b_start, &b_end);
    uint32_t shared = 0;
    while (a < ka && b < kb && a_start < hi && b_start < hi) {
        uint64_t from = a_start > b_start ? a_start : b_start;
        uint64_t to = a_end < b_end ? a_end : b_end;
        if (to > from) shared += (uint32_t)(to - from);
        if (a_end <= b_end) {
            /* next foreground interval of a */
            a += 2;
            if (a < ka) {
                a_start = a_end + a_cnts[a - 1];
                a_end = a_start + a_cnts[a];
            }
        } else {
            b += 2;
            if (b < kb) {
                b_start = b_end + b_cnts[b - 1];
                b_end = b_start + b_cnts[b];
            }
        }
    }
    return shared;
}

struct pairs_job {
    int64_t n, parts;
    const int64_t *dt_rows, *gt_rows;
    const uint32_t *dt_counts, *gt_counts;
    const int64_t *dt_offsets, *gt_offsets, *dt_height, *gt_height, *dt_width, *gt_width;
    const int64_t *dt_area, *gt_area;
    const double *dt_bbox, *gt_bbox;
    const uint8_t *gt_crowd;
    double *out;
    int64_t mismatch[MAX_THREADS];
};

static void pairs_part(void *ctx, int64_t p) {
    struct pairs_job *job = ctx;
    int64_t lo, hi;
    part_range(job->n, job->parts, p, &lo, &hi);
    job->mismatch[p] = -1;
    for (int64_t i = lo; i < hi; i++) {
        int64_t d = job->dt_rows[i], g = job->gt_rows[i];
        if (job->dt_height[d] != job->gt_height[g] || job->dt_width[d] != job->gt_width[g]) {
            if (job->mismatch[p] < 0) job->mismatch[p] = i;
            job->out[i] = 0.0;
            continue;
        }
        /* pycocotools' bbIou of the masks' boxes first: no overlap, IoU 0. */
        const double *D = job->dt_bbox + 4 * d, *G = job->gt_bbox + 4 * g;
        double w = fmin(D[2] + D[0], G[2] + G[0]) - fmax(D[0], G[0]);
        double h = fmin(D[3] + D[1], G[3] + G[1]) - fmax(D[1], G[1]);
        if (w <= 0 || h <= 0) {
            job->out[i] = 0.0;
            continue;
        }
        /* Every shared pixel lies in the columns both boxes span. */
        double first_column = fmax(D[0], G[0]), end_column = fmin(D[2] + D[0], G[2] + G[0]);
        uint64_t height = (uint64_t)job->dt_height[d];
        uint32_t shared = intersection(
            job->dt_counts + job->dt_offsets[d], job->dt_offsets[d + 1] - job->dt_offsets[d],
            job->gt_counts + job->gt_offsets[g], job->gt_offsets[g + 1] - job->gt_offsets[g],
            (uint64_t)first_column * height,
            end_column >= 4294967296.0 ? UINT64_MAX : (uint64_t)end_column * height);
        /* As pycocotools: unsigned 32-bit areas; the union of the walk equals
           area(d) + area(g) - shared. */
        uint32_t dt_area = (uint32_t)job->dt_area[d], gt_area = (uint32_t)job->gt_area[g];
        uint32_t uni = shared == 0 ? 1 : job->gt_crowd[g] ? dt_area : dt_area + gt_area - shared;
        job->out[i] = (double)shared / (double)uni;
    }
}

/*
 * IoU of each pair (prediction dt_rows[i], ground truth gt_rows[i]) of two mask
 * columns, as pycocotools' maskUtils.iou: 0 when the masks' boxes do not overlap or
 * they share no pixel; for a crowd ground truth, the intersection over the
 * prediction's area. Returns -1, or the first pair whose masks differ in size (its
 * value is then 0).
 */
int64_t shoal_mask_pair_ious(int64_t n, const int64_t *dt_rows, const int64_t *gt_rows,
                             const uint32_t *dt_counts, const int64_t *dt_offsets,
                             const int64_t *dt_height, const int64_t *dt_width,
                             const int64_t *dt_area, const double *dt_bbox,
                             const uint32_t *gt_counts, const int64_t *gt_offsets,
                             const int64_t *gt_height, const int64_t *gt_width,
                             const int64_t *gt_area, const double *gt_bbox,
                             const uint8_t *gt_crowd, double *out, int64_t num_threads) {
    struct pairs_job job = {n, 0, dt_rows, gt_rows, dt_counts, gt_counts, dt_offsets,
                            gt_offsets, dt_height, gt_height, dt_width, gt_width, dt_area,
                            gt_area, dt_bbox, gt_bbox, gt_crowd, out, {0}};
    /* About 100 runs visited per pair. */
    job.parts = num_parts(num_threads, n, n * 100);
    run_parts(job.parts, pairs_part, &job);
    for (int64_t p = 0; p < job.parts; p++)
        if (job.mismatch[p] >= 0) return job.mismatch[p];
    return -1;
}
