/*
 * Smoke test of the wasm/src kernels compiled natively (tools/build-native.sh): sgemm against a
 * float64 reference and the fused Adam step against the float32 formula of
 * src/backend/optimizer-kernels.ts, then sgemm N=1024 throughput. Exits 1 on a wrong result.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

long gemm_scratch_floats(int batch, int m, int n, int k, int a_bcast, int threads);
void gemm_f32(float *c, const float *a, int abs_, int ars, int acs, const float *b, int bbs, int brs, int bcs, int batch,
              int m, int n, int k, float *scratch);
void optimizer_step(int kernel, const long *bufs, const float *consts, long n);

static float rnd(unsigned *s) { *s = *s * 1664525u + 1013904223u; return (float)(*s >> 8) / (1 << 24) - 0.5f; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(void) {
  unsigned s = 1;
  int m = 67, n = 45, k = 129, fail = 0;
  float *a = malloc(4L * m * k), *b = malloc(4L * k * n), *c = malloc(4L * m * n);
  for (long i = 0; i < (long)m * k; i++) a[i] = rnd(&s);
  for (long i = 0; i < (long)k * n; i++) b[i] = rnd(&s);
  float *scratch = malloc(4 * gemm_scratch_floats(1, m, n, k, 0, 1));
  gemm_f32(c, a, 0, k, 1, b, 0, n, 1, 1, m, n, k, scratch);
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      double r = 0;
      for (int p = 0; p < k; p++) r += (double)a[i * k + p] * b[p * n + j];
      if (fabs(r - c[i * n + j]) > 1e-4) { printf("gemm: c[%d,%d] = %g, expected %g\n", i, j, c[i * n + j], r); fail = 1; i = m; break; }
    }

  /* Adam, one step from zero state: constants as optim/adam.ts computes them (lr 1e-3, step 1). */
  float p[5] = {1, -2, 3, 0.5f, 0}, g[5] = {0.1f, -0.2f, 0.3f, 0, 5}, mm[5] = {0}, vv[5] = {0};
  float consts[12] = {1, 1, 0, 0.9f, 0.1f, 0.999f, (float)(1 - 0.999), (float)sqrt(1 - 0.999), 1e-8f, (float)(-1e-3 / (1 - 0.9))};
  long bufs[5] = {(long)p, (long)g, (long)mm, (long)vv, 0};
  float p0[5];
  for (int i = 0; i < 5; i++) p0[i] = p[i];
  optimizer_step(0, bufs, consts, 5);
  for (int i = 0; i < 5; i++) {
    float d = g[i], mi = 0 * 0.9f + d * 0.1f, t = d * consts[6], vi = 0 * 0.999f + t * d;
    float want = p0[i] + (mi * consts[9]) / (sqrtf(vi) / consts[7] + consts[8]);
    if (p[i] != want) { printf("adam: p[%d] = %.9g, expected %.9g\n", i, p[i], want); fail = 1; }
  }

  int N = 1024, reps = 5;
  float *A = malloc(4L * N * N), *B = malloc(4L * N * N), *C = malloc(4L * N * N);
  for (long i = 0; i < (long)N * N; i++) { A[i] = rnd(&s); B[i] = rnd(&s); }
  float *S = malloc(4 * gemm_scratch_floats(1, N, N, N, 0, 1));
  gemm_f32(C, A, 0, N, 1, B, 0, N, 1, 1, N, N, N, S);
  double t0 = now();
  for (int r = 0; r < reps; r++) gemm_f32(C, A, 0, N, 1, B, 0, N, 1, 1, N, N, N, S);
  printf("native sgemm N=%d, 1 thread: %.1f GFLOP/s\n", N, 2.0 * N * N * N * reps / (now() - t0) / 1e9);
  printf(fail ? "native smoke: FAILED\n" : "native smoke: ok\n");
  return fail;
}
