/*
 * Reductions (sum, max, min, prod) and argmax/argmin over strided views.
 *
 * Descriptor from JS: [nk, kept shape..., kept strides..., nr, reduced shape..., reduced strides...]
 * (each group coalesced; output order = kept dims in order). Two layouts:
 *  - row: the innermost reduced dimension is contiguous (or nothing is): each output reduces runs
 *    with SIMD, float32 sums are carried in blocks and added up in double;
 *  - column: the innermost kept dimension is contiguous: a block of up to 256 neighbouring outputs
 *    accumulates one reduced row at a time (e.g. sum over the batch of [B, F]).
 * With few outputs and a long reduction, the outermost reduced dimension is split across threads
 * and the partial results combined.
 */
#include "vmath.h"

#include "ops.gen.h" /* R_* and A_* codes, generated from the op table */
#define RMAXD 16
#define COLB 256

typedef struct {
  int op, dt;
  const char *x;
  char *out;
  int nk, nr;
  const int *kshape, *kst, *rshape, *rst;
  long long nout;
  int col;    /* column layout */
  int split;  /* number of parts of reduced dim 0 (1 = none) */
  int ocks;   /* output chunks */
  int nchunks;
  double *partial; /* [split][nout] when split > 1 (f32) */
  int32_t *ipartial;
} red_job;

static double g_partial[64 * 16];
static int32_t g_ipartial[64 * 16];

INLINE double comb_d(int op, double a, double b) {
  switch (op) {
    case R_SUM: return a + b;
    case R_PROD: return a * b;
    case R_MAX: return (a != a || b != b) ? (a + b) : (a > b ? a : b);
    default: return (a != a || b != b) ? (a + b) : (a < b ? a : b);
  }
}
INLINE int32_t comb_i(int op, int32_t a, int32_t b) {
  switch (op) {
    case R_SUM: return (int32_t)((uint32_t)a + (uint32_t)b);
    case R_PROD: return (int32_t)((uint32_t)a * (uint32_t)b);
    case R_MAX: return a > b ? a : b;
    default: return a < b ? a : b;
  }
}
INLINE double ident_d(int op) {
  return op == R_SUM ? 0.0 : op == R_PROD ? 1.0 : op == R_MAX ? -__builtin_inf() : __builtin_inf();
}
INLINE int32_t ident_i(int op) {
  return op == R_SUM ? 0 : op == R_PROD ? 1 : op == R_MAX ? (int32_t)0x80000000 : 0x7fffffff;
}

INLINE float hsum(v4 v) {
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

/* Reduces n floats at p (stride s). Sums are accumulated per 1024-element block in float lanes and
 * the block sums in double. */
static double run_f32(int op, const float *p, int s, int n) {
  if (s != 1) {
    double acc = ident_d(op);
    if (op == R_SUM) {
      for (int i0 = 0; i0 < n; i0 += 1024) {
        int e = imin(n, i0 + 1024);
        float t = 0.f;
        for (int i = i0; i < e; i++) t += p[(long)i * s];
        acc += t;
      }
    } else {
      for (int i = 0; i < n; i++) acc = comb_d(op, acc, p[(long)i * s]);
    }
    return acc;
  }
  int i = 0;
  if (op == R_SUM) {
    double acc = 0;
    while (i + 16 <= n) {
      v4 a0 = F4(0.f), a1 = a0, a2 = a0, a3 = a0;
      int e = imin(n, i + 1024);
      for (; i + 16 <= e; i += 16) {
        a0 = wasm_f32x4_add(a0, VLOAD(p + i));
        a1 = wasm_f32x4_add(a1, VLOAD(p + i + 4));
        a2 = wasm_f32x4_add(a2, VLOAD(p + i + 8));
        a3 = wasm_f32x4_add(a3, VLOAD(p + i + 12));
      }
      acc += hsum(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)));
    }
    float t = 0.f;
    for (; i < n; i++) t += p[i];
    return acc + t;
  }
  if (n >= 8) {
    v4 a0 = VLOAD(p), a1 = VLOAD(p + 4);
    for (i = 8; i + 8 <= n; i += 8) {
      v4 x0 = VLOAD(p + i), x1 = VLOAD(p + i + 4);
      if (op == R_MAX) a0 = wasm_f32x4_max(a0, x0), a1 = wasm_f32x4_max(a1, x1);
      else if (op == R_MIN) a0 = wasm_f32x4_min(a0, x0), a1 = wasm_f32x4_min(a1, x1);
      else a0 = wasm_f32x4_mul(a0, x0), a1 = wasm_f32x4_mul(a1, x1);
    }
    float t[8] __attribute__((aligned(16)));
    VSTORE(t, a0);
    VSTORE(t + 4, a1);
    double acc = t[0];
    for (int j = 1; j < 8; j++) acc = comb_d(op, acc, t[j]);
    for (; i < n; i++) acc = comb_d(op, acc, p[i]);
    return acc;
  }
  double acc = ident_d(op);
  for (; i < n; i++) acc = comb_d(op, acc, p[i]);
  return acc;
}

