/*
 * sgemm: C[b] = A[b] (M x K) * B[b] (K x N), any strides, C contiguous.
 *
 * BLIS-style: A is packed into MR-row panels and B into NR-column panels (k-major inside a panel),
 * so transposed or otherwise strided views cost one packing pass and nothing after. The register
 * tile is MR x NR = 6 x 8 (12 f32x4 accumulators, 2 B vectors and 1 broadcast A: 15 of the 16 xmm
 * registers V8 hands out). Loops over KC-deep slices keep a B micro-panel in L1 and an MC x KC
 * block of A in L2.
 *
 * Two schedules:
 *  - tile-parallel (few batches): pack all panels in one parallel job, then compute MC x NC tiles
 *    in a second one;
 *  - batch-parallel (many small batches, e.g. conv as im2col + GEMM): each chunk is one batch,
 *    packed into per-thread scratch and computed by one thread while it is still in cache.
 *    A stride-0 (broadcast) A is packed once for all batches.
 */
#include "rt.h"

#ifndef GEMM_MR
#define GEMM_MR 6
#endif
#define GEMM_NR 8
#ifndef GEMM_KC
#define GEMM_KC 512
#endif
#ifndef GEMM_MC
#define GEMM_MC 48
#endif

typedef struct {
  const float *a; /* A element (i, k) at a[i * ars + k * acs] */
  int ars, acs;
  const float *b; /* B element (k, j) at b[k * brs + j * bcs] */
  int brs, bcs;
  float *c; /* C row-major, ldc = n */
  int m, n, k;
  float *apack; /* panels of MR rows: ceil(m / MR) * MR * k floats */
  float *bpack; /* panels of NR cols: ceil(n / NR) * NR * k floats */
  int mpanels, npanels;
  int mc_panels, nc_panels; /* tile size in panels */
  int tiles_m, tiles_n;
  int accumulate; /* C += A * B (else C = A * B) */
} gemm_job;

/* dst[k * MR + r] = A[i0 + r, k], zero rows past m. */
static void pack_a(float *restrict dst, const float *a, int ars, int acs, int rows, int kk) {
  if (rows == GEMM_MR && ars == 1 && (GEMM_MR == 4 || GEMM_MR == 6)) {
    for (int k = 0; k < kk; k++) {
      const float *s = a + (long)k * acs;
      float *d = dst + k * GEMM_MR;
      VSTORE(d, wasm_v128_load(s));
#if GEMM_MR == 6
      d[4] = s[4];
      d[5] = s[5];
#endif
    }
    return;
  }
#if GEMM_MR == 4
  if (rows == 4 && acs == 1) {
    const float *r0 = a, *r1 = a + ars, *r2 = a + 2 * ars, *r3 = a + 3 * ars;
    int k = 0;
    for (; k + 4 <= kk; k += 4) {
      v4 x0 = VLOAD(r0 + k), x1 = VLOAD(r1 + k), x2 = VLOAD(r2 + k), x3 = VLOAD(r3 + k);
      v4 t0 = wasm_i32x4_shuffle(x0, x1, 0, 4, 1, 5);
      v4 t1 = wasm_i32x4_shuffle(x2, x3, 0, 4, 1, 5);
      v4 t2 = wasm_i32x4_shuffle(x0, x1, 2, 6, 3, 7);
      v4 t3 = wasm_i32x4_shuffle(x2, x3, 2, 6, 3, 7);
      float *d = dst + k * 4;
      VSTORE(d, wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5));
      VSTORE(d + 4, wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
      VSTORE(d + 8, wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5));
      VSTORE(d + 12, wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7));
    }
    for (; k < kk; k++) {
      float *d = dst + k * 4;
      d[0] = r0[k]; d[1] = r1[k]; d[2] = r2[k]; d[3] = r3[k];
    }
    return;
  }
