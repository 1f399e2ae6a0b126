/* churn: a dynamically linked C program whose time is mostly malloc and
 * free, for tuner's preloaded-allocator axis (glibc vs jemalloc vs
 * mimalloc through LD_PRELOAD).
 *
 * `threads` threads share `rounds` rounds between them; each keeps a
 * window of `live` small blocks and, each round, replaces a pseudo-randomly
 * chosen block with a fresh one of 16..512 bytes; every 64th block is
 * handed to whichever thread comes next through a shared slot, so blocks
 * are sometimes freed by a thread that did not allocate them — the
 * pattern allocators differ most on. Each round's size and slot come from
 * the round's own number, so the total work and the printed checksum are
 * the same whatever the thread count and the allocator: a different line
 * means a bug.
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

static long live;
static _Atomic(unsigned char *) handoff;

struct share {
    long first, end; /* rounds [first, end) */
    uint64_t sum;
};

/* splitmix64: a round's pseudo-random number, from the round alone */
static uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static void *work(void *arg) {
    struct share *share = arg;
    unsigned char **window = calloc((size_t)live, sizeof *window);
    uint64_t sum = 0;
    for (long r = share->first; r < share->end; r++) {
        uint64_t h = mix((uint64_t)r);
        long i = (long)(h % (uint64_t)live);
        size_t size = 16 + (size_t)((h >> 32) % 497);
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
    share->sum = sum;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: churn <threads> <rounds> <live>\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    long rounds = atol(argv[2]);
    live = atol(argv[3]);
    if (threads < 1 || rounds < 1 || live < 1) {
        fprintf(stderr, "churn: threads, rounds and live must be positive\n");
        return 2;
    }
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    struct share *shares = calloc((size_t)threads, sizeof *shares);
    for (int t = 0; t < threads; t++) {
        shares[t].first = rounds * t / threads;
        shares[t].end = rounds * (t + 1) / threads;
        pthread_create(&ids[t], NULL, work, &shares[t]);
    }
    uint64_t total = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        total += shares[t].sum;
    }
    free(atomic_exchange(&handoff, NULL));
    printf("churned %ld blocks: checksum %llu\n", rounds, (unsigned long long)total);
    return 0;
}
