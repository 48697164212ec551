/*
 * The thread runner every Shoal kernel library shares (included by each _native.c).
 *
 * A threaded kernel splits its items into at most num_threads parts, runs fn(ctx, p) for
 * each part on its own POSIX thread (the caller's thread takes part 0) and has each part
 * write only its own outputs, so nothing is locked and results do not depend on the
 * thread count. A thread that cannot start runs its part on the caller.
 */
#ifndef SHOAL_THREADS_H
#define SHOAL_THREADS_H

#include <pthread.h>
#include <stdint.h>

#define MAX_THREADS 64

typedef void (*part_fn)(void *ctx, int64_t part);

struct part_call {
    part_fn fn;
    void *ctx;
    int64_t part;
};

static inline void *part_entry(void *arg) {
    struct part_call *call = arg;
    call->fn(call->ctx, call->part);
    return NULL;
}

/* fn(ctx, p) for every p in [0, parts). */
static inline void run_parts(int64_t parts, part_fn fn, void *ctx) {
    pthread_t ids[MAX_THREADS];
    struct part_call calls[MAX_THREADS];
    int started[MAX_THREADS];
    for (int64_t p = 1; p < parts; p++) {
        calls[p] = (struct part_call){fn, ctx, p};
        started[p] = pthread_create(&ids[p], NULL, part_entry, &calls[p]) == 0;
    }
    fn(ctx, 0);
    for (int64_t p = 1; p < parts; p++) {
        if (started[p]) pthread_join(ids[p], NULL);
        else fn(ctx, p);
    }
}

/* How many parts for num_items items of total_work units: no more than asked, than
   items or MAX_THREADS, and none with less than min_work (below it a thread costs more
   than it saves). */
static inline int64_t parts_for(int64_t num_threads, int64_t num_items, int64_t total_work,
                                int64_t min_work) {
    int64_t parts = num_threads < MAX_THREADS ? num_threads : MAX_THREADS;
    if (parts > num_items) parts = num_items;
    if (parts > total_work / min_work) parts = total_work / min_work;
    return parts < 1 ? 1 : parts;
}

#endif