static int32_t run_i32(int op, const int32_t *p, int s, int n) {
  int32_t acc = ident_i(op);
  if (s == 1 && n >= 4 && op != R_PROD) {
    v4 a = VLOAD(p);
    int i = 4;
    for (; i + 4 <= n; i += 4) {
      v4 x = VLOAD(p + i);
      a = op == R_SUM ? wasm_i32x4_add(a, x) : op == R_MAX ? wasm_i32x4_max(a, x) : wasm_i32x4_min(a, x);
    }
    for (int j = 0; j < 4; j++) acc = comb_i(op, acc, wasm_i32x4_extract_lane(a, 0)), a = wasm_i32x4_shuffle(a, a, 1, 2, 3, 0);
    for (; i < n; i++) acc = comb_i(op, acc, p[i]);
    return acc;
  }
  for (int i = 0; i < n; i++) acc = comb_i(op, acc, p[(long)i * s]);
  return acc;
}

/* Offset (elements) of kept multi-index for output number o. */
static long kept_offset(const red_job *J, long long o) {
  long off = 0;
  for (int d = J->nk - 1; d >= 0; d--) {
    off += (long)(o % J->kshape[d]) * J->kst[d];
    o /= J->kshape[d];
  }
  return off;
}

/* Reduces one output (row layout), reduced dim 0 limited to [rb, re). */
static void reduce_row(const red_job *J, long base, int rb, int re, double *accd, int32_t *acci) {
  int nr = J->nr, last = nr - 1;
  int idx[RMAXD];
  for (int d = 0; d < nr; d++) idx[d] = 0;
  idx[0] = rb;
  int n_in = J->rshape[last], s_in = J->rst[last];
  int in_b = 0;
  if (nr == 1) {
    in_b = rb;
    n_in = re - rb;
  }
  double ad = ident_d(J->op);
  int32_t ai = ident_i(J->op);
  for (;;) {
    long off = base;
    for (int d = 0; d < last; d++) off += (long)idx[d] * J->rst[d];
    off += (long)in_b * s_in;
    if (J->dt == 0) ad = comb_d(J->op, ad, run_f32(J->op, (const float *)J->x + off, s_in, n_in));
    else ai = comb_i(J->op, ai, run_i32(J->op, (const int32_t *)J->x + off, s_in, n_in));
    int d = last - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      int lim = d == 0 ? re : J->rshape[d];
      if (idx[d] < lim) break;
      idx[d] = d == 0 ? rb : 0;
    }
    if (d < 0) break;
  }
  *accd = ad;
  *acci = ai;
}

