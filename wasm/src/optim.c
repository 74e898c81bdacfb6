/*
 * Fused optimizer steps: one in-place pass over a parameter, its gradient and its state.
 * The constants, buffer order and float32 operation order are those of
 * src/backend/optimizer-kernels.ts (the reference); contraction into FMA is off so every
 * product and sum rounds as the composed ops did.
 */
#pragma clang fp contract(off)

enum { OPT_ADAM = 0, OPT_SGD = 1, OPT_RMSPROP = 2 };
#define OPT_NBUF 5
#define OPT_NC 12

typedef struct {
  float *b[OPT_NBUF];
  const float *c;
  long n;
  int kernel, nchunks;
} opt_job;

INLINE float opt_max_nan(float a, float b) { return (a != a || b != b) ? __builtin_nanf("") : (a >= b ? a : b); }

/*
 * The kernels run OPT_LANES elements at a time (clang vector extensions: four lanes of wasm SIMD,
 * eight of AVX natively), then finish with the scalar loop. Each lane does the scalar loop's
 * operations in its order, and IEEE division and square root round the same in SIMD, so both
 * give the reference's bits. Spelled out rather than left to the auto-vectoriser, which natively
 * kept these loops scalar (__builtin_sqrtf keeps its errno path there).
 */
#if !defined(__wasm__) && defined(__AVX__)
#define OPT_LANES 8
#else
#define OPT_LANES 4
#endif
typedef float vf __attribute__((vector_size(OPT_LANES * 4), aligned(4), may_alias));
typedef int vm __attribute__((vector_size(OPT_LANES * 4), aligned(4), may_alias));

INLINE vf vf_splat(float x) {
#if OPT_LANES == 8
  return (vf){x, x, x, x, x, x, x, x};
#else
  return (vf){x, x, x, x};
#endif
}
/* A vector of OPT_LANES floats at p (unaligned; may_alias: it reads and writes float arrays). */
#define VF(p) (*(vf *)(p))
INLINE vf vf_sqrt(vf x) {
#if OPT_LANES == 8
  return (vf)_mm256_sqrt_ps((__m256)x);
#else
  return (vf)wasm_f32x4_sqrt((v128_t)x);
#endif
}
/* opt_max_nan per lane: a compare and two selects, so -0/+0 and NaNs come out as the scalar's. */
INLINE vf vf_max_nan(vf a, vf b) {
  vm ge = (vm)(a >= b), nan = (vm)(a != a) | (vm)(b != b);
  vm r = ((vm)a & ge) | ((vm)b & ~ge);
  return (vf)((r & ~nan) | ((vm)vf_splat(__builtin_nanf("")) & nan));
}

/* Elements [s, e) but the last e - s mod OPT_LANES; returns where the scalar loop takes over. */
static long adam_lanes(float *const *b, const float *c, long s, long e) {
  float *p = b[0], *m = b[2], *v = b[3], *vmax = b[4];
  const float *g = b[1];
  const vf sign = vf_splat(c[0]), decay = vf_splat(c[1]), l2 = vf_splat(c[2]), b1 = vf_splat(c[3]), omb1 = vf_splat(c[4]);
  const vf b2 = vf_splat(c[5]), omb2 = vf_splat(c[6]), bc2 = vf_splat(c[7]), eps = vf_splat(c[8]), neg_step = vf_splat(c[9]);
  const int ams = c[10] == 1.0f, has_l2 = c[2] != 0.0f;
  long i = s;
  for (; i + OPT_LANES <= e; i += OPT_LANES) {
    vf d = VF(g + i) * sign;
    vf pi = VF(p + i) * decay;
    if (has_l2) d = d + pi * l2;
    vf mi = VF(m + i) * b1 + d * omb1;
    vf t = d * omb2;
    vf vi = VF(v + i) * b2 + t * d;
    VF(m + i) = mi;
    VF(v + i) = vi;
    vf second = vi;
    if (ams) second = VF(vmax + i) = vf_max_nan(VF(vmax + i), vi);
    vf denom = vf_sqrt(second) / bc2 + eps;
    VF(p + i) = pi + (mi * neg_step) / denom;
  }
  return i;
}

static void adam_range(float *const *b, const float *c, long s, long e) {
  float *p = b[0], *m = b[2], *v = b[3], *vmax = b[4];
  const float *g = b[1];
  const float sign = c[0], decay = c[1], l2 = c[2], b1 = c[3], omb1 = c[4], b2 = c[5], omb2 = c[6];
  const float bc2 = c[7], eps = c[8], neg_step = c[9];
  const int ams = c[10] == 1.0f;
  for (long i = adam_lanes(b, c, s, e); i < e; i++) {
    float d = g[i] * sign;
    float pi = p[i] * decay;
    if (l2 != 0.0f) d = d + pi * l2;
    float mi = m[i] * b1 + d * omb1;
    float t = d * omb2;
    float vi = v[i] * b2 + t * d;
    m[i] = mi;
    v[i] = vi;
    float second = vi;
    if (ams) second = vmax[i] = opt_max_nan(vmax[i], vi);
    float denom = __builtin_sqrtf(second) / bc2 + eps;
    p[i] = pi + (mi * neg_step) / denom;
  }
}

