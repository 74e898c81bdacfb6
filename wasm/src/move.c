/*
 * Data movement: strided copies into strided destinations (cat, pad), index_select / index_add,
 * gather / scatter_add, and im2col / col2im for convolution and pooling.
 * Element sizes 1, 4 and 8 are moved as raw bytes; the adds work on float32 and int32.
 */
#include "rt.h"

#define MMAXD 16

/* Row walker: calls fn(ctx, offsets (elements), n) for every innermost row of `shape`. */
typedef void (*row_fn)(void *ctx, const long *off, int n);

static void walk_rows(int nd, const int *shape, int ns, const int *const *st, row_fn fn, void *ctx) {
  long long rows = 1;
  for (int d = 0; d < nd - 1; d++) rows *= shape[d];
  if (nd == 0) {
    long off[4] = {0, 0, 0, 0};
    fn(ctx, off, 1);
    return;
  }
  for (int d = 0; d < nd; d++)
    if (shape[d] == 0) return;
  int idx[MMAXD];
  for (int d = 0; d < nd; d++) idx[d] = 0;
  for (long long r = 0; r < rows; r++) {
    long off[4];
    for (int k = 0; k < ns; k++) {
      long o = 0;
      for (int d = 0; d < nd - 1; d++) o += (long)idx[d] * st[k][d];
      off[k] = o;
    }
    fn(ctx, off, shape[nd - 1]);
    for (int d = nd - 2; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

typedef struct {
  int sz;
  char *dst;
  const char *src;
  int ds, ss; /* innermost strides */
} copy_ctx;

static void copy_row(void *c, const long *off, int n) {
  copy_ctx *C = c;
  char *d = C->dst + off[0] * C->sz;
  const char *s = C->src + off[1] * C->sz;
  if (C->ds == 1 && C->ss == 1) {
    __builtin_memcpy(d, s, (size_t)n * C->sz);
    return;
  }
  if (C->sz == 4) {
    for (int i = 0; i < n; i++) ((int32_t *)d)[(long)i * C->ds] = ((const int32_t *)s)[(long)i * C->ss];
  } else if (C->sz == 1) {
    for (int i = 0; i < n; i++) d[(long)i * C->ds] = s[(long)i * C->ss];
  } else {
    for (int i = 0; i < n; i++) ((int64_t *)d)[(long)i * C->ds] = ((const int64_t *)s)[(long)i * C->ss];
  }
}

static void copy_nd(int sz, char *dst, const int *dst_st, const char *src, const int *src_st, int nd, const int *shape) {
  copy_ctx C = {sz, dst, src, nd ? dst_st[nd - 1] : 1, nd ? src_st[nd - 1] : 1};
  const int *st[2] = {dst_st, src_st};
  walk_rows(nd, shape, 2, st, copy_row, &C);
}

/* desc: [nd, shape..., dst strides..., src strides...] */
EXPORT(copy_strided) void copy_strided(int sz, char *dst, const char *src, const int *desc) {
  int nd = desc[0];
  copy_nd(sz, dst, desc + 1 + nd, src, desc + 1 + 2 * nd, nd, desc + 1);
}

typedef struct {
  int dt;
  char *dst;
  const char *src;
  int ds, ss;
} add_ctx;

static void add_row(void *c, const long *off, int n) {
  add_ctx *C = c;
  if (C->dt == 0) {
    float *d = (float *)C->dst + off[0];
    const float *s = (const float *)C->src + off[1];
    if (C->ds == 1 && C->ss == 1) {
      int i = 0;
      for (; i + 4 <= n; i += 4) VSTORE(d + i, wasm_f32x4_add(VLOAD(d + i), VLOAD(s + i)));
      for (; i < n; i++) d[i] += s[i];
    } else {
      for (int i = 0; i < n; i++) d[(long)i * C->ds] += s[(long)i * C->ss];
    }
  } else {
    int32_t *d = (int32_t *)C->dst + off[0];
    const int32_t *s = (const int32_t *)C->src + off[1];
    for (int i = 0; i < n; i++) d[(long)i * C->ds] = (int32_t)((uint32_t)d[(long)i * C->ds] + (uint32_t)s[(long)i * C->ss]);
  }
}

static void add_nd(int dt, char *dst, const int *dst_st, const char *src, const int *src_st, int nd, const int *shape) {
  add_ctx C = {dt, dst, src, nd ? dst_st[nd - 1] : 1, nd ? src_st[nd - 1] : 1};
  const int *st[2] = {dst_st, src_st};
  walk_rows(nd, shape, 2, st, add_row, &C);
}

/*
 * index_select / index_add along one dim. desc: [nd, slice shape..., out strides..., x strides...]
 * describes one slice (the dim removed). Returns the number of out-of-range indices (nothing is
 * written for them).
 */
EXPORT(index_select)
int index_select(int sz, char *out, const char *x, const int32_t *index, int istride, int nidx, int dimsize, int os_dim,
                 int xs_dim, const int *desc) {
  int nd = desc[0], bad = 0;
  for (int j = 0; j < nidx; j++) {
    int i = index[(long)j * istride];
    if (i < 0 || i >= dimsize) {
      bad++;
      continue;
    }
    copy_nd(sz, out + (long)j * os_dim * sz, desc + 1 + nd, x + (long)i * xs_dim * sz, desc + 1 + 2 * nd, nd, desc + 1);
  }
  return bad;
}

/* out (zeroed by the caller) slice index[j] += src slice j. dt 0 float32, 1 int32. */
EXPORT(index_add)
int index_add(int dt, char *out, const char *src, const int32_t *index, int istride, int nidx, int dimsize, int os_dim,
              int ss_dim, const int *desc) {
  int nd = desc[0], bad = 0;
  for (int j = 0; j < nidx; j++) {
    int i = index[(long)j * istride];
    if (i < 0 || i >= dimsize) {
      bad++;
      continue;
    }
    add_nd(dt, out + (long)i * os_dim * 4, desc + 1 + nd, src + (long)j * ss_dim * 4, desc + 1 + 2 * nd, nd, desc + 1);
  }
  return bad;
}

/*
 * gather / scatter_add share one walker: positions p over `shape` (index's shape) in row-major
 * order from `begin` to `end`, tracking the offsets into index, src (scatter) / out (gather) and
 * x (gather) / out (scatter) with the coordinate along `dim` left out (it comes from the index).
 */
typedef struct {
  int op; /* 0 gather, 1 scatter_add */
  int sz, dt, nd, dim, dimsize;
  int shape[MMAXD], xs[MMAXD], is[MMAXD], ss[MMAXD], os[MMAXD];
  char *out;
  const char *x; /* gather: x; scatter: src */
  const int32_t *index;
  long long total;
  int part_dim; /* scatter: chunks split this dim (!= dim) */
  int nchunks;
  int bad;
} gs_job;

static void gs_range(gs_job *J, const int *lo, const int *hi) {
  int nd = J->nd, last = nd - 1, idx[MMAXD];
  for (int d = 0; d < nd; d++) idx[d] = lo[d];
  int bad = 0;
  int gather = J->op == 0;
  int xdim = gather ? J->xs[J->dim] : J->os[J->dim];
  /* innermost strides (the dim coordinate itself comes from the index) */
  int is_l = J->is[last];
  int a_l = gather ? (last == J->dim ? 0 : J->xs[last]) : J->ss[last];
  int b_l = gather ? 0 : (last == J->dim ? 0 : J->os[last]);
  int n = hi[last] - lo[last];
  for (;;) {
    long io = 0, ao = 0, bo = 0;
    for (int d = 0; d < nd; d++) {
      io += (long)idx[d] * J->is[d];
      if (gather) {
        if (d != J->dim) ao += (long)idx[d] * J->xs[d];
      } else {
        ao += (long)idx[d] * J->ss[d];
        if (d != J->dim) bo += (long)idx[d] * J->os[d];
      }
    }
    const int32_t *ip = J->index + io;
    if (gather) {
      long long p = 0;
      for (int d = 0; d < nd; d++) p = p * J->shape[d] + idx[d];
      if (J->sz == 4) {
        const int32_t *x = (const int32_t *)J->x + ao;
        int32_t *o = (int32_t *)J->out + p;
        for (int j = 0; j < n; j++) {
          int i = ip[(long)j * is_l];
          if ((unsigned)i >= (unsigned)J->dimsize) bad++, i = 0;
          o[j] = x[(long)j * a_l + (long)i * xdim];
        }
      } else {
        for (int j = 0; j < n; j++) {
          int i = ip[(long)j * is_l];
          if ((unsigned)i >= (unsigned)J->dimsize) bad++, i = 0;
          long xo = ao + (long)j * a_l + (long)i * xdim;
          if (J->sz == 1) J->out[p + j] = J->x[xo];
          else ((int64_t *)J->out)[p + j] = ((const int64_t *)J->x)[xo];
        }
      }
    } else {
      for (int j = 0; j < n; j++) {
        int i = ip[(long)j * is_l];
        if ((unsigned)i >= (unsigned)J->dimsize) {
          bad++;
          continue;
        }
        long oo = bo + (long)j * b_l + (long)i * xdim, so = ao + (long)j * a_l;
        if (J->dt == 0) ((float *)J->out)[oo] += ((const float *)J->x)[so];
        else ((int32_t *)J->out)[oo] = (int32_t)((uint32_t)((int32_t *)J->out)[oo] + (uint32_t)((const int32_t *)J->x)[so]);
      }
    }
    int d = last - 1;
    for (; d >= 0; d--) {
      if (++idx[d] < hi[d]) break;
      idx[d] = lo[d];
    }
    if (d < 0) break;
  }
  if (bad) __atomic_fetch_add(&J->bad, bad, SEQ);
}

/* Chunk c: a slab of the partition dim (other dims full). */
static void gs_task(const void *args, int chunk, int tid) {
  gs_job *J = (gs_job *)args;
  int lo[MMAXD], hi[MMAXD];
  for (int d = 0; d < J->nd; d++) lo[d] = 0, hi[d] = J->shape[d];
  int pd = J->part_dim, n = J->shape[pd];
  lo[pd] = (int)((long long)n * chunk / J->nchunks);
  hi[pd] = (int)((long long)n * (chunk + 1) / J->nchunks);
  if (lo[pd] >= hi[pd]) return;
  gs_range(J, lo, hi);
}

static int gs_run(gs_job *J) {
  J->total = 1;
  for (int d = 0; d < J->nd; d++) J->total *= J->shape[d];
  J->bad = 0;
  if (J->total == 0) return 0;
  if (J->nd == 0) return 0;
  if (J->op == 0) {
    /* gather writes contiguous output positions: split dim 0 */
    J->part_dim = 0;
  } else {
    /* scatter_add: slabs of a dim other than `dim` write disjoint outputs */
    /* the outermost such dim with room for a few chunks per thread (locality), else the largest */
    int pd = -1;
    for (int d = 0; d < J->nd && pd < 0; d++)
      if (d != J->dim && J->shape[d] >= 4 * g_threads) pd = d;
    if (pd < 0)
      for (int d = 0; d < J->nd; d++)
        if (d != J->dim && (pd < 0 || J->shape[d] > J->shape[pd])) pd = d;
    J->part_dim = pd < 0 ? 0 : pd;
    if (pd < 0) {
      J->nchunks = 1;
      parallel_for(gs_task, J, 1);
      return J->bad;
    }
  }
  J->nchunks = imin(J->shape[J->part_dim], chunk_count(J->total, 65536));
  if (J->nchunks < 1) J->nchunks = 1;
  parallel_for(gs_task, J, J->nchunks);
  return J->bad;
}

/*
 * gather: out (contiguous, index's shape) = x[..., index[...], ...] along dim.
 * desc: [nd, shape..., x strides..., index strides...], dimsize = x.shape[dim].
 */
EXPORT(gather)
int gather_k(int sz, char *out, const char *x, const int32_t *index, int dim, int dimsize, const int *desc) {
  gs_job J;
  J.op = 0;
  J.sz = sz;
  J.nd = desc[0];
  J.dim = dim;
  J.dimsize = dimsize;
  for (int d = 0; d < J.nd; d++) {
    J.shape[d] = desc[1 + d];
    J.xs[d] = desc[1 + J.nd + d];
    J.is[d] = desc[1 + 2 * J.nd + d];
  }
  J.out = out;
  J.x = x;
  J.index = index;
  return gs_run(&J);
}

/*
 * scatter_add: out (contiguous, zeroed, out shape) [..., index[p], ...] += src[p] for p over
 * index's shape. desc: [nd, index shape..., src strides..., index strides..., out strides...].
 */
EXPORT(scatter_add)
int scatter_add(int dt, char *out, const char *src, const int32_t *index, int dim, int dimsize, const int *desc) {
  gs_job J;
  J.op = 1;
  J.dt = dt;
  J.nd = desc[0];
  J.dim = dim;
  J.dimsize = dimsize;
  for (int d = 0; d < J.nd; d++) {
    J.shape[d] = desc[1 + d];
    J.ss[d] = desc[1 + J.nd + d];
    J.is[d] = desc[1 + 2 * J.nd + d];
    J.os[d] = desc[1 + 3 * J.nd + d];
  }
  J.out = out;
  J.x = src;
  J.index = index;
  return gs_run(&J);
}

/* ---------------- im2col / col2im ---------------- */

typedef struct {
  const char *x;
  char *out;
  int sz;
  int N, C, H, W;
  long sn, sc, sh, sw; /* x strides (elements) */
  int kh, kw, sth, stw, ph, pw, dh, dw, oh, ow;
  int32_t padbits;
} im2col_job;

static void im2col_task(const void *args, int chunk, int tid) {
  const im2col_job *J = args;
  int n = chunk / J->C, c = chunk % J->C;
  long L = (long)J->oh * J->ow;
  for (int ki = 0; ki < J->kh; ki++)
    for (int kj = 0; kj < J->kw; kj++) {
      long row = ((long)n * J->C + c) * J->kh * J->kw + ki * J->kw + kj;
      if (J->sz == 4) {
        int32_t *o = (int32_t *)J->out + row * L;
        const int32_t *xb = (const int32_t *)J->x + n * J->sn + c * J->sc;
        /* ox range with 0 <= x0 + ox*stw < W: the same for every output row of this tap */
        int x0 = -J->pw + kj * J->dw;
        int lo = x0 >= 0 ? 0 : (-x0 + J->stw - 1) / J->stw;
        int hi = J->W - x0 <= 0 ? 0 : (J->W - x0 + J->stw - 1) / J->stw;
        if (hi > J->ow) hi = J->ow;
        if (lo > hi) lo = hi;
        int dense = J->stw == 1 && J->sw == 1;
        for (int oy = 0; oy < J->oh; oy++) {
          int iy = oy * J->sth - J->ph + ki * J->dh;
          int32_t *orow = o + (long)oy * J->ow;
          if (iy < 0 || iy >= J->H) {
            for (int ox = 0; ox < J->ow; ox++) orow[ox] = J->padbits;
            continue;
          }
          const int32_t *xr = xb + iy * J->sh;
          int ox = 0;
          for (; ox < lo; ox++) orow[ox] = J->padbits;
          if (dense) {
            /* short rows (a 14-wide feature map): vectors and a scalar tail, not a memcpy call */
            const int32_t *src = xr + x0;
            for (; ox + 4 <= hi; ox += 4) wasm_v128_store(orow + ox, wasm_v128_load(src + ox));
            for (; ox < hi; ox++) orow[ox] = src[ox];
          } else {
            for (; ox < hi; ox++) orow[ox] = xr[(long)(x0 + ox * J->stw) * J->sw];
          }
          for (; ox < J->ow; ox++) orow[ox] = J->padbits;
        }
      } else { /* 1-byte elements */
        char *o = J->out + row * L;
        const char *xb = J->x + n * J->sn + c * J->sc;
        for (int oy = 0; oy < J->oh; oy++)
          for (int ox = 0; ox < J->ow; ox++) {
            int iy = oy * J->sth - J->ph + ki * J->dh, ix = ox * J->stw - J->pw + kj * J->dw;
            o[(long)oy * J->ow + ox] =
                (iy < 0 || iy >= J->H || ix < 0 || ix >= J->W) ? (char)J->padbits : xb[iy * J->sh + ix * J->sw];
          }
      }
    }
}

/* geo: [N, C, H, W, sn, sc, sh, sw, kh, kw, sth, stw, ph, pw, dh, dw, oh, ow] */
EXPORT(im2col) void im2col(int sz, char *out, const char *x, const int *geo, int padbits) {
  im2col_job J;
  J.x = x;
  J.out = out;
  J.sz = sz;
  J.N = geo[0]; J.C = geo[1]; J.H = geo[2]; J.W = geo[3];
  J.sn = geo[4]; J.sc = geo[5]; J.sh = geo[6]; J.sw = geo[7];
  J.kh = geo[8]; J.kw = geo[9]; J.sth = geo[10]; J.stw = geo[11];
  J.ph = geo[12]; J.pw = geo[13]; J.dh = geo[14]; J.dw = geo[15];
  J.oh = geo[16]; J.ow = geo[17];
  J.padbits = padbits;
  int tasks = J.N * J.C;
  parallel_items(im2col_task, &J, tasks, (long long)J.kh * J.kw * J.oh * J.ow * tasks, 32768);
}

typedef struct {
  const char *cols;
  char *out;
  int dt;
  int N, C, H, W;
  long s0, s1, s2; /* cols strides: [N, C*kh*kw, L] */
  int kh, kw, sth, stw, ph, pw, dh, dw, oh, ow;
} col2im_job;

static void col2im_task(const void *args, int chunk, int tid) {
  const col2im_job *J = args;
  int n = chunk / J->C, c = chunk % J->C;
  long plane = (long)J->H * J->W;
  for (int ki = 0; ki < J->kh; ki++)
    for (int kj = 0; kj < J->kw; kj++) {
      long row = (long)c * J->kh * J->kw + ki * J->kw + kj;
      int x0 = -J->pw + kj * J->dw;
      int lo = x0 >= 0 ? 0 : (-x0 + J->stw - 1) / J->stw;
      int hi = J->W - x0 <= 0 ? 0 : (J->W - x0 + J->stw - 1) / J->stw;
      if (hi > J->ow) hi = J->ow;
      if (lo >= hi) continue;
      for (int oy = 0; oy < J->oh; oy++) {
        int iy = oy * J->sth - J->ph + ki * J->dh;
        if (iy < 0 || iy >= J->H) continue;
        long so = n * J->s0 + row * J->s1 + (long)oy * J->ow * J->s2;
        long oo = ((long)n * J->C + c) * plane + (long)iy * J->W + x0;
        if (J->dt == 0) {
          float *o = (float *)J->out + oo;
          const float *s = (const float *)J->cols + so;
          if (J->stw == 1 && J->s2 == 1) {
            int ox = lo;
            for (; ox + 4 <= hi; ox += 4) VSTORE(o + ox, wasm_f32x4_add(wasm_v128_load(o + ox), VLOAD(s + ox)));
            for (; ox < hi; ox++) o[ox] += s[ox];
          } else {
            for (int ox = lo; ox < hi; ox++) o[(long)ox * J->stw] += s[(long)ox * J->s2];
          }
        } else {
          int32_t *o = (int32_t *)J->out + oo;
          const int32_t *s = (const int32_t *)J->cols + so;
          for (int ox = lo; ox < hi; ox++) o[(long)ox * J->stw] += s[(long)ox * J->s2];
        }
      }
    }
}

/* out zeroed by the caller. geo as im2col, with cols strides in place of x strides (only 3 used). */
EXPORT(col2im) void col2im(int dt, char *out, const char *cols, const int *geo) {
  col2im_job J;
  J.cols = cols;
  J.out = out;
  J.dt = dt;
  J.N = geo[0]; J.C = geo[1]; J.H = geo[2]; J.W = geo[3];
  J.s0 = geo[4]; J.s1 = geo[5]; J.s2 = geo[6];
  J.kh = geo[8]; J.kw = geo[9]; J.sth = geo[10]; J.stw = geo[11];
  J.ph = geo[12]; J.pw = geo[13]; J.dh = geo[14]; J.dw = geo[15];
  J.oh = geo[16]; J.ow = geo[17];
  int tasks = J.N * J.C;
  parallel_items(col2im_task, &J, tasks, (long long)J.kh * J.kw * J.oh * J.ow * tasks, 32768);
}