/* Column layout: outputs [o0, o0 + nb) are contiguous in x along the innermost kept dim. */
static void reduce_cols(const red_job *J, long base, int nb, int rb, int re, double *outd, int32_t *outi) {
  int nr = J->nr;
  int idx[RMAXD];
  for (int d = 0; d < nr; d++) idx[d] = 0;
  idx[0] = rb;
  int op = J->op;
  if (J->dt == 0) {
    float tot[COLB] __attribute__((aligned(16)));
    float blk[COLB] __attribute__((aligned(16)));
    float id = (float)ident_d(op);
    for (int j = 0; j < nb; j++) tot[j] = id, blk[j] = id;
    int cnt = 0;
    for (;;) {
      long off = base;
      for (int d = 0; d < nr; d++) off += (long)idx[d] * J->rst[d];
      const float *p = (const float *)J->x + off;
      int j = 0;
      switch (op) {
        case R_SUM: for (; j + 4 <= nb; j += 4) VSTORE(blk + j, wasm_f32x4_add(VLOAD(blk + j), VLOAD(p + j))); for (; j < nb; j++) blk[j] += p[j]; break;
        case R_PROD: for (; j + 4 <= nb; j += 4) VSTORE(blk + j, wasm_f32x4_mul(VLOAD(blk + j), VLOAD(p + j))); for (; j < nb; j++) blk[j] *= p[j]; break;
        case R_MAX: for (; j + 4 <= nb; j += 4) VSTORE(blk + j, wasm_f32x4_max(VLOAD(blk + j), VLOAD(p + j))); for (; j < nb; j++) blk[j] = (float)comb_d(op, blk[j], p[j]); break;
        default: for (; j + 4 <= nb; j += 4) VSTORE(blk + j, wasm_f32x4_min(VLOAD(blk + j), VLOAD(p + j))); for (; j < nb; j++) blk[j] = (float)comb_d(op, blk[j], p[j]); break;
      }
      if (op == R_SUM && ++cnt == 256) {
        for (j = 0; j < nb; j++) tot[j] += blk[j], blk[j] = 0.f;
        cnt = 0;
      }
      int d = nr - 1;
      for (; d >= 0; d--) {
        idx[d]++;
        int lim = d == 0 ? re : J->rshape[d];
        if (idx[d] < lim) break;
        idx[d] = d == 0 ? rb : 0;
      }
      if (d < 0) break;
    }
    if (op == R_SUM)
      for (int j = 0; j < nb; j++) outd[j] = (double)tot[j] + (double)blk[j];
    else
      for (int j = 0; j < nb; j++) outd[j] = blk[j];
  } else {
    int32_t acc[COLB];
    for (int j = 0; j < nb; j++) acc[j] = ident_i(op);
    for (;;) {
      long off = base;
      for (int d = 0; d < nr; d++) off += (long)idx[d] * J->rst[d];
      const int32_t *p = (const int32_t *)J->x + off;
      for (int j = 0; j < nb; j++) acc[j] = comb_i(op, acc[j], p[j]);
      int d = nr - 1;
      for (; d >= 0; d--) {
        idx[d]++;
        int lim = d == 0 ? re : J->rshape[d];
        if (idx[d] < lim) break;
        idx[d] = d == 0 ? rb : 0;
      }
      if (d < 0) break;
    }
    for (int j = 0; j < nb; j++) outi[j] = acc[j];
  }
}

/* Output chunk c covers outputs [c*per, ...); in column layout, whole column blocks. */
static void red_task(const void *args, int chunk, int tid) {
  const red_job *J = args;
  int part = chunk % J->split, oc = chunk / J->split;
  int r0 = J->rshape[0];
  int rb = (int)((long long)r0 * part / J->split), re = (int)((long long)r0 * (part + 1) / J->split);
  long long per = (J->nout + J->ocks - 1) / J->ocks;
  long long o0 = (long long)oc * per, o1 = o0 + per;
  if (o1 > J->nout) o1 = J->nout;
  if (J->col) {
    int inner = J->kshape[J->nk - 1];
    double td[COLB];
    int32_t ti[COLB];
    long long o = o0;
    while (o < o1) {
      int within = (int)(o % inner);
      int nb = imin(COLB, inner - within);
      if (nb > o1 - o) nb = (int)(o1 - o);
      reduce_cols(J, kept_offset(J, o), nb, rb, re, td, ti);
      for (int j = 0; j < nb; j++) {
        if (J->split > 1) {
          if (J->dt == 0) J->partial[part * J->nout + o + j] = td[j];
          else J->ipartial[part * J->nout + o + j] = ti[j];
        } else if (J->dt == 0) ((float *)J->out)[o + j] = (float)td[j];
        else ((int32_t *)J->out)[o + j] = ti[j];
      }
      o += nb;
    }
  } else {
    int nk = J->nk, idx[RMAXD];
    long base = 0;
    long long q = o0;
    for (int d = nk - 1; d >= 0; d--) {
      idx[d] = (int)(q % J->kshape[d]);
      base += (long)idx[d] * J->kst[d];
      q /= J->kshape[d];
    }
    for (long long o = o0; o < o1; o++) {
      double d;
      int32_t i;
      reduce_row(J, base, rb, re, &d, &i);
      for (int k = nk - 1; k >= 0; k--) {
        idx[k]++;
        base += J->kst[k];
        if (idx[k] < J->kshape[k]) break;
        base -= (long)idx[k] * J->kst[k];
        idx[k] = 0;
      }
      if (J->split > 1) {
        if (J->dt == 0) J->partial[part * J->nout + o] = d;
        else J->ipartial[part * J->nout + o] = i;
      } else if (J->dt == 0) ((float *)J->out)[o] = (float)d;
      else ((int32_t *)J->out)[o] = i;
    }
  }
}

