/* churn: a dynamically linked C program whose time is mostly malloc and
 * free, for tuner's preloaded-allocator axis (glibc vs jemalloc vs
 * mimalloc through LD_PRELOAD).
 *
 * Each of `threads` threads keeps a window of `live` small blocks and
 * replaces a pseudo-randomly chosen block `rounds` times with a fresh one
 * of 16..512 bytes; blocks freed by one thread were sometimes allocated by
 * another (a shared handoff slot), the pattern allocators differ most on.
 * Prints a checksum of what it wrote, the same whatever the allocator.
 *
 * Usage: churn <threads> <rounds> <live>
 * Build: cc -O2 -pthread -o churn churn.c
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long rounds, live;
static _Atomic(unsigned char *) handoff;

struct result {
    uint64_t seed;
    uint64_t sum;
};

static uint64_t next(uint64_t *s) {
    /* xorshift64*: deterministic per thread */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static void *work(void *arg) {
    struct result *out = arg;
    uint64_t state = out->seed;
    unsigned char **window = calloc((size_t)live, sizeof *window);
    uint64_t sum = 0;
    for (long r = 0; r < rounds; r++) {
        long i = (long)(next(&state) % (uint64_t)live);
        size_t size = 16 + (size_t)(next(&state) % 497);
        unsigned char *block = malloc(size);
        if (!block) {
            fprintf(stderr, "churn: out of memory\n");
            exit(1);
        }
        memset(block, (int)(size & 0xff), size);
        sum += block[size - 1];
        if (r % 64 == 0) {
            /* hand a block to whichever thread comes next */
            block = atomic_exchange(&handoff, block);
            if (!block) continue;
        }
        free(window[i]);
        window[i] = block;
    }
    for (long i = 0; i < live; i++) free(window[i]);
    free(window);
    out->sum = sum;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: churn <threads> <rounds> <live>\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    rounds = atol(argv[2]);
    live = atol(argv[3]);
    if (threads < 1 || rounds < 1 || live < 1) {
        fprintf(stderr, "churn: threads, rounds and live must be positive\n");
        return 2;
    }
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    struct result *results = calloc((size_t)threads, sizeof *results);
    for (int t = 0; t < threads; t++) {
        results[t].seed = 0x9E3779B97F4A7C15ULL * (uint64_t)(t + 1);
        pthread_create(&ids[t], NULL, work, &results[t]);
    }
    uint64_t total = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        total += results[t].sum;
    }
    free(atomic_exchange(&handoff, NULL));
    printf("churned %ld blocks on %d threads: checksum %llu\n", rounds * threads, threads,
           (unsigned long long)total);
    return 0;
}
