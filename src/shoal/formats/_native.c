/*
 * A byte scanner that reads a COCO results array straight into columns.
 *
 * Plain C11 over caller-allocated arrays, called through ctypes (the bindings are in
 * _json_columns.py, which also documents the Python-level contract). It handles the
 * common shape only: a top-level array of flat objects whose image_id/category_id are
 * JSON integers, bbox is an array of exactly four numbers and score is a number; any
 * other key's value is skipped (and validated as JSON). Anything else -- string ids, a
 * duplicate known key, escaped keys, non-ASCII text, malformed JSON -- stops the scan
 * with SCAN_UNSUPPORTED so the caller takes the exact slow path (orjson + Python),
 * which also words the error precisely.
 *
 * Numbers convert to exactly the double Python's float() gives, without libc:
 *   - mantissa < 2^53 and |power of ten| <= 22: one multiplication or division by an
 *     exactly representable power of ten, a single correctly rounded operation;
 *   - m / 10^k with 5^k dividing m (a float32 written out in full): exact in binary;
 *   - otherwise Eisel-Lemire with a 128-bit power-of-ten table passed in by Python;
 *   - the rare rest (more than 18 significant digits, ambiguous halfway products,
 *     subnormals, overflow) is reported as a byte range for Python's float().
 * strtod is deliberately not used: it honours LC_NUMERIC, which a Python program may
 * change with locale.setlocale, and the fallback to float() is both exact and rare.
 *
 * Array layouts (R = row capacity, T = slow-token capacity, all C-contiguous):
 *   buf         (size,)   uint8    the JSON bytes (need not be NUL-terminated)
 *   image_ids   (R,)      int64    image_id of each record, in file order
 *   class_ids   (R,)      int64    category_id
 *   boxes       (R, 4)    float64  bbox x, y, width, height
 *   scores      (R,)      float64  score (1.0 when the record has none)
 *   slow_start  (T,)      int64    byte offset where an inexact number token starts
 *   slow_end    (T,)      int64    byte offset just past it
 *   slow_slot   (T,)      int64    row * 5 + field (0-3: bbox, 4: score) that
 *                                  float(buf[start:end]) must fill
 *   powers      (696, 2)  uint64   (high, low) halves of floor(10^q * 2^s), 128 bits,
 *                                  for q = -348 .. 347 (row q + 348)
 *   state       (3,)      int64    in: [0] byte offset of the next record's '{';
 *                                  out: [0] where the scan stopped, [1] rows written,
 *                                  [2] slow tokens written (from slow_*[0]) by the call
 */
#include <stdint.h>
#include <string.h>

#define SCAN_DONE 0
#define SCAN_PAUSED 1
#define SCAN_UNSUPPORTED 2

#define FIELDS_PER_ROW 5
#define SCORE_FIELD 4
#define MIN_POWER (-348)
#define MAX_POWER 347
#define MAX_NESTING 512
/* Stop accumulating digits before uint64 overflows; such numbers go to float(). */
#define MANTISSA_DIGIT_LIMIT 1000000000000000000ULL
#define MAX_EXACT_MANTISSA (1ULL << 53)
/* 5^27 is the largest power of five below 2^64. */
#define MAX_POWER_OF_FIVE 27

#if !defined(__SIZEOF_INT128__)
#error "the scanner needs a compiler with unsigned __int128 (GCC or Clang)"
#endif
__extension__ typedef unsigned __int128 u128; /* __extension__: quiet under -Wpedantic */