#elif GEMM_MR == 6
  if (rows == GEMM_MR && acs == 1) {
    const float *r0 = a, *r1 = a + ars, *r2 = a + 2 * ars, *r3 = a + 3 * ars, *r4 = a + 4 * ars, *r5 = a + 5 * ars;
    int k = 0;
    for (; k + 4 <= kk; k += 4) {
      v4 x0 = VLOAD(r0 + k), x1 = VLOAD(r1 + k), x2 = VLOAD(r2 + k), x3 = VLOAD(r3 + k);
      v4 t0 = wasm_i32x4_shuffle(x0, x1, 0, 4, 1, 5);
      v4 t1 = wasm_i32x4_shuffle(x2, x3, 0, 4, 1, 5);
      v4 t2 = wasm_i32x4_shuffle(x0, x1, 2, 6, 3, 7);
      v4 t3 = wasm_i32x4_shuffle(x2, x3, 2, 6, 3, 7);
      v4 y0 = wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5);
      v4 y1 = wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7);
      v4 y2 = wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5);
      v4 y3 = wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7);
      float *d = dst + k * GEMM_MR;
      v4 x4 = VLOAD(r4 + k), x5 = VLOAD(r5 + k);
      wasm_v128_store(d, y0);
      wasm_v128_store64_lane(d + 4, wasm_i32x4_shuffle(x4, x5, 0, 4, 0, 4), 0);
      wasm_v128_store(d + 6, y1);
      wasm_v128_store64_lane(d + 10, wasm_i32x4_shuffle(x4, x5, 1, 5, 1, 5), 0);
      wasm_v128_store(d + 12, y2);
      wasm_v128_store64_lane(d + 16, wasm_i32x4_shuffle(x4, x5, 2, 6, 2, 6), 0);
      wasm_v128_store(d + 18, y3);
      wasm_v128_store64_lane(d + 22, wasm_i32x4_shuffle(x4, x5, 3, 7, 3, 7), 0);
    }
    for (; k < kk; k++) {
      float *d = dst + k * GEMM_MR;
      d[0] = r0[k]; d[1] = r1[k]; d[2] = r2[k]; d[3] = r3[k]; d[4] = r4[k]; d[5] = r5[k];
    }
    return;
  }
#endif
  for (int k = 0; k < kk; k++) {
    float *d = dst + k * GEMM_MR;
    int r = 0;
    for (; r < rows; r++) d[r] = a[(long)r * ars + (long)k * acs];
    for (; r < GEMM_MR; r++) d[r] = 0.f;
  }
}

/* dst[k * NR + c] = B[k, j0 + c], zero columns past n. */
static void pack_b(float *restrict dst, const float *b, int brs, int bcs, int cols, int kk) {
  if (cols == GEMM_NR && bcs == 1) {
    for (int k = 0; k < kk; k++) {
      const float *s = b + (long)k * brs;
      float *d = dst + k * GEMM_NR;
      VSTORE(d, VLOAD(s));
      VSTORE(d + 4, VLOAD(s + 4));
    }
    return;
  }
  if (cols == GEMM_NR && brs == 1) {
    /* B transposed: column j is contiguous in k. Transpose 4x4 blocks. */
    int k = 0;
    for (; k + 4 <= kk; k += 4) {
      for (int h = 0; h < 2; h++) {
        const float *c0 = b + (long)(4 * h) * bcs + k, *c1 = c0 + bcs, *c2 = c1 + bcs, *c3 = c2 + bcs;
        v4 x0 = VLOAD(c0), x1 = VLOAD(c1), x2 = VLOAD(c2), x3 = VLOAD(c3);
        v4 t0 = wasm_i32x4_shuffle(x0, x1, 0, 4, 1, 5);
        v4 t1 = wasm_i32x4_shuffle(x2, x3, 0, 4, 1, 5);
        v4 t2 = wasm_i32x4_shuffle(x0, x1, 2, 6, 3, 7);
        v4 t3 = wasm_i32x4_shuffle(x2, x3, 2, 6, 3, 7);
        float *d = dst + k * GEMM_NR + 4 * h;
        VSTORE(d, wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5));
        VSTORE(d + GEMM_NR, wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
        VSTORE(d + 2 * GEMM_NR, wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5));
        VSTORE(d + 3 * GEMM_NR, wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7));
      }
    }
    for (; k < kk; k++)
      for (int c = 0; c < GEMM_NR; c++) dst[k * GEMM_NR + c] = b[(long)c * bcs + k];
    return;
  }
  for (int k = 0; k < kk; k++) {
    float *d = dst + k * GEMM_NR;
    int c = 0;
    for (; c < cols; c++) d[c] = b[(long)k * brs + (long)c * bcs];
    for (; c < GEMM_NR; c++) d[c] = 0.f;
  }
}

