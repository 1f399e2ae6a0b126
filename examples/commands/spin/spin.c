/* spin: a fixed amount of integer work, scaled by a percentage, for
 * tuner's sensitivity benchmark (scripts/sensitivity-design.py): `spin 105`
 * does exactly 1.05 times the work of `spin 100`. Prints a checksum so the
 * work cannot be optimised away. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long pct = argc > 1 ? atol(argv[1]) : 100;
    long base = argc > 2 ? atol(argv[2]) : 20000000;
    uint64_t x = 88172645463325252ull, sum = 0;
    long n = base / 100 * pct;
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sum += x & 0xff;
    }
    printf("%llu\n", (unsigned long long)(sum % 1000));
    return 0;
}
