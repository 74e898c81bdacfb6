/*
 * Elementwise kernels over strided views: unary, binary, where, cast, copy (contiguous()).
 *
 * The JS side coalesces dimensions and passes a descriptor [ndim, shape..., strides of input 0...,
 * strides of input 1..., ...] (strides in elements, offsets already folded into the pointers); the
 * output is contiguous. Work is cut into chunks of the flattened output; each chunk walks rows of
 * the innermost dimension. A row whose input is not contiguous is gathered into a small stack
 * buffer first (stride 0 becomes a splat), so every op needs only one contiguous SIMD loop.
 */
#include "vmath.h"
#include "ops.gen.h" /* op codes and per-op cases, generated from the op table */

enum { DT_F32 = 0, DT_I32 = 1, DT_BOOL = 2 };


#define MAXD 16
#define TB 256 /* elements per gathered block */

typedef struct {
  int ndim, nin;
  const int *shape;
  const int *strides[3];
  const char *in[3];
  int insz[3]; /* element sizes */
  char *out;
  int outsz;
  int op, dt, dt2;
  long long total;
  int nchunks;
  void (*block)(const void *job, char *out, const char *const *p, int n); /* contiguous block */
} ew_job;

static const ew_job *ew_desc(ew_job *J, const int *desc, int nin) {
  J->ndim = desc[0];
  J->nin = nin;
  J->shape = desc + 1;
  for (int k = 0; k < nin; k++) J->strides[k] = desc + 1 + J->ndim * (k + 1);
  long long t = 1;
  for (int d = 0; d < J->ndim; d++) t *= J->shape[d];
  J->total = t;
  return J;
}

/* Copies n elements of size sz with stride s (elements) into a contiguous buffer. */
static void gather(char *dst, const char *src, int s, int n, int sz) {
  if (sz == 4) {
    const int32_t *a = (const int32_t *)src;
    int32_t *d = (int32_t *)dst;
    if (s == 0) {
      v4 v = wasm_i32x4_splat(a[0]);
      int i = 0;
      for (; i + 4 <= n; i += 4) VSTORE(d + i, v);
      for (; i < n; i++) d[i] = a[0];
    } else {
      for (int i = 0; i < n; i++) d[i] = a[(long)i * s];
    }
  } else if (sz == 1) {
    if (s == 0) __builtin_memset(dst, src[0], n);
    else for (int i = 0; i < n; i++) dst[i] = src[(long)i * s];
  } else {
    const int64_t *a = (const int64_t *)src;
    int64_t *d = (int64_t *)dst;
    for (int i = 0; i < n; i++) d[i] = a[(long)i * s];
  }
}

/* Processes one row segment: n elements starting at input pointers p with innermost strides s. */
static void ew_row(const ew_job *J, char *out, const char **p, const int *s, int n) {
  int contiguous = 1;
  for (int k = 0; k < J->nin; k++) contiguous &= s[k] == 1;
  if (contiguous) {
    J->block(J, out, p, n);
    return;
  }
  char tmp[3][TB * 8] __attribute__((aligned(16)));
  for (int i0 = 0; i0 < n; i0 += TB) {
    int m = imin(TB, n - i0);
    const char *q[3];
    for (int k = 0; k < J->nin; k++) {
      const char *src = p[k] + (long)i0 * s[k] * J->insz[k];
      if (s[k] == 1) q[k] = src;
      else {
        /* a broadcast (stride-0) operand is splatted once per row */
        if (s[k] != 0 || i0 == 0) gather(tmp[k], src, s[k], m, J->insz[k]);
        q[k] = tmp[k];
      }
    }
    J->block(J, out + (long)i0 * J->outsz, q, m);
  }
}

static void ew_chunk(const void *args, int chunk, int tid) {
  const ew_job *J = args;
  long long per = (J->total + J->nchunks - 1) / J->nchunks;
  long long s = (long long)chunk * per, e = s + per;
  if (e > J->total) e = J->total;
  if (s >= e) return;
  int nd = J->ndim, last = nd - 1;
  int idx[MAXD];
  long long r = s;
  for (int d = last; d >= 0; d--) {
    idx[d] = (int)(r % J->shape[d]);
    r /= J->shape[d];
  }
  int sl[3];
  for (int k = 0; k < J->nin; k++) sl[k] = J->strides[k][last];
  long long pos = s;
  while (pos < e) {
    const char *p[3];
    for (int k = 0; k < J->nin; k++) {
      long off = 0;
      for (int d = 0; d < nd; d++) off += (long)idx[d] * J->strides[k][d];
      p[k] = J->in[k] + off * J->insz[k];
    }
    int n = J->shape[last] - idx[last];
    if (n > e - pos) n = (int)(e - pos);
    ew_row(J, J->out + pos * J->outsz, p, sl, n);
    pos += n;
    idx[last] += n;
    for (int d = last; d > 0 && idx[d] >= J->shape[d]; d--) {
      idx[d] = 0;
      idx[d - 1]++;
    }
  }
}