#if !defined(GEMM_C_UKERNEL)
/* Hand-scheduled MR x 8 kernel (ukernel-*.s, generated by tools/gen-ukernel.mjs). */
extern void nk_ukernel(int kc, const float *a, const float *b, float *c, int ldc_bytes, int acc, int zero);
#define ukernel(kc, a, b, c, ldc, acc) nk_ukernel((kc), (a), (b), (c), (ldc) * 4, (acc), 0)
#else
/* C[0:MR, 0:8] (+)= a-panel * b-panel over kc. */
static void ukernel(int kc, const float *restrict a, const float *restrict b, float *restrict c, int ldc, int acc) {
  v4 c00 = wasm_f32x4_const_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
#if GEMM_MR == 6
  v4 c40 = c00, c41 = c00, c50 = c00, c51 = c00;
#endif
  for (int k = 0; k < kc; k++) {
    v4 b0 = VLOAD(b), b1 = VLOAD(b + 4);
    v4 a0 = wasm_v128_load32_splat(a);
    c00 = VFMA(a0, b0, c00);
    c01 = VFMA(a0, b1, c01);
    v4 a1 = wasm_v128_load32_splat(a + 1);
    c10 = VFMA(a1, b0, c10);
    c11 = VFMA(a1, b1, c11);
    v4 a2 = wasm_v128_load32_splat(a + 2);
    c20 = VFMA(a2, b0, c20);
    c21 = VFMA(a2, b1, c21);
    v4 a3 = wasm_v128_load32_splat(a + 3);
    c30 = VFMA(a3, b0, c30);
    c31 = VFMA(a3, b1, c31);
#if GEMM_MR == 6
    v4 a4 = wasm_v128_load32_splat(a + 4);
    c40 = VFMA(a4, b0, c40);
    c41 = VFMA(a4, b1, c41);
    v4 a5 = wasm_v128_load32_splat(a + 5);
    c50 = VFMA(a5, b0, c50);
    c51 = VFMA(a5, b1, c51);
#endif
    a += GEMM_MR;
    b += GEMM_NR;
  }
#define ROW(r)                                                                   \
  {                                                                              \
    float *p = c + r * ldc;                                                      \
    if (acc) {                                                                   \
      c##r##0 = wasm_f32x4_add(c##r##0, VLOAD(p));                               \
      c##r##1 = wasm_f32x4_add(c##r##1, VLOAD(p + 4));                           \
    }                                                                            \
    VSTORE(p, c##r##0);                                                          \
    VSTORE(p + 4, c##r##1);                                                      \
  }
  ROW(0) ROW(1) ROW(2) ROW(3)
#if GEMM_MR == 6
  ROW(4) ROW(5)
#endif
#undef ROW
}
#endif

/* Edge tile: compute into a scratch tile, then (accumulate-)copy the valid rows x cols. */
static void ukernel_edge(int kc, const float *a, const float *b, float *c, int ldc, int acc, int rows, int cols) {
  float tmp[GEMM_MR * GEMM_NR] __attribute__((aligned(16)));
  ukernel(kc, a, b, tmp, GEMM_NR, 0);
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < cols; j++) {
      float v = tmp[r * GEMM_NR + j];
      c[r * ldc + j] = acc ? c[r * ldc + j] + v : v;
    }
}

/* Computes panels [ip0, ip1) x [jp0, jp1) of C from packed panels. */
static void gemm_tile(const gemm_job *J, int ip0, int ip1, int jp0, int jp1) {
  int K = J->k;
  for (int pc = 0; pc < K; pc += GEMM_KC) {
    int kc = imin(GEMM_KC, K - pc);
    int acc = pc > 0 || J->accumulate;
    for (int jp = jp0; jp < jp1; jp++) {
      const float *bp = J->bpack + (long)jp * GEMM_NR * K + (long)pc * GEMM_NR;
      int j = jp * GEMM_NR, cols = imin(GEMM_NR, J->n - j);
      for (int ip = ip0; ip < ip1; ip++) {
        const float *ap = J->apack + (long)ip * GEMM_MR * K + (long)pc * GEMM_MR;
        int i = ip * GEMM_MR, rows = imin(GEMM_MR, J->m - i);
        float *cp = J->c + (long)i * J->n + j;
        if (rows == GEMM_MR && cols == GEMM_NR)
          ukernel(kc, ap, bp, cp, J->n, acc);
        else
          ukernel_edge(kc, ap, bp, cp, J->n, acc, rows, cols);
      }
    }
  }
}

static void pack_a_all(const gemm_job *J, int p0, int p1) {
  for (int ip = p0; ip < p1; ip++) {
    int i = ip * GEMM_MR;
    pack_a(J->apack + (long)ip * GEMM_MR * J->k, J->a + (long)i * J->ars, J->ars, J->acs, imin(GEMM_MR, J->m - i), J->k);
  }
}
static void pack_b_all(const gemm_job *J, int p0, int p1) {
  for (int jp = p0; jp < p1; jp++) {
    int j = jp * GEMM_NR;
    pack_b(J->bpack + (long)jp * GEMM_NR * J->k, J->b + (long)j * J->bcs, J->brs, J->bcs, imin(GEMM_NR, J->n - j), J->k);
  }
}

#define PACK_GRAIN 8 /* panels per packing chunk */

static void task_pack(const void *args, int chunk, int tid) {
  const gemm_job *J = args;
  int achunks = (J->apack && J->a) ? (J->mpanels + PACK_GRAIN - 1) / PACK_GRAIN : 0;
  if (chunk < achunks) {
    int p0 = chunk * PACK_GRAIN;
    pack_a_all(J, p0, imin(p0 + PACK_GRAIN, J->mpanels));
  } else {
    int p0 = (chunk - achunks) * PACK_GRAIN;
    pack_b_all(J, p0, imin(p0 + PACK_GRAIN, J->npanels));
  }
}

static void task_tile(const void *args, int chunk, int tid) {
  const gemm_job *J = args;
  int tm = chunk / J->tiles_n, tn = chunk % J->tiles_n;
  int ip0 = tm * J->mc_panels, jp0 = tn * J->nc_panels;
  gemm_tile(J, ip0, imin(ip0 + J->mc_panels, J->mpanels), jp0, imin(jp0 + J->nc_panels, J->npanels));
}

/* Chooses tile sizes: about 4 tiles per thread, and a tile count that is a multiple of the
 * thread count where possible, so that dynamic scheduling ends with every thread busy. */
static void plan_tiles(gemm_job *J, int threads) {
  J->mc_panels = imax(1, GEMM_MC / GEMM_MR);
  if (J->mc_panels > J->mpanels) J->mc_panels = J->mpanels;
  J->tiles_m = (J->mpanels + J->mc_panels - 1) / J->mc_panels;
  if (threads <= 1) {
    J->nc_panels = J->npanels;
    J->tiles_n = 1;
    return;
  }
  /* >= 4 tiles per thread, and tiles of <= ~40 MFLOP (a few ms) so that a thread that the OS
   * preempts holds back little work at the end */
  double flops = 2.0 * J->m * J->n * J->k;
  int want = imax(threads * 4, (int)(flops / 4e7));
  int tn = imax(1, (want + J->tiles_m / 2) / J->tiles_m);
  int best_ncp = 0, best_tiles_n = 0;
  for (int t = tn; t <= tn + threads && t <= J->npanels; t++) {
    int ncp = (J->npanels + t - 1) / t;
    if (ncp < 2 && J->npanels >= 2) break; /* at least 16 columns per tile */
    int tiles_n = (J->npanels + ncp - 1) / ncp;
    if (best_ncp == 0) best_ncp = ncp, best_tiles_n = tiles_n;
    if ((J->tiles_m * tiles_n) % threads == 0) {
      best_ncp = ncp, best_tiles_n = tiles_n;
      break;
    }
  }
  if (best_ncp == 0) best_ncp = J->npanels, best_tiles_n = 1;
  J->nc_panels = best_ncp;
  J->tiles_n = best_tiles_n;
}

static void gemm_one_parallel(gemm_job *J, int skip_a_pack) {
  int threads = usable_threads();
  if (2.0 * J->m * J->n * J->k < 2e6) {
    /* too small to pay for waking the workers */
    if (!skip_a_pack) pack_a_all(J, 0, J->mpanels);
    pack_b_all(J, 0, J->npanels);
    gemm_tile(J, 0, J->mpanels, 0, J->npanels);
    return;
  }
  int achunks = skip_a_pack ? 0 : (J->mpanels + PACK_GRAIN - 1) / PACK_GRAIN;
  int bchunks = (J->npanels + PACK_GRAIN - 1) / PACK_GRAIN;
  const float *a_saved = J->a;
  if (skip_a_pack) J->a = 0;
  parallel_for(task_pack, J, achunks + bchunks);
  J->a = a_saved;
  plan_tiles(J, threads);
  parallel_for(task_tile, J, J->tiles_m * J->tiles_n);
}

typedef struct {
  const float *a, *b;
  float *c;
  int abs_, ars, acs, bbs, brs, bcs;
  int m, n, k;
  float *shared_apack; /* non-null when A is broadcast over batches and packed once */
  float *scratch;      /* per-thread: apack then bpack */
  int scratch_per_thread;
} batch_job;

static void task_batch(const void *args, int bi, int tid) {
  const batch_job *BJ = args;
  gemm_job J = {0};
  J.m = BJ->m; J.n = BJ->n; J.k = BJ->k;
  J.mpanels = (J.m + GEMM_MR - 1) / GEMM_MR;
  J.npanels = (J.n + GEMM_NR - 1) / GEMM_NR;
  J.a = BJ->a + (long)bi * BJ->abs_; J.ars = BJ->ars; J.acs = BJ->acs;
  J.b = BJ->b + (long)bi * BJ->bbs; J.brs = BJ->brs; J.bcs = BJ->bcs;
  J.c = BJ->c + (long)bi * J.m * J.n;
  float *s = BJ->scratch + (long)tid * BJ->scratch_per_thread;
  if (BJ->shared_apack) {
    J.apack = BJ->shared_apack;
  } else {
    J.apack = s;
    pack_a_all(&J, 0, J.mpanels);
    s += (long)J.mpanels * GEMM_MR * J.k;
  }
  J.bpack = s;
  pack_b_all(&J, 0, J.npanels);
  gemm_tile(&J, 0, J.mpanels, 0, J.npanels);
}

/* Floats of packing scratch gemm_serial needs for an m x n x k product. */
static long gemm_pack_floats(int m, int n, int k) {
  return (long)((m + GEMM_MR - 1) / GEMM_MR) * GEMM_MR * k + (long)((n + GEMM_NR - 1) / GEMM_NR) * GEMM_NR * k + 16;
}

/*
 * C (m x n, row-major) = A * B, or C += A * B where `accumulate`, on the calling thread, packing
 * into `pack` (gemm_pack_floats). A's element (i, p) at a[i * ars + p * acs], B's (p, j) at
 * b[p * brs + j * bcs]: what a pool task calls on data it keeps in cache (conv.c).
 */
static void gemm_serial(float *c, const float *a, int ars, int acs, const float *b, int brs, int bcs, int m, int n, int k, int accumulate,
                        float *pack) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate) __builtin_memset(c, 0, (size_t)m * n * 4);
    return;
  }
  gemm_job J = {0};
  J.a = a; J.ars = ars; J.acs = acs;
  J.b = b; J.brs = brs; J.bcs = bcs;
  J.c = c; J.m = m; J.n = n; J.k = k;
  J.mpanels = (m + GEMM_MR - 1) / GEMM_MR;
  J.npanels = (n + GEMM_NR - 1) / GEMM_NR;
  J.apack = pack;
  J.bpack = pack + (long)J.mpanels * GEMM_MR * k;
  J.accumulate = accumulate;
  pack_a_all(&J, 0, J.mpanels);
  pack_b_all(&J, 0, J.npanels);
  gemm_tile(&J, 0, J.mpanels, 0, J.npanels);
}