/* 10^22 is the largest power of ten a double holds exactly. */
static const double exact_powers_of_ten[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static inline int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static inline int is_hex(uint8_t c) {
    return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

static inline int64_t skip_whitespace(const uint8_t *buf, int64_t n, int64_t pos) {
    while (pos < n) {
        uint8_t c = buf[pos];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return pos;
        pos++;
    }
    return pos;
}

/* Position just past the string starting at pos (a quote), or -1; *escaped is set
 * when the string has an escape. Non-ASCII bytes also give -1: the slow path checks
 * their UTF-8 validity. */
static inline int64_t scan_string(const uint8_t *buf, int64_t n, int64_t pos, int *escaped) {
    pos++;
    while (pos < n) {
        uint8_t c = buf[pos];
        if (c == '"') return pos + 1;
        if (c == '\\') {
            *escaped = 1;
            if (pos + 1 >= n) return -1;
            uint8_t e = buf[pos + 1];
            if (e == 'u') {
                if (pos + 5 >= n) return -1;
                for (int k = 2; k < 6; k++)
                    if (!is_hex(buf[pos + k])) return -1;
                pos += 6;
                continue;
            }
            if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                e == 'r' || e == 't') {
                pos += 2;
                continue;
            }
            return -1;
        }
        if (c < 32 || c >= 128) return -1;
        pos++;
    }
    return -1;
}

static int64_t skip_string(const uint8_t *buf, int64_t n, int64_t pos) {
    int escaped = 0;
    return scan_string(buf, n, pos, &escaped);
}

static inline double from_bits(uint64_t bits) {
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* Correctly rounded m * 10^q for a nonzero m, after Lemire, "Number Parsing at a
 * Gigabyte per Second" (2021). Returns 0 in the rare ambiguous cases (possible exact
 * halfway points, subnormals, overflow), which the caller leaves to float(). */
static int eisel_lemire(uint64_t m, int64_t q, const uint64_t *powers, double *out) {
    if (q < MIN_POWER || q > MAX_POWER) return 0;
    int leading_zeros = __builtin_clzll(m);
    m <<= leading_zeros;
    /* floor(q * log2(10)) + 64 + bias - leading zeros; >> on a negative value is an
     * arithmetic (flooring) shift on every compiler that has __int128. */
    int64_t biased_exponent = ((217706 * q) >> 16) + 64 + 1023 - leading_zeros;
    const uint64_t *power = powers + 2 * (q - MIN_POWER);
    u128 product = (u128)m * power[0];
    uint64_t high = (uint64_t)(product >> 64), low = (uint64_t)product;
    if ((high & 0x1FF) == 0x1FF && low + m < m) {
        /* The truncated table value may matter: add the product with its low half. */
        u128 extra = (u128)m * power[1];
        uint64_t extra_high = (uint64_t)(extra >> 64), extra_low = (uint64_t)extra;
        uint64_t merged_high = high, merged_low = low + extra_high;
        if (merged_low < low) merged_high++;
        if ((merged_high & 0x1FF) == 0x1FF && merged_low == UINT64_MAX && extra_low + m < m)
            return 0;
        high = merged_high;
        low = merged_low;
    }
    uint64_t top_bit = high >> 63;
    uint64_t result = high >> (top_bit + 9);
    biased_exponent -= 1 - (int64_t)top_bit;
    if (low == 0 && (high & 0x1FF) == 0 && (result & 3) == 1) return 0; /* maybe halfway */
    result += result & 1;
    result >>= 1;
    if (result >> 53) {
        result >>= 1;
        biased_exponent++;
    }
    if (biased_exponent <= 0 || biased_exponent >= 0x7FF) return 0;
    /* result holds 53 bits including the implicit leading one. */
    *out = from_bits(((uint64_t)biased_exponent << 52) | (result & ((1ULL << 52) - 1)));
    return 1;
}

typedef struct {
    int64_t end;  /* just past the token, or -1 when it is not a JSON number */
    double value; /* meaningful when exact */
    int exact;    /* 0: the caller must compute float(buf[start:end]) */
} number_t;

/* Always inlined: the hot path, and the struct result then stays in registers. */
static inline __attribute__((always_inline)) number_t scan_number(const uint8_t *buf, int64_t n,
                                                                  int64_t pos,
                                                                  const uint64_t *powers) {
    number_t bad = {-1, 0.0, 0};
    int negative = 0;
    if (pos < n && buf[pos] == '-') {
        negative = 1;
        pos++;
    }
    if (pos >= n || !is_digit(buf[pos])) return bad;
    uint64_t mantissa = 0;
    int64_t exponent = 0;
    int exact = 1;
    if (buf[pos] == '0') {
        pos++;
        if (pos < n && is_digit(buf[pos])) return bad; /* JSON forbids leading zeros */
    } else {
        while (pos < n && is_digit(buf[pos])) {
            if (mantissa < MANTISSA_DIGIT_LIMIT)
                mantissa = mantissa * 10 + (uint64_t)(buf[pos] - '0');
            else {
                exponent++;
                exact = 0;
            }
            pos++;
        }
    }
    int is_integer = 1;
    if (pos < n && buf[pos] == '.') {
        is_integer = 0;
        pos++;
        if (pos >= n || !is_digit(buf[pos])) return bad;
        while (pos < n && is_digit(buf[pos])) {
            if (mantissa < MANTISSA_DIGIT_LIMIT) {
                mantissa = mantissa * 10 + (uint64_t)(buf[pos] - '0');
                exponent--;
            } else
                exact = 0;
            pos++;
        }
    }
    if (pos < n && (buf[pos] == 'e' || buf[pos] == 'E')) {
        is_integer = 0;
        pos++;
        int exponent_negative = 0;
        if (pos < n && (buf[pos] == '+' || buf[pos] == '-')) {
            exponent_negative = buf[pos] == '-';
            pos++;
        }
        if (pos >= n || !is_digit(buf[pos])) return bad;
        int64_t written = 0;
        while (pos < n && is_digit(buf[pos])) {
            if (written < 100000)
                written = written * 10 + (buf[pos] - '0');
            else
                exact = 0;
            pos++;
        }
        exponent += exponent_negative ? -written : written;
    }
    number_t result = {pos, 0.0, 1};
    if (mantissa == 0) {
        /* Zero whatever the exponent; the JSON integer -0 loads as int 0, i.e. +0.0. */
        result.value = negative && !is_integer ? -0.0 : 0.0;
        return result;
    }
    if (!exact) {
        result.exact = 0;
        return result;
    }
    double value;
    if (mantissa < MAX_EXACT_MANTISSA && exponent >= -22 && exponent <= 22) {
        value = (double)mantissa;
        value = exponent >= 0 ? value * exact_powers_of_ten[exponent]
                              : value / exact_powers_of_ten[-exponent];
    } else {
        int done = 0;
        if (exponent < 0 && exponent >= -MAX_POWER_OF_FIVE) {
            /* m / 10^k == (m / 5^k) / 2^k: exact when 5^k divides m, as for a float32
             * written out in full (283.45001220703125), precisely where Eisel-Lemire's
             * truncated table is ambiguous. */
            uint64_t power_of_five = 1;
            for (int64_t k = 0; k < -exponent; k++) power_of_five *= 5;
            if (mantissa % power_of_five == 0) {
                uint64_t quotient = mantissa / power_of_five;
                if (quotient < MAX_EXACT_MANTISSA) {
                    value = (double)quotient / (double)(1ULL << -exponent);
                    done = 1;
                }
            }
        }
        if (!done && !eisel_lemire(mantissa, exponent, powers, &value)) {
            result.exact = 0;
            return result;
        }
    }
    result.value = negative ? -value : value;
    return result;
}

/* A JSON integer of at most 18 digits at pos: its end (or -1 for anything else: a
 * float, a string, a huge integer) and value. */
static inline int64_t scan_integer(const uint8_t *buf, int64_t n, int64_t pos, int64_t *out) {
    int negative = 0;
    if (pos < n && buf[pos] == '-') {
        negative = 1;
        pos++;
    }
    if (pos >= n || !is_digit(buf[pos])) return -1;
    if (buf[pos] == '0' && pos + 1 < n && is_digit(buf[pos + 1])) return -1;
    int64_t value = 0;
    int digits = 0;
    while (pos < n && is_digit(buf[pos])) {
        if (++digits > 18) return -1;
        value = value * 10 + (buf[pos] - '0');
        pos++;
    }
    if (pos < n && (buf[pos] == '.' || buf[pos] == 'e' || buf[pos] == 'E')) return -1;
    *out = negative ? -value : value;
    return pos;
}

static inline int matches(const uint8_t *buf, int64_t n, int64_t pos, const char *word,
                          int64_t length) {
    return pos + length <= n && memcmp(buf + pos, word, (size_t)length) == 0;
}

/* Position just past true, false or null at pos, or -1. */
static int64_t skip_literal(const uint8_t *buf, int64_t n, int64_t pos) {
    if (matches(buf, n, pos, "true", 4) || matches(buf, n, pos, "null", 4)) return pos + 4;
    if (matches(buf, n, pos, "false", 5)) return pos + 5;
    return -1;
}

/* From a quote inside an object: past `"key" :` and whitespace, or -1. */
static int64_t skip_member_key(const uint8_t *buf, int64_t n, int64_t pos) {
    if (pos >= n || buf[pos] != '"') return -1;
    pos = skip_string(buf, n, pos);
    if (pos < 0) return -1;
    pos = skip_whitespace(buf, n, pos);
    if (pos >= n || buf[pos] != ':') return -1;
    return skip_whitespace(buf, n, pos + 1);
}

/* Position just past the JSON value at pos, validating it, or -1. Iterative, with an
 * explicit stack, so hostile nesting cannot overflow the C stack. */
static int64_t skip_value(const uint8_t *buf, int64_t n, int64_t pos, const uint64_t *powers) {
    uint8_t stack[MAX_NESTING];
    int depth = 0;
    int need_value = 1;
    for (;;) {
        if (need_value) {
            if (pos >= n) return -1;
            uint8_t c = buf[pos];
            if (c == '{' || c == '[') {
                if (depth == MAX_NESTING) return -1;
                stack[depth++] = c;
                pos = skip_whitespace(buf, n, pos + 1);
                if (pos >= n) return -1;
                if (buf[pos] == (c == '{' ? '}' : ']')) {
                    depth--;
                    pos++;
                    need_value = 0;
                } else if (c == '{') {
                    pos = skip_member_key(buf, n, pos);
                    if (pos < 0) return -1;
                }
                continue;
            }
            if (c == '"')
                pos = skip_string(buf, n, pos);
            else if (c == '-' || is_digit(c)) {
                /* A number only float() can round might be out of range (1e999), which
                 * orjson refuses: leave it to the slow path too. */
                number_t number = scan_number(buf, n, pos, powers);
                pos = number.exact ? number.end : -1;
            }
            else
                pos = skip_literal(buf, n, pos);
            if (pos < 0) return -1;
            need_value = 0;
        } else {
            if (depth == 0) return pos;
            pos = skip_whitespace(buf, n, pos);
            if (pos >= n) return -1;
            uint8_t c = buf[pos];
            uint8_t top = stack[depth - 1];
            if (c == ',') {
                pos = skip_whitespace(buf, n, pos + 1);
                if (top == '{') {
                    pos = skip_member_key(buf, n, pos);
                    if (pos < 0) return -1;
                }
                need_value = 1;
            } else if ((c == '}' && top == '{') || (c == ']' && top == '[')) {
                depth--;
                pos++;
            } else
                return -1;
        }
    }
}

enum { KEY_OTHER, KEY_IMAGE_ID, KEY_CATEGORY_ID, KEY_BBOX, KEY_SCORE, KEY_KEYPOINTS, KEY_SEGMENTATION };

static int key_kind(const uint8_t *buf, int64_t start, int64_t end) {
    int64_t length = end - start;
    if (length == 8 && memcmp(buf + start, "image_id", 8) == 0) return KEY_IMAGE_ID;
    if (length == 11 && memcmp(buf + start, "category_id", 11) == 0) return KEY_CATEGORY_ID;
    if (length == 4 && memcmp(buf + start, "bbox", 4) == 0) return KEY_BBOX;
    if (length == 5 && memcmp(buf + start, "score", 5) == 0) return KEY_SCORE;
    if (length == 9 && memcmp(buf + start, "keypoints", 9) == 0) return KEY_KEYPOINTS;
    if (length == 12 && memcmp(buf + start, "segmentation", 12) == 0) return KEY_SEGMENTATION;
    return KEY_OTHER;
}

/* The usual keys of a results record, quotes included, matched whole at pos (a quote):
 * the position just past the closing quote with *kind set, or -1 for any other key
 * (which the general string scan then reads). Skips that scan for almost every key. */
static inline int64_t known_result_key(const uint8_t *buf, int64_t n, int64_t pos, int *kind) {
    if (pos + 13 > n) return -1;
    const uint8_t *at = buf + pos;
    switch (at[1]) {
    case 'i':
        if (memcmp(at, "\"image_id\"", 10) != 0) return -1;
        *kind = KEY_IMAGE_ID;
        return pos + 10;
    case 'c':
        if (memcmp(at, "\"category_id\"", 13) != 0) return -1;
        *kind = KEY_CATEGORY_ID;
        return pos + 13;
    case 'b':
        if (memcmp(at, "\"bbox\"", 6) != 0) return -1;
        *kind = KEY_BBOX;
        return pos + 6;
    case 's':
        if (memcmp(at, "\"score\"", 7) != 0) return -1;
        *kind = KEY_SCORE;
        return pos + 7;
    default: return -1;
    }
}

/* A results record's member at pos (its key's opening quote): the position of its value,
 * with *kind set, or -1 when the record needs the exact slow path (an escaped key, which
 * might spell a known name, or no colon). */
static inline int64_t result_member(const uint8_t *buf, int64_t n, int64_t pos, int *kind) {
    *kind = KEY_OTHER;
    int64_t key_end = known_result_key(buf, n, pos, kind);
    if (key_end < 0) {
        int escaped = 0;
        key_end = scan_string(buf, n, pos, &escaped);
        if (key_end < 0 || escaped) return -1;
        *kind = key_kind(buf, pos + 1, key_end - 1);
    }
    pos = skip_whitespace(buf, n, key_end);
    if (pos >= n || buf[pos] != ':') return -1;
    return skip_whitespace(buf, n, pos + 1);
}

/* Start a scan: the status, with *pos_out at the first record's '{'. SCAN_DONE for an
 * empty array, SCAN_PAUSED when records follow, SCAN_UNSUPPORTED when the document is
 * not an array of objects. */
int32_t shoal_open_array(const uint8_t *buf, int64_t n, int64_t *pos_out) {
    int64_t pos = skip_whitespace(buf, n, 0);
    int32_t status = SCAN_UNSUPPORTED;
    if (pos < n && buf[pos] == '[') {
        pos = skip_whitespace(buf, n, pos + 1);
        if (pos < n && buf[pos] == ']') {
            pos = skip_whitespace(buf, n, pos + 1);
            status = pos == n ? SCAN_DONE : SCAN_UNSUPPORTED;
        } else if (pos < n && buf[pos] == '{')
            status = SCAN_PAUSED;
    }
    *pos_out = pos;
    return status;
}

/* One JSON number into *target, or a slow token for slot when float() must convert
 * it. Returns the end of the token or -1. */
static inline int64_t store_number(const uint8_t *buf, int64_t n, int64_t pos,
                                   const uint64_t *powers, double *target, int64_t slot,
                                   int64_t *slow_start, int64_t *slow_end, int64_t *slow_slot,
                                   int64_t *slow_count) {
    number_t number = scan_number(buf, n, pos, powers);
    if (number.end < 0) return -1;
    if (number.exact)
        *target = number.value;
    else {
        slow_start[*slow_count] = pos;
        slow_end[*slow_count] = number.end;
        slow_slot[*slow_count] = slot;
        ++*slow_count;
    }
    return number.end;
}

/* Scan records from state[0] (at a '{') into rows row, row + 1, ... until the array
 * ends (SCAN_DONE), something unsupported turns up (SCAN_UNSUPPORTED, state[0] near
 * it), or SCAN_PAUSED with state[0] at the next record's '{' because max_rows records
 * were read, the row capacity is full, slow_capacity could not take another record's
 * five tokens, or the next record starts at or after stop_pos (so that another thread
 * can scan from there). slow_capacity must be at least 5 for a pause to make progress. */
int32_t shoal_scan_records(const uint8_t *buf, int64_t n, int64_t *state, int64_t row,
                           int64_t max_rows, int64_t capacity, int64_t *image_ids,
                           int64_t *class_ids, double *boxes, double *scores, int64_t *slow_start,
                           int64_t *slow_end, int64_t *slow_slot, int64_t slow_capacity,
                           const uint64_t *powers, int64_t stop_pos) {
    const int64_t first_row = row;
    int64_t stop_row = capacity - row < max_rows ? capacity : row + max_rows;
    int64_t pos = state[0];
    int64_t slow_count = 0;
    int32_t status;
#define STOP(code)        \
    do {                  \
        status = (code);  \
        goto finish;      \
    } while (0)
    for (;;) {
        if (row >= stop_row || slow_count + FIELDS_PER_ROW > slow_capacity || pos >= stop_pos)
            STOP(SCAN_PAUSED);
        /* pos is at '{' */
        const int64_t base = row * FIELDS_PER_ROW;
        scores[row] = 1.0;
        int seen_image = 0, seen_class = 0, seen_box = 0, seen_score = 0;
        pos = skip_whitespace(buf, n, pos + 1);
        /* Also covers '{}': a record without the required keys. */
        if (pos >= n || buf[pos] != '"') STOP(SCAN_UNSUPPORTED);
        for (;;) {
            int kind;
            pos = result_member(buf, n, pos, &kind);
            if (pos < 0) STOP(SCAN_UNSUPPORTED);
            if (kind == KEY_IMAGE_ID || kind == KEY_CATEGORY_ID) {
                /* Duplicate keys: json keeps the last; leave that subtlety to orjson. */
                int *seen = kind == KEY_IMAGE_ID ? &seen_image : &seen_class;
                if (*seen) STOP(SCAN_UNSUPPORTED);
                int64_t integer;
                const int64_t end = scan_integer(buf, n, pos, &integer);
                if (end < 0) STOP(SCAN_UNSUPPORTED);
                (kind == KEY_IMAGE_ID ? image_ids : class_ids)[row] = integer;
                *seen = 1;
                pos = end;
            } else if (kind == KEY_BBOX) {
                if (seen_box || pos >= n || buf[pos] != '[') STOP(SCAN_UNSUPPORTED);
                for (int field = 0; field < 4; field++) {
                    pos = skip_whitespace(buf, n, pos + 1);
                    const int64_t end =
                        store_number(buf, n, pos, powers, boxes + 4 * row + field, base + field,
                                     slow_start, slow_end, slow_slot, &slow_count);
                    if (end < 0) STOP(SCAN_UNSUPPORTED);
                    pos = skip_whitespace(buf, n, end);
                    if (pos >= n || buf[pos] != (field == 3 ? ']' : ',')) STOP(SCAN_UNSUPPORTED);
                }
                pos++;
                seen_box = 1;
            } else if (kind == KEY_SCORE) {
                if (seen_score) STOP(SCAN_UNSUPPORTED);
                const int64_t end =
                    store_number(buf, n, pos, powers, scores + row, base + SCORE_FIELD, slow_start,
                                 slow_end, slow_slot, &slow_count);
                if (end < 0) STOP(SCAN_UNSUPPORTED);
                pos = end;
                seen_score = 1;
            } else {
                const int64_t end = skip_value(buf, n, pos, powers);
                if (end < 0) STOP(SCAN_UNSUPPORTED);
                pos = end;
            }
            pos = skip_whitespace(buf, n, pos);
            if (pos >= n) STOP(SCAN_UNSUPPORTED);
            if (buf[pos] == ',') {
                pos = skip_whitespace(buf, n, pos + 1);
                if (pos >= n || buf[pos] != '"') STOP(SCAN_UNSUPPORTED);
                continue;
            }
            if (buf[pos] == '}') break;
            STOP(SCAN_UNSUPPORTED);
        }
        if (!(seen_image && seen_class && seen_box)) STOP(SCAN_UNSUPPORTED);
        row++;
        pos = skip_whitespace(buf, n, pos + 1);
        if (pos >= n) STOP(SCAN_UNSUPPORTED);
        if (buf[pos] == ',') {
            pos = skip_whitespace(buf, n, pos + 1);
            if (pos >= n || buf[pos] != '{') STOP(SCAN_UNSUPPORTED);
            continue;
        }
        if (buf[pos] == ']') {
            pos = skip_whitespace(buf, n, pos + 1);
            STOP(pos == n ? SCAN_DONE : SCAN_UNSUPPORTED);
        }
        STOP(SCAN_UNSUPPORTED);
    }
#undef STOP
finish:
    state[0] = pos;
    state[1] = row - first_row;
    state[2] = slow_count;
    return status;
}

/*
 * Keypoint results (shoal.formats._coco_keypoints), the whole array in one call from pos
 * (at the first record's '{'): the columns shoal_scan_records reads, with "bbox"
 * optional (has_box[row] 1 when given; a row without one keeps whatever boxes held),
 * and each record's "keypoints" array of numbers appended to kp_values, row r's values
 * at [kp_offsets[r], kp_offsets[r + 1]), and their extent (x0, y0, x1 - x0, y1 - y0 of
 * the (x, y, v) triples' x and y, as loadRes computes a box; zeros for none) in
 * extents. Anything unusual, a number only float() rounds
 * with certainty, or more than capacity rows or kp_capacity values stops the scan with
 * SCAN_UNSUPPORTED: the caller then reads the file the exact slow way. *rows_out is the
 * number of records read.
 */
int32_t shoal_scan_keypoint_records(const uint8_t *buf, int64_t n, int64_t pos,
                                    int64_t capacity, int64_t *image_ids, int64_t *class_ids,
                                    double *boxes, uint8_t *has_box, double *scores,
                                    double *kp_values, int64_t kp_capacity, int64_t *kp_offsets,
                                    double *extents, const uint64_t *powers, int64_t *rows_out) {
    int64_t row = 0, count = 0;
    kp_offsets[0] = 0;
    *rows_out = 0;
    for (;;) {
        if (row >= capacity) return SCAN_UNSUPPORTED;
        int seen_image = 0, seen_class = 0, seen_score = 0, seen_box = 0, seen_keypoints = 0;
        has_box[row] = 0;
        scores[row] = 1.0;
        pos = skip_whitespace(buf, n, pos + 1);
        if (pos >= n || buf[pos] != '"') return SCAN_UNSUPPORTED;
        for (;;) {
            int kind;
            pos = result_member(buf, n, pos, &kind);
            if (pos < 0) return SCAN_UNSUPPORTED;
            if (kind == KEY_IMAGE_ID || kind == KEY_CATEGORY_ID) {
                int *seen = kind == KEY_IMAGE_ID ? &seen_image : &seen_class;
                int64_t integer;
                const int64_t end = scan_integer(buf, n, pos, &integer);
                if (*seen || end < 0) return SCAN_UNSUPPORTED;
                (kind == KEY_IMAGE_ID ? image_ids : class_ids)[row] = integer;
                *seen = 1;
                pos = end;
            } else if (kind == KEY_BBOX || kind == KEY_KEYPOINTS) {
                int *seen = kind == KEY_BBOX ? &seen_box : &seen_keypoints;
                if (*seen || pos >= n || buf[pos] != '[') return SCAN_UNSUPPORTED;
                *seen = 1;
                int64_t values = 0;
                pos = skip_whitespace(buf, n, pos + 1);
                if (pos < n && buf[pos] == ']') pos++;
                else
                    for (;;) {
                        number_t number = scan_number(buf, n, pos, powers);
                        if (number.end < 0 || !number.exact) return SCAN_UNSUPPORTED;
                        if (kind == KEY_BBOX) {
                            if (values == 4) return SCAN_UNSUPPORTED;
                            boxes[4 * row + values] = number.value;
                        } else {
                            if (count >= kp_capacity) return SCAN_UNSUPPORTED;
                            kp_values[count++] = number.value;
                        }
                        values++;
                        pos = skip_whitespace(buf, n, number.end);
                        if (pos >= n) return SCAN_UNSUPPORTED;
                        if (buf[pos] == ']') {
                            pos++;
                            break;
                        }
                        if (buf[pos] != ',') return SCAN_UNSUPPORTED;
                        pos = skip_whitespace(buf, n, pos + 1);
                    }
                if (kind == KEY_BBOX) {
                    /* An empty bbox is no bbox (as loadRes reads it); else four numbers. */
                    if (values != 0 && values != 4) return SCAN_UNSUPPORTED;
                    has_box[row] = values == 4;
                }
            } else if (kind == KEY_SCORE) {
                number_t number = scan_number(buf, n, pos, powers);
                if (seen_score || number.end < 0 || !number.exact) return SCAN_UNSUPPORTED;
                scores[row] = number.value;
                seen_score = 1;
                pos = number.end;
            } else {
                const int64_t end = skip_value(buf, n, pos, powers);
                if (end < 0) return SCAN_UNSUPPORTED;
                pos = end;
            }
            pos = skip_whitespace(buf, n, pos);
            if (pos >= n) return SCAN_UNSUPPORTED;
            if (buf[pos] == ',') {
                pos = skip_whitespace(buf, n, pos + 1);
                if (pos >= n || buf[pos] != '"') return SCAN_UNSUPPORTED;
                continue;
            }
            if (buf[pos] == '}') break;
            return SCAN_UNSUPPORTED;
        }
        if (!(seen_image && seen_class && seen_keypoints)) return SCAN_UNSUPPORTED;
        {
            const int64_t start = kp_offsets[row];
            double *extent = extents + 4 * row;
            extent[0] = extent[1] = extent[2] = extent[3] = 0.0;
            if (count - start >= 3) {
                double x0 = kp_values[start], x1 = x0, y0 = kp_values[start + 1], y1 = y0;
                for (int64_t at = start + 3; at + 1 < count; at += 3) {
                    const double x = kp_values[at], y = kp_values[at + 1];
                    if (x < x0) x0 = x;
                    if (x > x1) x1 = x;
                    if (y < y0) y0 = y;
                    if (y > y1) y1 = y;
                }
                extent[0] = x0;
                extent[1] = y0;
                extent[2] = x1 - x0;
                extent[3] = y1 - y0;
            }
        }
        row++;
        kp_offsets[row] = count;
        *rows_out = row;
        pos = skip_whitespace(buf, n, pos + 1);
        if (pos >= n) return SCAN_UNSUPPORTED;
        if (buf[pos] == ',') {
            pos = skip_whitespace(buf, n, pos + 1);
            if (pos >= n || buf[pos] != '{') return SCAN_UNSUPPORTED;
            continue;
        }
        if (buf[pos] == ']') {
            pos = skip_whitespace(buf, n, pos + 1);
            return pos == n ? SCAN_DONE : SCAN_UNSUPPORTED;
        }
        return SCAN_UNSUPPORTED;
    }
}

/* A compressed RLE counts string at pos (a quote): the span of its contents, as written
 * (the only escape taken is \\, which the mask kernels read as one backslash), and the
 * position past its closing quote; -1 for anything else (other escapes, control or
 * non-ASCII bytes): the slow path reads it. */
static int64_t scan_counts_string(const uint8_t *buf, int64_t n, int64_t pos, int64_t *start,
                                  int64_t *end) {
    if (pos >= n || buf[pos] != '"') return -1;
    *start = ++pos;
    while (pos < n) {
        uint8_t c = buf[pos];
        if (c == '"') {
            *end = pos;
            return pos + 1;
        }
        if (c == '\\') {
            if (pos + 1 >= n || buf[pos + 1] != '\\') return -1;
            pos += 2;
            continue;
        }
        if (c < 32 || c >= 128) return -1;
        pos++;
    }
    return -1;
}

/* A segmentation object {"size": [h, w], "counts": "..."} at pos (keys in any order,
 * nothing else): height, width and the counts span; the position past its '}', or -1. */
static int64_t scan_rle_object(const uint8_t *buf, int64_t n, int64_t pos, int64_t *height,
                               int64_t *width, int64_t *start, int64_t *end) {
    int seen_size = 0, seen_counts = 0;
    if (pos >= n || buf[pos] != '{') return -1;
    pos = skip_whitespace(buf, n, pos + 1);
    for (;;) {
        if (matches(buf, n, pos, "\"size\"", 6) && !seen_size) {
            pos = skip_whitespace(buf, n, pos + 6);
            if (pos >= n || buf[pos] != ':') return -1;
            pos = skip_whitespace(buf, n, pos + 1);
            if (pos >= n || buf[pos] != '[') return -1;
            pos = skip_whitespace(buf, n, pos + 1);
            pos = scan_integer(buf, n, pos, height);
            if (pos < 0) return -1;
            pos = skip_whitespace(buf, n, pos);
            if (pos >= n || buf[pos] != ',') return -1;
            pos = skip_whitespace(buf, n, pos + 1);
            pos = scan_integer(buf, n, pos, width);
            if (pos < 0) return -1;
            pos = skip_whitespace(buf, n, pos);
            if (pos >= n || buf[pos] != ']') return -1;
            pos++;
            seen_size = 1;
        } else if (matches(buf, n, pos, "\"counts\"", 8) && !seen_counts) {
            pos = skip_whitespace(buf, n, pos + 8);
            if (pos >= n || buf[pos] != ':') return -1;
            pos = skip_whitespace(buf, n, pos + 1);
            pos = scan_counts_string(buf, n, pos, start, end);
            if (pos < 0) return -1;
            seen_counts = 1;
        } else
            return -1;
        pos = skip_whitespace(buf, n, pos);
        if (pos >= n) return -1;
        if (buf[pos] == ',') {
            pos = skip_whitespace(buf, n, pos + 1);
            continue;
        }
        if (buf[pos] == '}' && seen_size && seen_counts) return pos + 1;
        return -1;
    }
}

/*
 * Segmentation results (shoal.formats._coco_masks), the whole array in one call from pos
 * (at the first record's '{'): image and category ids, score (1.0 when absent), an
 * optional bbox (has_box[row] 1 when given and not empty), and the "segmentation" as a
 * compressed RLE: its size in seg_size (rows, 2) and its counts string's contents as
 * the span [counts_start, counts_end) of buf. Anything unusual (polygons, uncompressed
 * RLE, a record without a segmentation, string ids, numbers only float() rounds with
 * certainty) or more than capacity rows stops the scan with SCAN_UNSUPPORTED: the caller
 * then reads the file the exact slow way. *rows_out is the number of records read.
 */
int32_t shoal_scan_segm_records(const uint8_t *buf, int64_t n, int64_t pos, int64_t capacity,
                                int64_t *image_ids, int64_t *class_ids, double *boxes,
                                uint8_t *has_box, double *scores, int64_t *seg_size,
                                int64_t *counts_start, int64_t *counts_end,
                                const uint64_t *powers, int64_t *rows_out) {
    int64_t row = 0;
    *rows_out = 0;
    for (;;) {
        if (row >= capacity) return SCAN_UNSUPPORTED;
        int seen_image = 0, seen_class = 0, seen_score = 0, seen_box = 0, seen_segm = 0;
        has_box[row] = 0;
        scores[row] = 1.0;
        pos = skip_whitespace(buf, n, pos + 1);
        if (pos >= n || buf[pos] != '"') return SCAN_UNSUPPORTED;
        for (;;) {
            int kind;
            pos = result_member(buf, n, pos, &kind);
            if (pos < 0) return SCAN_UNSUPPORTED;
            if (kind == KEY_IMAGE_ID || kind == KEY_CATEGORY_ID) {
                int *seen = kind == KEY_IMAGE_ID ? &seen_image : &seen_class;
                int64_t integer;
                const int64_t end = scan_integer(buf, n, pos, &integer);
                if (*seen || end < 0) return SCAN_UNSUPPORTED;
                (kind == KEY_IMAGE_ID ? image_ids : class_ids)[row] = integer;
                *seen = 1;
                pos = end;
            } else if (kind == KEY_BBOX) {
                if (seen_box || pos >= n || buf[pos] != '[') return SCAN_UNSUPPORTED;
                seen_box = 1;
                int64_t values = 0;
                pos = skip_whitespace(buf, n, pos + 1);
                if (pos < n && buf[pos] == ']') pos++;
                else
                    for (;;) {
                        number_t number = scan_number(buf, n, pos, powers);
                        if (number.end < 0 || !number.exact || values == 4) return SCAN_UNSUPPORTED;
                        boxes[4 * row + values++] = number.value;
                        pos = skip_whitespace(buf, n, number.end);
                        if (pos >= n) return SCAN_UNSUPPORTED;
                        if (buf[pos] == ']') {
                            pos++;
                            break;
                        }
                        if (buf[pos] != ',') return SCAN_UNSUPPORTED;
                        pos = skip_whitespace(buf, n, pos + 1);
                    }
                /* An empty bbox is no bbox (as loadRes reads it); else four numbers. */
                if (values != 0 && values != 4) return SCAN_UNSUPPORTED;
                has_box[row] = values == 4;
            } else if (kind == KEY_SCORE) {
                number_t number = scan_number(buf, n, pos, powers);
                if (seen_score || number.end < 0 || !number.exact) return SCAN_UNSUPPORTED;
                scores[row] = number.value;
                seen_score = 1;
                pos = number.end;
            } else if (kind == KEY_SEGMENTATION) {
                if (seen_segm) return SCAN_UNSUPPORTED;
                const int64_t end =
                    scan_rle_object(buf, n, pos, seg_size + 2 * row, seg_size + 2 * row + 1,
                                    counts_start + row, counts_end + row);
                if (end < 0) return SCAN_UNSUPPORTED;
                seen_segm = 1;
                pos = end;
            } else {
                const int64_t end = skip_value(buf, n, pos, powers);
                if (end < 0) return SCAN_UNSUPPORTED;
                pos = end;
            }
            pos = skip_whitespace(buf, n, pos);
            if (pos >= n) return SCAN_UNSUPPORTED;
            if (buf[pos] == ',') {
                pos = skip_whitespace(buf, n, pos + 1);
                if (pos >= n || buf[pos] != '"') return SCAN_UNSUPPORTED;
                continue;
            }
            if (buf[pos] == '}') break;
            return SCAN_UNSUPPORTED;
        }
        if (!(seen_image && seen_class && seen_segm)) return SCAN_UNSUPPORTED;
        row++;
        *rows_out = row;
        pos = skip_whitespace(buf, n, pos + 1);
        if (pos >= n) return SCAN_UNSUPPORTED;
        if (buf[pos] == ',') {
            pos = skip_whitespace(buf, n, pos + 1);
            if (pos >= n || buf[pos] != '{') return SCAN_UNSUPPORTED;
            continue;
        }
        if (buf[pos] == ']') {
            pos = skip_whitespace(buf, n, pos + 1);
            return pos == n ? SCAN_DONE : SCAN_UNSUPPORTED;
        }
        return SCAN_UNSUPPORTED;
    }
}

/* A guess at where a record of the array starts, at or after pos: the '{' of the first
 * `}`, `,`, `{"` (whitespace allowed between them) from there, or -1. Only a guess: the
 * bytes may sit inside a string. The caller scans from the start of the array up to it
 * and uses a scan that began here only when that scan ends exactly here. */
int64_t shoal_guess_record_start(const uint8_t *buf, int64_t n, int64_t pos) {
    for (; pos < n; pos++) {
        if (buf[pos] != '}') continue;
        int64_t at = skip_whitespace(buf, n, pos + 1);
        if (at >= n || buf[at] != ',') continue;
        at = skip_whitespace(buf, n, at + 1);
        if (at >= n || buf[at] != '{') continue;
        int64_t key = skip_whitespace(buf, n, at + 1);
        if (key < n && buf[key] == '"') return at;
    }
    return -1;
}

/* One number token at pos, for tests: returns 1 when *value is exact, 0 when float()
 * must convert buf[pos:*end] instead; *end is -1 for an invalid token. */
int32_t shoal_scan_number(const uint8_t *buf, int64_t n, int64_t pos, const uint64_t *powers,
                          int64_t *end, double *value) {
    number_t number = scan_number(buf, n, pos, powers);
    *end = number.end;
    *value = number.value;
    return number.exact;
}

/* ------------------------------------------------------------------ ground truth
 *
 * A COCO instances object in one call: the byte ranges of its "images" and
 * "categories" arrays (small; Python reads them with orjson and checks each record)
 * and its "annotations" straight into columns. The common shape only, as for results:
 * integer image_id/category_id/id, a bbox of four numbers, a numeric area, iscrowd and
 * ignore as integers or booleans, other keys skipped (and validated). Anything else --
 * a missing images/categories member, string ids, null areas, duplicate keys, escaped
 * keys, non-ASCII text, ids on some annotations but not others, too many slow tokens
 * -- gives SCAN_UNSUPPORTED and the caller reads the file the exact slow way, which
 * words the error.
 *
 * Extra array layouts (A = annotation capacity):
 *   ranges     (4,)  int64   out: start, end of the "images" value, then of "categories"
 *   areas      (A,)  float64 area, NaN when the record has none
 *   flags      (A,)  uint8   bit 0: iscrowd is nonzero, bit 1: ignore is nonzero
 *   ann_ids    (A,)  int64   the annotation's id (when counts[1] == rows)
 *   counts     (3,)  int64   out: [0] annotations, [1] of them with an id, [2] slow
 *                            tokens (slot row * 5 + field, 0-3: bbox, 4: area)
 */

enum {
    ANN_OTHER,
    ANN_IMAGE_ID,
    ANN_CATEGORY_ID,
    ANN_BBOX,
    ANN_AREA,
    ANN_ISCROWD,
    ANN_IGNORE,
    ANN_ID,
};

static int annotation_key(const uint8_t *buf, int64_t start, int64_t end) {
    int64_t length = end - start;
    const uint8_t *key = buf + start;
    switch (length) {
    case 2: return memcmp(key, "id", 2) == 0 ? ANN_ID : ANN_OTHER;
    case 4:
        if (memcmp(key, "bbox", 4) == 0) return ANN_BBOX;
        return memcmp(key, "area", 4) == 0 ? ANN_AREA : ANN_OTHER;
    case 6: return memcmp(key, "ignore", 6) == 0 ? ANN_IGNORE : ANN_OTHER;
    case 7: return memcmp(key, "iscrowd", 7) == 0 ? ANN_ISCROWD : ANN_OTHER;
    case 8: return memcmp(key, "image_id", 8) == 0 ? ANN_IMAGE_ID : ANN_OTHER;
    case 11: return memcmp(key, "category_id", 11) == 0 ? ANN_CATEGORY_ID : ANN_OTHER;
    default: return ANN_OTHER;
    }
}

/* A COCO 0/1 flag at pos (any integer, true or false): its end or -1; *set when nonzero. */
static int64_t scan_flag(const uint8_t *buf, int64_t n, int64_t pos, int *set) {
    if (matches(buf, n, pos, "true", 4)) {
        *set = 1;
        return pos + 4;
    }
    if (matches(buf, n, pos, "false", 5)) {
        *set = 0;
        return pos + 5;
    }
    int64_t value;
    int64_t end = scan_integer(buf, n, pos, &value);
    if (end >= 0) *set = value != 0;
    return end;
}

/* The annotations array at pos (a '['): its records into rows from 0; the position just
 * past the array, or -1 for anything unsupported. */
static int64_t scan_annotations(const uint8_t *buf, int64_t n, int64_t pos, int64_t capacity,
                                int64_t *image_ids, int64_t *class_ids, double *boxes,
                                double *areas, uint8_t *flags, int64_t *ann_ids,
                                int64_t *slow_start, int64_t *slow_end, int64_t *slow_slot,
                                int64_t slow_capacity, const uint64_t *powers, int64_t *counts) {
    int64_t row = 0, with_id = 0, slow_count = 0;
    pos = skip_whitespace(buf, n, pos + 1);
    if (pos < n && buf[pos] == ']') goto done;
    for (;;) {
        if (pos >= n || buf[pos] != '{' || row >= capacity) return -1;
        if (slow_count + FIELDS_PER_ROW > slow_capacity) return -1;
        const int64_t base = row * FIELDS_PER_ROW;
        unsigned seen = 0; /* bit per ANN_* kind */
        int crowd = 0, ignored = 0;
        areas[row] = __builtin_nan("");
        pos = skip_whitespace(buf, n, pos + 1);
        if (pos >= n || buf[pos] != '"') return -1;
        for (;;) {
            int escaped = 0;
            const int64_t key_end = scan_string(buf, n, pos, &escaped);
            if (key_end < 0 || escaped) return -1;
            const int kind = annotation_key(buf, pos + 1, key_end - 1);
            pos = skip_whitespace(buf, n, key_end);
            if (pos >= n || buf[pos] != ':') return -1;
            pos = skip_whitespace(buf, n, pos + 1);
            if (kind != ANN_OTHER) {
                if (seen & (1u << kind)) return -1; /* a duplicate key: json keeps the last */
                seen |= 1u << kind;
            }
            int64_t end;
            switch (kind) {
            case ANN_IMAGE_ID: end = scan_integer(buf, n, pos, image_ids + row); break;
            case ANN_CATEGORY_ID: end = scan_integer(buf, n, pos, class_ids + row); break;
            case ANN_ID: end = scan_integer(buf, n, pos, ann_ids + row); break;
            case ANN_ISCROWD: end = scan_flag(buf, n, pos, &crowd); break;
            case ANN_IGNORE: end = scan_flag(buf, n, pos, &ignored); break;
            case ANN_AREA:
                end = store_number(buf, n, pos, powers, areas + row, base + 4, slow_start,
                                   slow_end, slow_slot, &slow_count);
                break;
            case ANN_BBOX:
                if (pos >= n || buf[pos] != '[') return -1;
                for (int field = 0; field < 4; field++) {
                    pos = skip_whitespace(buf, n, pos + 1);
                    end = store_number(buf, n, pos, powers, boxes + 4 * row + field, base + field,
                                       slow_start, slow_end, slow_slot, &slow_count);
                    if (end < 0) return -1;
                    pos = skip_whitespace(buf, n, end);
                    if (pos >= n || buf[pos] != (field == 3 ? ']' : ',')) return -1;
                }
                end = pos + 1;
                break;
            default: end = skip_value(buf, n, pos, powers);
            }
            if (end < 0) return -1;
            pos = skip_whitespace(buf, n, end);
            if (pos >= n) return -1;
            if (buf[pos] == ',') {
                pos = skip_whitespace(buf, n, pos + 1);
                if (pos >= n || buf[pos] != '"') return -1;
                continue;
            }
            if (buf[pos] == '}') break;
            return -1;
        }
        const unsigned required = (1u << ANN_IMAGE_ID) | (1u << ANN_CATEGORY_ID) | (1u << ANN_BBOX);
        if ((seen & required) != required) return -1;
        flags[row] = (uint8_t)(crowd | (ignored << 1));
        if (seen & (1u << ANN_ID)) with_id++;
        /* ids on some annotations only: the slow path names the first without one */
        if (with_id != 0 && with_id != row + 1) return -1;
        row++;
        pos = skip_whitespace(buf, n, pos + 1);
        if (pos >= n) return -1;
        if (buf[pos] == ',') {
            pos = skip_whitespace(buf, n, pos + 1);
            continue;
        }
        if (buf[pos] == ']') break;
        return -1;
    }
done:
    counts[0] = row;
    counts[1] = with_id;
    counts[2] = slow_count;
    return pos + 1;
}

int32_t shoal_scan_ground_truth(const uint8_t *buf, int64_t n, int64_t *ranges, int64_t capacity,
                                int64_t *image_ids, int64_t *class_ids, double *boxes,
                                double *areas, uint8_t *flags, int64_t *ann_ids,
                                int64_t *slow_start, int64_t *slow_end, int64_t *slow_slot,
                                int64_t slow_capacity, const uint64_t *powers, int64_t *counts) {
    enum { MEMBER_IMAGES = 1, MEMBER_CATEGORIES = 2, MEMBER_ANNOTATIONS = 4 };
    unsigned seen = 0;
    counts[0] = counts[1] = counts[2] = 0;
    int64_t pos = skip_whitespace(buf, n, 0);
    if (pos >= n || buf[pos] != '{') return SCAN_UNSUPPORTED;
    pos = skip_whitespace(buf, n, pos + 1);
    if (pos < n && buf[pos] == '}') return SCAN_UNSUPPORTED; /* no images: the slow path says so */
    for (;;) {
        if (pos >= n || buf[pos] != '"') return SCAN_UNSUPPORTED;
        int escaped = 0;
        const int64_t key_end = scan_string(buf, n, pos, &escaped);
        if (key_end < 0 || escaped) return SCAN_UNSUPPORTED;
        const int64_t length = key_end - 1 - (pos + 1);
        const uint8_t *key = buf + pos + 1;
        unsigned member = 0;
        if (length == 6 && memcmp(key, "images", 6) == 0)
            member = MEMBER_IMAGES;
        else if (length == 10 && memcmp(key, "categories", 10) == 0)
            member = MEMBER_CATEGORIES;
        else if (length == 11 && memcmp(key, "annotations", 11) == 0)
            member = MEMBER_ANNOTATIONS;
        if (member & seen) return SCAN_UNSUPPORTED;
        seen |= member;
        pos = skip_whitespace(buf, n, key_end);
        if (pos >= n || buf[pos] != ':') return SCAN_UNSUPPORTED;
        pos = skip_whitespace(buf, n, pos + 1);
        /* The three members must be arrays; the slow path words anything else. */
        if (member && (pos >= n || buf[pos] != '[')) return SCAN_UNSUPPORTED;
        int64_t end;
        if (member == MEMBER_ANNOTATIONS)
            end = scan_annotations(buf, n, pos, capacity, image_ids, class_ids, boxes, areas,
                                   flags, ann_ids, slow_start, slow_end, slow_slot, slow_capacity,
                                   powers, counts);
        else
            end = skip_value(buf, n, pos, powers);
        if (end < 0) return SCAN_UNSUPPORTED;
        if (member == MEMBER_IMAGES || member == MEMBER_CATEGORIES) {
            int64_t *range = ranges + (member == MEMBER_IMAGES ? 0 : 2);
            range[0] = pos;
            range[1] = end;
        }
        pos = skip_whitespace(buf, n, end);
        if (pos >= n) return SCAN_UNSUPPORTED;
        if (buf[pos] == ',') {
            pos = skip_whitespace(buf, n, pos + 1);
            continue;
        }
        if (buf[pos] == '}') break;
        return SCAN_UNSUPPORTED;
    }
    pos = skip_whitespace(buf, n, pos + 1);
    if (pos != n) return SCAN_UNSUPPORTED;
    if ((seen & (MEMBER_IMAGES | MEMBER_CATEGORIES)) != (MEMBER_IMAGES | MEMBER_CATEGORIES))
        return SCAN_UNSUPPORTED;
    return SCAN_DONE;
}

/*
 * The keypoint fields of a COCO keypoints ground truth (shoal.formats._coco_keypoints),
 * a second pass over the file whose other columns shoal_scan_ground_truth reads: for
 * each record of the top-level "annotations" array, in file order, its "keypoints"
 * numbers appended to kp_values (record r's at [kp_offsets[r], kp_offsets[r + 1])) and
 * its "num_keypoints" (-1 when absent). SCAN_UNSUPPORTED for anything unusual (a record
 * without keypoints, a number only float() rounds with certainty, more than capacity
 * records or kp_capacity values): the caller then reads the records the exact slow way.
 */
int32_t shoal_scan_annotation_keypoints(const uint8_t *buf, int64_t n, int64_t capacity,
                                        double *kp_values, int64_t kp_capacity,
                                        int64_t *kp_offsets, int64_t *num_keypoints,
                                        const uint64_t *powers, int64_t *rows_out) {
    int64_t row = 0, count = 0;
    int seen_annotations = 0;
    kp_offsets[0] = 0;
    *rows_out = 0;
    int64_t pos = skip_whitespace(buf, n, 0);
    if (pos >= n || buf[pos] != '{') return SCAN_UNSUPPORTED;
    pos = skip_whitespace(buf, n, pos + 1);
    for (;;) {
        if (pos >= n || buf[pos] != '"') return SCAN_UNSUPPORTED;
        int escaped = 0;
        const int64_t key_end = scan_string(buf, n, pos, &escaped);
        if (key_end < 0 || escaped) return SCAN_UNSUPPORTED;
        const int is_annotations =
            key_end - pos - 2 == 11 && memcmp(buf + pos + 1, "annotations", 11) == 0;
        pos = skip_whitespace(buf, n, key_end);
        if (pos >= n || buf[pos] != ':') return SCAN_UNSUPPORTED;
        pos = skip_whitespace(buf, n, pos + 1);
        if (!is_annotations) {
            pos = skip_value(buf, n, pos, powers);
            if (pos < 0) return SCAN_UNSUPPORTED;
        } else {
            if (seen_annotations || pos >= n || buf[pos] != '[') return SCAN_UNSUPPORTED;
            seen_annotations = 1;
            pos = skip_whitespace(buf, n, pos + 1);
            if (pos < n && buf[pos] == ']') pos++;
            else
                for (;;) {
                    if (pos >= n || buf[pos] != '{' || row >= capacity) return SCAN_UNSUPPORTED;
                    int seen_keypoints = 0, seen_count = 0;
                    num_keypoints[row] = -1;
                    pos = skip_whitespace(buf, n, pos + 1);
                    if (pos >= n || buf[pos] != '"') return SCAN_UNSUPPORTED;
                    for (;;) {
                        const int64_t end = scan_string(buf, n, pos, &escaped);
                        if (end < 0 || escaped) return SCAN_UNSUPPORTED;
                        const int64_t length = end - pos - 2;
                        const uint8_t *key = buf + pos + 1;
                        const int is_keypoints = length == 9 && memcmp(key, "keypoints", 9) == 0;
                        const int is_count = length == 13 && memcmp(key, "num_keypoints", 13) == 0;
                        pos = skip_whitespace(buf, n, end);
                        if (pos >= n || buf[pos] != ':') return SCAN_UNSUPPORTED;
                        pos = skip_whitespace(buf, n, pos + 1);
                        if (is_keypoints) {
                            if (seen_keypoints || pos >= n || buf[pos] != '[')
                                return SCAN_UNSUPPORTED;
                            seen_keypoints = 1;
                            pos = skip_whitespace(buf, n, pos + 1);
                            if (pos < n && buf[pos] == ']') pos++;
                            else
                                for (;;) {
                                    number_t number = scan_number(buf, n, pos, powers);
                                    if (number.end < 0 || !number.exact || count >= kp_capacity)
                                        return SCAN_UNSUPPORTED;
                                    kp_values[count++] = number.value;
                                    pos = skip_whitespace(buf, n, number.end);
                                    if (pos >= n) return SCAN_UNSUPPORTED;
                                    if (buf[pos] == ']') {
                                        pos++;
                                        break;
                                    }
                                    if (buf[pos] != ',') return SCAN_UNSUPPORTED;
                                    pos = skip_whitespace(buf, n, pos + 1);
                                }
                        } else if (is_count) {
                            if (seen_count) return SCAN_UNSUPPORTED;
                            seen_count = 1;
                            pos = scan_integer(buf, n, pos, num_keypoints + row);
                            if (pos < 0 || num_keypoints[row] < 0) return SCAN_UNSUPPORTED;
                        } else {
                            pos = skip_value(buf, n, pos, powers);
                            if (pos < 0) return SCAN_UNSUPPORTED;
                        }
                        pos = skip_whitespace(buf, n, pos);
                        if (pos >= n) return SCAN_UNSUPPORTED;
                        if (buf[pos] == ',') {
                            pos = skip_whitespace(buf, n, pos + 1);
                            continue;
                        }
                        if (buf[pos] == '}') break;
                        return SCAN_UNSUPPORTED;
                    }
                    if (!seen_keypoints) return SCAN_UNSUPPORTED;
                    row++;
                    kp_offsets[row] = count;
                    pos = skip_whitespace(buf, n, pos + 1);
                    if (pos >= n) return SCAN_UNSUPPORTED;
                    if (buf[pos] == ',') {
                        pos = skip_whitespace(buf, n, pos + 1);
                        continue;
                    }
                    if (buf[pos] != ']') return SCAN_UNSUPPORTED;
                    pos++;
                    break;
                }
        }
        pos = skip_whitespace(buf, n, pos);
        if (pos >= n) return SCAN_UNSUPPORTED;
        if (buf[pos] == ',') {
            pos = skip_whitespace(buf, n, pos + 1);
            continue;
        }
        if (buf[pos] == '}') break;
        return SCAN_UNSUPPORTED;
    }
    *rows_out = row;
    return skip_whitespace(buf, n, pos + 1) == n ? SCAN_DONE : SCAN_UNSUPPORTED;
}
