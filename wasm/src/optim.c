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

AVX512_CLONE static void adam_range(float *const *b, const float *c, long s, long e) {
  float *p = b[0], *m = b[2], *v = b[3], *vmax = b[4];
  const float *g = b[1];
  const float sign = c[0], decay = c[1], l2 = c[2], b1 = c[3], omb1 = c[4], b2 = c[5], omb2 = c[6];
  const float bc2 = c[7], eps = c[8], neg_step = c[9];
  const int ams = c[10] == 1.0f;
  for (long i = s; i < e; i++) {
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

AVX512_CLONE static void sgd_range(float *const *b, const float *c, long s, long e) {
  float *p = b[0], *buf = b[2];
  const float *g = b[1];
  const float sign = c[0], l2 = c[1], mom = c[2], omd = c[3], neg_lr = c[5];
  const int nesterov = c[4] == 1.0f, init = c[6] == 1.0f, has_mom = c[7] == 1.0f;
  for (long i = s; i < e; i++) {
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

AVX512_CLONE static void rmsprop_range(float *const *b, const float *c, long s, long e) {
  const float sign = c[0], l2 = c[1], alpha = c[2], oma = c[3], eps = c[4], mom = c[5], neg_lr = c[6];
  const int centered = c[7] == 1.0f, has_mom = c[8] == 1.0f;
  float *p = b[0], *sq = b[2], *ga = centered ? b[3] : 0, *buf = has_mom ? b[centered ? 4 : 3] : 0;
  const float *g = b[1];
  for (long i = s; i < e; i++) {
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
 * Parameters of up to 64K elements run on the calling thread: a hand-off costs more than the pass
 * (a 256 x 256 weight's Adam step, 2 threads, a training step's gaps between calls: median 164 us
 * split in two chunks, 118 us on one thread).
 */
EXPORT(optimizer_step) void optimizer_step(int kernel, const intptr_t *bufs, const float *consts, long n) {
  opt_job J;
  for (int i = 0; i < OPT_NBUF; i++) J.b[i] = (float *)bufs[i];
  J.c = consts;
  J.n = n;
  J.kernel = kernel;
  J.nchunks = chunk_count(n, 1 << 16);
  if (J.nchunks == 1) opt_range(&J, 0, n);
  else parallel_for(opt_task, &J, J.nchunks);
}
