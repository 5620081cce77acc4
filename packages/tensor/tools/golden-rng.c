/* Reference values for src/rng.test.ts, written from the published algorithm descriptions
 * (Vigna & Blackman, "Scrambled linear pseudorandom number generators", 2018; splitmix64 from Steele,
 * Lea & Flood 2014 as given at prng.di.unimi.it). Independent of the TypeScript code: plain uint64_t C.
 * usage: gcc -O2 -o /tmp/golden-rng packages/tensor/tools/golden-rng.c -lm && /tmp/golden-rng > packages/tensor/src/fixtures/rng-golden.json
 */
#include <stdint.h>
#include <stdio.h>
#include <math.h>

static uint64_t sm_state;
static uint64_t splitmix64(void) {
  uint64_t z = (sm_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static uint64_t s[4];
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t next(void) {
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}
static void seed(uint64_t x) { sm_state = x; for (int i = 0; i < 4; i++) s[i] = splitmix64(); }
static double uniform(void) { return (double)(next() >> 11) * 0x1.0p-53; }

int main(void) {
  uint64_t seeds[] = {0ULL, 42ULL, 0xffffffffffffffffULL, 123456789012345ULL};
  printf("{\"note\":\"xoshiro256** seeded by splitmix64; made by tools/golden-rng.c\",\"cases\":[\n");
  for (int k = 0; k < 4; k++) {
    seed(seeds[k]);
    printf("%s{\"seed\":\"%llu\",\"u64\":[", k ? "," : "", (unsigned long long)seeds[k]);
    for (int i = 0; i < 8; i++) printf("%s\"%llu\"", i ? "," : "", (unsigned long long)next());
    seed(seeds[k]);
    printf("],\"uniform\":[");
    for (int i = 0; i < 8; i++) printf("%s%.17g", i ? "," : "", uniform());
    /* Marsaglia polar method, both values of each accepted pair used in order. */
    seed(seeds[k]);
    printf("],\"normal\":[");
    int n = 0;
    while (n < 8) {
      double u, v, q;
      do { u = 2 * uniform() - 1; v = 2 * uniform() - 1; q = u * u + v * v; } while (q >= 1 || q == 0);
      double f = sqrt(-2 * log(q) / q);
      printf("%s%.17g,%.17g", n ? "," : "", u * f, v * f);
      n += 2;
    }
    printf("]}\n");
  }
  printf("]}\n");
  return 0;
}