/* dt: 0 float32, 1 int32. Returns 0 if unsupported. */
EXPORT(reduce) int reduce(int op, int dt, char *out, const char *x, const int *desc) {
  if (dt != 0 && dt != 1) return 0;
  red_job J;
  J.op = op;
  J.dt = dt;
  J.x = x;
  J.out = out;
  J.nk = desc[0];
  J.kshape = desc + 1;
  J.kst = desc + 1 + J.nk;
  J.nr = desc[1 + 2 * J.nk];
  J.rshape = desc + 2 + 2 * J.nk;
  J.rst = J.rshape + J.nr;
  long long nout = 1, nred = 1;
  for (int d = 0; d < J.nk; d++) nout *= J.kshape[d];
  for (int d = 0; d < J.nr; d++) nred *= J.rshape[d];
  J.nout = nout;
  if (nout == 0) return 1;
  if (nred == 0 || J.nr == 0) {
    /* empty reduction: identity (nr == 0 means copy, handled by JS) */
    for (long long o = 0; o < nout; o++) {
      if (dt == 0) ((float *)out)[o] = (float)ident_d(op);
      else ((int32_t *)out)[o] = ident_i(op);
    }
    return 1;
  }
  int kin = J.nk ? J.kst[J.nk - 1] : 0;
  int rin = J.rst[J.nr - 1];
  J.col = J.nk > 0 && kin == 1 && rin != 1 && J.kshape[J.nk - 1] >= 4;
  int threads = usable_threads();
  long long work = nout * nred;
  J.split = 1;
  if (threads > 1 && nout < 16 && work >= 65536 && J.rshape[0] >= 2 * threads) {
    J.split = imin(J.rshape[0], imin(64, threads * 4));
    J.partial = g_partial;
    J.ipartial = g_ipartial;
  }
  /* output chunks: aim for >= 64K elements of input per chunk. A smaller reduction (a bias
   * gradient, 128 x 256) takes a few microseconds on one thread, less than waking a worker: with
   * 16K it was split in two and ran twice as long on 2 threads as on 1 (BENCH.md MLP step). */
  long long per_out = nred;
  long long grain = per_out >= 65536 ? 1 : (65536 + per_out - 1) / per_out;
  J.ocks = J.split > 1 ? 1 : chunk_count(nout, grain);
  J.nchunks = J.ocks * J.split;
  parallel_for(red_task, &J, J.nchunks);
  if (J.split > 1) {
    for (long long o = 0; o < nout; o++) {
      if (dt == 0) {
        double a = J.partial[o];
        for (int p = 1; p < J.split; p++) a = comb_d(op, a, J.partial[p * nout + o]);
        ((float *)out)[o] = (float)a;
      } else {
        int32_t a = J.ipartial[o];
        for (int p = 1; p < J.split; p++) a = comb_i(op, a, J.ipartial[p * nout + o]);
        ((int32_t *)out)[o] = a;
      }
    }
  }
  return 1;
}

typedef struct {
  int op, dt; /* A_ARGMAX or A_ARGMIN */
  const char *x;
  int32_t *out;
  int nk;
  const int *kshape, *kst;
  int n, s;
  long long nout;
  int nchunks;
} arg_job;