static void ew_run(ew_job *J, long long grain) {
  if (J->total == 0) return;
  if (J->ndim == 0) { /* scalar */
    J->ndim = 1;
    static const int one[1] = {1};
    static const int zero[1] = {0};
    J->shape = one;
    for (int k = 0; k < J->nin; k++) J->strides[k] = zero;
  }
  J->nchunks = chunk_count(J->total, grain);
  parallel_for(ew_chunk, J, J->nchunks);
}

/* ---- contiguous block kernels ---- */

/* Loads up to 3 trailing floats (rest zero). */
INLINE v4 load_tail(const void *p, int n) {
  int32_t t[4] __attribute__((aligned(16))) = {0, 0, 0, 0};
  __builtin_memcpy(t, p, (size_t)n * 4);
  return VLOAD(t);
}
INLINE void store_tail(void *p, v4 v, int n) {
  int32_t t[4] __attribute__((aligned(16)));
  VSTORE(t, v);
  __builtin_memcpy(p, t, (size_t)n * 4);
}

#define MAP1(EXPR)                                                     \
  {                                                                    \
    int i = 0;                                                         \
    for (; i + 4 <= n; i += 4) {                                       \
      v4 x = VLOAD(a + i);                                             \
      VSTORE(o + i, (EXPR));                                           \
    }                                                                  \
    if (i < n) {                                                       \
      v4 x = load_tail(a + i, n - i);                                  \
      store_tail(o + i, (EXPR), n - i);                                \
    }                                                                  \
  }                                                                    \
  break;

#define MAP2(EXPR)                                                     \
  {                                                                    \
    int i = 0;                                                         \
    for (; i + 4 <= n; i += 4) {                                       \
      v4 x = VLOAD(a + i), y = VLOAD(b + i);                           \
      VSTORE(o + i, (EXPR));                                           \
    }                                                                  \
    if (i < n) {                                                       \
      v4 x = load_tail(a + i, n - i), y = load_tail(b + i, n - i);     \
      store_tail(o + i, (EXPR), n - i);                                \
    }                                                                  \
  }                                                                    \
  break;

/* Writes 0/1 bytes from 4-lane masks (all ones = true). */
#define MAPCMP2(EXPR)                                                   \
  {                                                                    \
    int i = 0;                                                         \
    for (; i + 16 <= n; i += 16) {                                     \
      v4 x, y, m0, m1, m2, m3;                                         \
      x = VLOAD(a + i), y = VLOAD(b + i), m0 = (EXPR);                 \
      x = VLOAD(a + i + 4), y = VLOAD(b + i + 4), m1 = (EXPR);         \
      x = VLOAD(a + i + 8), y = VLOAD(b + i + 8), m2 = (EXPR);         \
      x = VLOAD(a + i + 12), y = VLOAD(b + i + 12), m3 = (EXPR);       \
      v4 h0 = wasm_i16x8_narrow_i32x4(m0, m1);                         \
      v4 h1 = wasm_i16x8_narrow_i32x4(m2, m3);                         \
      v4 bb = wasm_i8x16_narrow_i16x8(h0, h1);                         \
      VSTORE(o + i, wasm_v128_and(bb, wasm_i8x16_splat(1)));           \
    }                                                                  \
    for (; i < n; i += 4) {                                            \
      int m = imin(4, n - i);                                          \
      v4 x = load_tail(a + i, m), y = load_tail(b + i, m);             \
      v4 r = (EXPR);                                                   \
      for (int j = 0; j < m; j++) o[i + j] = (uint8_t)(wasm_i32x4_extract_lane(r, 0) & 1), r = wasm_i32x4_shuffle(r, r, 1, 2, 3, 0); \
    }                                                                  \
  }                                                                    \
  break;