/* Floats of scratch gemm_f32 needs for these sizes and thread count. */
EXPORT(gemm_scratch_floats) long gemm_scratch_floats(int batch, int m, int n, int k, int a_bcast, int threads) {
  long ap = (long)((m + GEMM_MR - 1) / GEMM_MR) * GEMM_MR * k;
  long bp = (long)((n + GEMM_NR - 1) / GEMM_NR) * GEMM_NR * k;
  /* 4 extra floats so panel loads never read past the end */
  return ap + bp * (long)threads + ap * (long)threads + 16;
}

static int use_batch_schedule(int batch, int m, int n, int k, int threads) {
  if (batch <= 1) return 0;
  if (threads <= 1) return 1;
  /* enough batches to balance, or batches too small to split */
  if (batch >= 2 * threads) return 1;
  double flops = 2.0 * m * n * k;
  return flops < 4e6;
}

EXPORT(gemm_f32)
void gemm_f32(float *c, const float *a, int abs_, int ars, int acs, const float *b, int bbs, int brs, int bcs, int batch,
              int m, int n, int k, float *scratch) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    __builtin_memset(c, 0, (size_t)batch * m * n * 4);
    return;
  }
  int threads = usable_threads();
  long ap = (long)((m + GEMM_MR - 1) / GEMM_MR) * GEMM_MR * k;
  long bp = (long)((n + GEMM_NR - 1) / GEMM_NR) * GEMM_NR * k;
  if (use_batch_schedule(batch, m, n, k, threads)) {
    batch_job BJ = {a, b, c, abs_, ars, acs, bbs, brs, bcs, m, n, k, 0, 0, 0};
    float *s = scratch;
    if (abs_ == 0) {
      gemm_job J = {0};
      J.a = a; J.ars = ars; J.acs = acs; J.m = m; J.n = n; J.k = k;
      J.mpanels = (m + GEMM_MR - 1) / GEMM_MR; J.npanels = 0;
      J.apack = s; J.bpack = 0; J.b = 0;
      parallel_for(task_pack, &J, (J.mpanels + PACK_GRAIN - 1) / PACK_GRAIN);
      BJ.shared_apack = s;
      s += ap;
      BJ.scratch_per_thread = (int)bp;
    } else {
      BJ.scratch_per_thread = (int)(ap + bp);
    }
    BJ.scratch = s;
    parallel_for(task_batch, &BJ, batch);
    return;
  }
  for (int bi = 0; bi < batch; bi++) {
    gemm_job J = {0};
    J.a = a + (long)bi * abs_; J.ars = ars; J.acs = acs;
    J.b = b + (long)bi * bbs; J.brs = brs; J.bcs = bcs;
    J.c = c + (long)bi * m * n;
    J.m = m; J.n = n; J.k = k;
    J.mpanels = (m + GEMM_MR - 1) / GEMM_MR;
    J.npanels = (n + GEMM_NR - 1) / GEMM_NR;
    J.apack = scratch;
    J.bpack = scratch + ap;
    gemm_one_parallel(&J, bi > 0 && abs_ == 0);
  }
}