/* Scalar argmax/argmin of n values at p (stride s); the first NaN wins, as in PyTorch. */
static int arg_one(const arg_job *J, long off) {
  int best = 0;
  if (J->dt == 0) {
    const float *p = (const float *)J->x + off;
    float bv = p[0];
    if (bv == bv) {
      for (int i = 1; i < J->n; i++) {
        float v = p[(long)i * J->s];
        if (v != v) { best = i; break; }
        if (J->op == A_ARGMAX ? v > bv : v < bv) bv = v, best = i;
      }
    }
  } else {
    const int32_t *p = (const int32_t *)J->x + off;
    int32_t bv = p[0];
    for (int i = 1; i < J->n; i++) {
      int32_t v = p[(long)i * J->s];
      if (J->op == A_ARGMAX ? v > bv : v < bv) bv = v, best = i;
    }
  }
  return best;
}

/* Four neighbouring outputs at once (float32, outputs contiguous in x). */
static v4 arg_four_f32(const arg_job *J, const float *p) {
  v4 bv = VLOAD(p), bi = I4(0);
  v4 bnan = wasm_f32x4_ne(bv, bv);
  for (int i = 1; i < J->n; i++) {
    v4 v = VLOAD(p + (long)i * J->s);
    v4 better = J->op == A_ARGMAX ? wasm_f32x4_gt(v, bv) : wasm_f32x4_lt(v, bv);
    v4 vnan = wasm_f32x4_ne(v, v);
    v4 take = wasm_v128_andnot(wasm_v128_or(better, vnan), bnan);
    bv = vsel(take, v, bv);
    bi = vsel(take, wasm_i32x4_splat(i), bi);
    bnan = wasm_v128_or(bnan, vnan);
  }
  return bi;
}

static void arg_task(const void *args, int chunk, int tid) {
  const arg_job *J = args;
  long long per = (J->nout + J->nchunks - 1) / J->nchunks;
  long long o0 = (long long)chunk * per, o1 = o0 + per;
  if (o1 > J->nout) o1 = J->nout;
  if (o0 >= o1) return;
  int nk = J->nk, idx[RMAXD];
  long off = 0;
  long long r = o0;
  for (int d = nk - 1; d >= 0; d--) {
    idx[d] = (int)(r % J->kshape[d]);
    off += (long)idx[d] * J->kst[d];
    r /= J->kshape[d];
  }
  int inner = nk ? J->kshape[nk - 1] : 1, ist = nk ? J->kst[nk - 1] : 0;
  int vec = J->dt == 0 && nk > 0 && ist == 1;
  long long o = o0;
  while (o < o1) {
    /* a run along the innermost kept dim */
    int m = inner - (nk ? idx[nk - 1] : 0);
    if (m > o1 - o) m = (int)(o1 - o);
    int j = 0;
    if (vec)
      for (; j + 4 <= m; j += 4) VSTORE(J->out + o + j, arg_four_f32(J, (const float *)J->x + off + j));
    for (; j < m; j++) J->out[o + j] = arg_one(J, off + (long)j * ist);
    o += m;
    if (nk == 0) break;
    off += (long)m * ist;
    idx[nk - 1] += m;
    for (int d = nk - 1; d > 0 && idx[d] >= J->kshape[d]; d--) {
      off -= (long)idx[d] * J->kst[d];
      idx[d] = 0;
      idx[d - 1]++;
      off += J->kst[d - 1];
    }
  }
}

/* desc: [nk, kept shape..., kept strides..., n, stride]. */
EXPORT(arg_reduce) int arg_reduce(int op, int dt, int32_t *out, const char *x, const int *desc) {
  if (dt != 0 && dt != 1) return 0;
  arg_job J;
  J.op = op;
  J.dt = dt;
  J.x = x;
  J.out = out;
  J.nk = desc[0];
  J.kshape = desc + 1;
  J.kst = desc + 1 + J.nk;
  J.n = desc[1 + 2 * J.nk];
  J.s = desc[2 + 2 * J.nk];
  long long nout = 1;
  for (int d = 0; d < J.nk; d++) nout *= J.kshape[d];
  J.nout = nout;
  if (nout == 0) return 1;
  long long grain = J.n >= 16384 ? 1 : (16384 + J.n - 1) / J.n;
  J.nchunks = chunk_count(nout, grain);
  parallel_for(arg_task, &J, J.nchunks);
  return 1;
}