/* MAPCMP2 for one operand (unary predicates). */
#define MAPCMP1(EXPR)                                                  \
  {                                                                    \
    int i = 0;                                                         \
    for (; i + 16 <= n; i += 16) {                                     \
      v4 x, m0, m1, m2, m3;                                            \
      x = VLOAD(a + i), m0 = (EXPR);                                   \
      x = VLOAD(a + i + 4), m1 = (EXPR);                               \
      x = VLOAD(a + i + 8), m2 = (EXPR);                               \
      x = VLOAD(a + i + 12), m3 = (EXPR);                              \
      v4 h0 = wasm_i16x8_narrow_i32x4(m0, m1);                         \
      v4 h1 = wasm_i16x8_narrow_i32x4(m2, m3);                         \
      v4 bb = wasm_i8x16_narrow_i16x8(h0, h1);                         \
      VSTORE(o + i, wasm_v128_and(bb, wasm_i8x16_splat(1)));           \
    }                                                                  \
    for (; i < n; i += 4) {                                            \
      int m = imin(4, n - i);                                          \
      v4 x = load_tail(a + i, m);                                      \
      v4 r = (EXPR);                                                   \
      for (int j = 0; j < m; j++) o[i + j] = (uint8_t)(wasm_i32x4_extract_lane(r, 0) & 1), r = wasm_i32x4_shuffle(r, r, 1, 2, 3, 0); \
    }                                                                  \
  }                                                                    \
  break;

static void blk_unary_f32(const void *job, char *out, const char *const *p, int n) {
  const ew_job *J = job;
  const float *a = (const float *)p[0];
  float *o = (float *)out;
  uint8_t *ob = (uint8_t *)out;
  switch (J->op) { UNARY_F32_CASES }
}

static void blk_unary_i32(const void *job, char *out, const char *const *p, int n) {
  const ew_job *J = job;
  const int32_t *a = (const int32_t *)p[0];
  int32_t *o = (int32_t *)out;
  uint8_t *ob = (uint8_t *)out;
  switch (J->op) { UNARY_I32_CASES }
}

/* logicalNot of bool (byte) operands. */
static void blk_not_bool(const void *job, char *out, const char *const *p, int n) {
  const uint8_t *a = (const uint8_t *)p[0];
  uint8_t *o = (uint8_t *)out;
  for (int i = 0; i < n; i++) o[i] = a[i] == 0;
}

/* Returns 0 when (op, dtype) is not handled here (the JS side then falls back). */
EXPORT(ew_unary) int ew_unary(int op, int dt, char *out, const char *x, const int *desc) {
  if (op < 0 || op >= U_COUNT) return 0;
  ew_job J;
  ew_desc(&J, desc, 1);
  J.in[0] = x;
  J.insz[0] = dt == DT_BOOL ? 1 : 4;
  J.out = out;
  J.op = op;
  J.dt = dt;
  J.outsz = UNARY_IS_PREDICATE(op) ? 1 : 4;
  if (dt == DT_BOOL && op == U_LOGICAL_NOT) J.block = blk_not_bool;
  else if (dt == DT_F32) J.block = blk_unary_f32;
  else if (dt == DT_I32 && UNARY_HAS_I32(op)) J.block = blk_unary_i32;
  else return 0;
  ew_run(&J, UNARY_HEAVY(op) ? 8192 : 32768);
  return 1;
}

/* pow with one exponent for the whole row: the common exponents exactly; 0 when not one of them. */
static int pow_row_scalar(const float *a, float e, float *o, int n) {
  int k = e == 2.0f ? 1 : e == 1.0f ? 2 : e == 0.5f ? 3 : e == 3.0f ? 4 : e == -1.0f ? 5 : 0;
  switch (k) {
    case 1: MAP1(wasm_f32x4_mul(x, x))
    case 2: MAP1(x)
    case 3: MAP1(vsel(wasm_f32x4_eq(x, F4(-__builtin_inff())), F4(__builtin_inff()), wasm_f32x4_sqrt(x)))
    case 4: MAP1(wasm_f32x4_mul(wasm_f32x4_mul(x, x), x))
    case 5: MAP1(wasm_f32x4_div(F4(1.0f), x))
  }
  return k;
}

static void blk_binary_f32(const void *job, char *out, const char *const *p, int n) {
  const ew_job *J = job;
  const float *a = (const float *)p[0], *b = (const float *)p[1];
  float *o = (float *)out;
  uint8_t *ob = (uint8_t *)out;
  if (J->op == B_POW && (J->strides[1][J->ndim - 1] == 0 || n == 1) && pow_row_scalar(a, b[0], o, n)) return;
  switch (J->op) { BINARY_F32_CASES }
}

static void blk_binary_i32(const void *job, char *out, const char *const *p, int n) {
  const ew_job *J = job;
  const int32_t *a = (const int32_t *)p[0], *b = (const int32_t *)p[1];
  int32_t *o = (int32_t *)out;
  uint8_t *ob = (uint8_t *)out;
  switch (J->op) { BINARY_I32_CASES }
}