static long sgd_lanes(float *const *b, const float *c, long s, long e) {
  float *p = b[0], *buf = b[2];
  const float *g = b[1];
  const vf sign = vf_splat(c[0]), l2 = vf_splat(c[1]), mom = vf_splat(c[2]), omd = vf_splat(c[3]), neg_lr = vf_splat(c[5]);
  const int nesterov = c[4] == 1.0f, init = c[6] == 1.0f, has_mom = c[7] == 1.0f, has_l2 = c[1] != 0.0f;
  long i = s;
  for (; i + OPT_LANES <= e; i += OPT_LANES) {
    vf d = VF(g + i) * sign;
    vf pi = VF(p + i);
    if (has_l2) d = d + pi * l2;
    if (has_mom) {
      vf bi = init ? d : VF(buf + i) * mom + d * omd;
      VF(buf + i) = bi;
      d = nesterov ? d + bi * mom : bi;
    }
    VF(p + i) = pi + d * neg_lr;
  }
  return i;
}

static void sgd_range(float *const *b, const float *c, long s, long e) {
  float *p = b[0], *buf = b[2];
  const float *g = b[1];
  const float sign = c[0], l2 = c[1], mom = c[2], omd = c[3], neg_lr = c[5];
  const int nesterov = c[4] == 1.0f, init = c[6] == 1.0f, has_mom = c[7] == 1.0f;
  for (long i = sgd_lanes(b, c, s, e); i < e; i++) {
    float d = g[i] * sign;
    float pi = p[i];
    if (l2 != 0.0f) d = d + pi * l2;
    if (has_mom) {
      float bi = init ? d : buf[i] * mom + d * omd;
      buf[i] = bi;
      d = nesterov ? d + bi * mom : bi;
    }
    p[i] = pi + d * neg_lr;
  }
}

static long rmsprop_lanes(float *const *b, const float *c, long s, long e) {
  const vf sign = vf_splat(c[0]), l2 = vf_splat(c[1]), alpha = vf_splat(c[2]), oma = vf_splat(c[3]), eps = vf_splat(c[4]);
  const vf mom = vf_splat(c[5]), neg_lr = vf_splat(c[6]);
  const int centered = c[7] == 1.0f, has_mom = c[8] == 1.0f, has_l2 = c[1] != 0.0f;
  float *p = b[0], *sq = b[2], *ga = centered ? b[3] : 0, *buf = has_mom ? b[centered ? 4 : 3] : 0;
  const float *g = b[1];
  long i = s;
  for (; i + OPT_LANES <= e; i += OPT_LANES) {
    vf d = VF(g + i) * sign;
    vf pi = VF(p + i);
    if (has_l2) d = d + pi * l2;
    vf t = d * oma;
    vf si = VF(sq + i) * alpha + t * d;
    VF(sq + i) = si;
    vf avg;
    if (centered) {
      vf gi = VF(ga + i) * alpha + d * oma;
      VF(ga + i) = gi;
      vf neg = -gi * gi;
      avg = vf_sqrt(si + neg);
    } else {
      avg = vf_sqrt(si);
    }
    avg = avg + eps;
    if (has_mom) {
      vf bi = VF(buf + i) * mom + d / avg;
      VF(buf + i) = bi;
      VF(p + i) = pi + bi * neg_lr;
    } else {
      vf u = d * neg_lr;
      VF(p + i) = pi + u / avg;
    }
  }
  return i;
}

static void rmsprop_range(float *const *b, const float *c, long s, long e) {
  const float sign = c[0], l2 = c[1], alpha = c[2], oma = c[3], eps = c[4], mom = c[5], neg_lr = c[6];
  const int centered = c[7] == 1.0f, has_mom = c[8] == 1.0f;
  float *p = b[0], *sq = b[2], *ga = centered ? b[3] : 0, *buf = has_mom ? b[centered ? 4 : 3] : 0;
  const float *g = b[1];
  for (long i = rmsprop_lanes(b, c, s, e); i < e; i++) {
    float d = g[i] * sign;
    float pi = p[i];
    if (l2 != 0.0f) d = d + pi * l2;
    float t = d * oma;
    float si = sq[i] * alpha + t * d;
    sq[i] = si;
    float avg;
    if (centered) {
      float gi = ga[i] * alpha + d * oma;
      ga[i] = gi;
      float neg = -gi * gi;
      avg = __builtin_sqrtf(si + neg);
    } else {
      avg = __builtin_sqrtf(si);
    }
    avg = avg + eps;
    if (has_mom) {
      float bi = buf[i] * mom + d / avg;
      buf[i] = bi;
      p[i] = pi + bi * neg_lr;
    } else {
      float u = d * neg_lr;
      p[i] = pi + u / avg;
    }
  }
}

static void opt_range(const opt_job *J, long s, long e) {
  switch (J->kernel) {
    case OPT_ADAM: adam_range(J->b, J->c, s, e); break;
    case OPT_SGD: sgd_range(J->b, J->c, s, e); break;
    default: rmsprop_range(J->b, J->c, s, e); break;
  }
}

static void opt_task(const void *args, int chunk, int tid) {
  const opt_job *J = args;
  long per = (J->n + J->nchunks - 1) / J->nchunks;
  per = (per + 15) & ~15L;
  long s = per * chunk, e = s + per;
  if (e > J->n) e = J->n;
  if (s < e) opt_range(J, s, e);
}

/*
 * bufs: OPT_NBUF pointers (unused ones 0; 32-bit in wasm32, 64-bit natively), consts: OPT_NC floats, both in the descriptor area.
 * Small parameters run on the calling thread: a hand-off costs more than the pass.
 */
EXPORT(optimizer_step) void optimizer_step(int kernel, const intptr_t *bufs, const float *consts, long n) {
  opt_job J;
  for (int i = 0; i < OPT_NBUF; i++) J.b[i] = (float *)bufs[i];
  J.c = consts;
  J.n = n;
  J.kernel = kernel;
  J.nchunks = chunk_count(n, 1 << 15);
  if (J.nchunks == 1) opt_range(&J, 0, n);
  else parallel_for(opt_task, &J, J.nchunks);
}