static void blk_binary_bool(const void *job, char *out, const char *const *p, int n) {
  const ew_job *J = job;
  const uint8_t *a = (const uint8_t *)p[0], *b = (const uint8_t *)p[1];
  uint8_t *o = (uint8_t *)out;
  switch (J->op) {
    case B_EQ: for (int i = 0; i < n; i++) o[i] = (a[i] != 0) == (b[i] != 0); break;
    case B_NE: for (int i = 0; i < n; i++) o[i] = (a[i] != 0) != (b[i] != 0); break;
    case B_LT: for (int i = 0; i < n; i++) o[i] = (a[i] != 0) < (b[i] != 0); break;
    case B_LE: for (int i = 0; i < n; i++) o[i] = (a[i] != 0) <= (b[i] != 0); break;
    case B_GT: for (int i = 0; i < n; i++) o[i] = (a[i] != 0) > (b[i] != 0); break;
    case B_GE: for (int i = 0; i < n; i++) o[i] = (a[i] != 0) >= (b[i] != 0); break;
    case B_LOGICAL_AND: case B_MUL: case B_MINIMUM: for (int i = 0; i < n; i++) o[i] = a[i] && b[i]; break;
    case B_LOGICAL_OR: case B_ADD: case B_MAXIMUM: for (int i = 0; i < n; i++) o[i] = a[i] || b[i]; break;
  }
}

/* a and b share dtype dt. Returns 0 if not handled. */
EXPORT(ew_binary) int ew_binary(int op, int dt, char *out, const char *a, const char *b, const int *desc) {
  if (op < 0 || op >= B_COUNT) return 0;
  ew_job J;
  ew_desc(&J, desc, 2);
  J.in[0] = a;
  J.in[1] = b;
  J.out = out;
  J.op = op;
  J.dt = dt;
  int cmp = BINARY_IS_PREDICATE(op);
  J.outsz = cmp ? 1 : 4;
  if (dt == DT_F32) {
    J.insz[0] = J.insz[1] = 4;
    J.block = blk_binary_f32;
  } else if (dt == DT_I32 && BINARY_HAS_I32(op)) {
    J.insz[0] = J.insz[1] = 4;
    J.block = blk_binary_i32;
  } else if (dt == DT_BOOL) {
    if (!(cmp || op == B_MUL || op == B_ADD || op == B_MAXIMUM || op == B_MINIMUM)) return 0;
    J.insz[0] = J.insz[1] = 1;
    J.outsz = 1;
    J.block = blk_binary_bool;
  } else {
    return 0;
  }
  ew_run(&J, BINARY_HEAVY(op) ? 8192 : 32768);
  return 1;
}

static void blk_where(const void *job, char *out, const char *const *p, int n) {
  const ew_job *J = job;
  const uint8_t *c = (const uint8_t *)p[0];
  if (J->outsz == 4) {
    const int32_t *a = (const int32_t *)p[1], *b = (const int32_t *)p[2];
    int32_t *o = (int32_t *)out;
    int i = 0;
    /* Branch-free: a mask (relu's gradient) is as good as random to a branch predictor. */
    for (; i + 4 <= n; i += 4) {
      uint32_t c4;
      __builtin_memcpy(&c4, c + i, 4);
      v128_t m = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_i32x4_splat((int32_t)c4)));
      m = wasm_i32x4_ne(m, wasm_i32x4_splat(0));
      VSTORE(o + i, wasm_v128_bitselect(VLOAD(a + i), VLOAD(b + i), m));
    }
    for (; i < n; i++) o[i] = c[i] ? a[i] : b[i];
  } else {
    const uint8_t *a = (const uint8_t *)p[1], *b = (const uint8_t *)p[2];
    uint8_t *o = (uint8_t *)out;
    for (int i = 0; i < n; i++) o[i] = c[i] ? a[i] : b[i];
  }
}

/* cond is bool (bytes); a, b have element size sz (1 or 4). */
EXPORT(ew_where) int ew_where(int sz, char *out, const char *c, const char *a, const char *b, const int *desc) {
  if (sz != 1 && sz != 4) return 0;
  ew_job J;
  ew_desc(&J, desc, 3);
  J.in[0] = c;
  J.in[1] = a;
  J.in[2] = b;
  J.insz[0] = 1;
  J.insz[1] = J.insz[2] = sz;
  J.out = out;
  J.outsz = sz;
  J.block = blk_where;
  ew_run(&J, 32768);
  return 1;
}

static void blk_cast(const void *job, char *out, const char *const *p, int n) {
  const ew_job *J = job;
  int from = J->dt, to = J->dt2;
  if (from == to) {
    __builtin_memcpy(out, p[0], (size_t)n * J->outsz);
    return;
  }
  if (from == DT_F32 && to == DT_I32) {
    const float *a = (const float *)p[0];
    int32_t *o = (int32_t *)out;
    do { MAP1(wasm_i32x4_trunc_sat_f32x4(x)) } while (0);
  } else if (from == DT_I32 && to == DT_F32) {
    const int32_t *a = (const int32_t *)p[0];
    float *o = (float *)out;
    do { MAP1(wasm_f32x4_convert_i32x4(x)) } while (0);
  } else if (to == DT_BOOL) {
    uint8_t *o = (uint8_t *)out;
    if (from == DT_F32) {
      const float *a = (const float *)p[0];
      for (int i = 0; i < n; i++) o[i] = a[i] != 0.0f;
    } else {
      const int32_t *a = (const int32_t *)p[0];
      for (int i = 0; i < n; i++) o[i] = a[i] != 0;
    }
  } else { /* from bool */
    const uint8_t *a = (const uint8_t *)p[0];
    if (to == DT_F32) {
      float *o = (float *)out;
      for (int i = 0; i < n; i++) o[i] = a[i] ? 1.0f : 0.0f;
    } else {
      int32_t *o = (int32_t *)out;
      for (int i = 0; i < n; i++) o[i] = a[i] != 0;
    }
  }
}

EXPORT(ew_cast) int ew_cast(int from, int to, char *out, const char *x, const int *desc) {
  if (from > DT_BOOL || to > DT_BOOL) return 0;
  ew_job J;
  ew_desc(&J, desc, 1);
  J.in[0] = x;
  J.insz[0] = from == DT_BOOL ? 1 : 4;
  J.out = out;
  J.outsz = to == DT_BOOL ? 1 : 4;
  J.dt = from;
  J.dt2 = to;
  J.block = blk_cast;
  ew_run(&J, 32768);
  return 1;
}

static void blk_copy(const void *job, char *out, const char *const *p, int n) {
  const ew_job *J = job;
  __builtin_memcpy(out, p[0], (size_t)n * J->outsz);
}

/* Materialises a strided view (element size 1, 4 or 8) contiguously. */
EXPORT(ew_copy) void ew_copy(int sz, char *out, const char *x, const int *desc) {
  ew_job J;
  ew_desc(&J, desc, 1);
  J.in[0] = x;
  J.insz[0] = sz;
  J.out = out;
  J.outsz = sz;
  J.block = blk_copy;
  ew_run(&J, 65536);
}

typedef struct {
  char *out;
  int sz, lo, hi, nchunks;
  long n;
} fill_job;

static void fill_range(char *out, int sz, long n, int lo, int hi) {
  if (sz == 1) {
    __builtin_memset(out, lo, (size_t)n);
  } else if (sz == 4) {
    int32_t *o = (int32_t *)out;
    if (lo == 0) {
      __builtin_memset(o, 0, (size_t)n * 4);
      return;
    }
    v4 v = wasm_i32x4_splat(lo);
    long i = 0;
    for (; i + 4 <= n; i += 4) VSTORE(o + i, v);
    for (; i < n; i++) o[i] = lo;
  } else {
    int32_t *o = (int32_t *)out;
    for (long i = 0; i < n; i++) {
      o[2 * i] = lo;
      o[2 * i + 1] = hi;
    }
  }
}

static void fill_task(const void *args, int chunk, int tid) {
  const fill_job *J = args;
  long per = (J->n + J->nchunks - 1) / J->nchunks;
  per = (per + 15) & ~15L;
  long s = per * chunk, e = s + per;
  if (e > J->n) e = J->n;
  if (s < e) fill_range(J->out + s * J->sz, J->sz, e - s, J->lo, J->hi);
}

/* Fills n elements of size sz with the bit pattern (lo, hi); large fills use the threads. */
EXPORT(fill_bits) void fill_bits(char *out, int sz, long n, int lo, int hi) {
  long bytes = n * sz;
  if (bytes < (1 << 20)) {
    fill_range(out, sz, n, lo, hi);
    return;
  }
  fill_job J = {out, sz, lo, hi, chunk_count(bytes, 1 << 19), n};
  parallel_for(fill_task, &J, J.nchunks);
}

EXPORT(zero_bytes) void zero_bytes(char *out, long n) { fill_bits(out, 1, n, 0, 0); }
