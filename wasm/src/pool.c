/*
 * Max pooling, as PyTorch's max_pool2d_with_indices and its backward: one window scan with three
 * outputs. POOL_INDICES writes each window's max as a flat index into its input's H*W plane,
 * POOL_VALUES the max itself, POOL_BACKWARD adds each output cell's gradient to the input position
 * of its window's max (the plane zeroed first; no index tensor is kept between the passes, the
 * backward finds the maxima again, which costs less than writing and reading them).
 * PyTorch's rule, tap by tap in row-major window order from the first in-range tap: a value
 * replaces the best so far when it is greater or NaN, so ties keep the first index and a NaN is
 * the max (the last NaN of the window). Out-of-range taps (padding, ceil-mode overhang) are
 * skipped, which is padding with -inf.
 */
#include "rt.h"

enum { POOL_INDICES = 0, POOL_VALUES = 1, POOL_BACKWARD = 2 };

typedef struct {
  const char *x;
  char *out;       /* indices (int32) or values [N, C, oh, ow]; the input gradient [N, C, H, W] */
  const float *g;  /* POOL_BACKWARD: output gradient [N, C, oh, ow], contiguous */
  int mode;
  int dt; /* 0 float32, 1 int32 */
  int C, H, W;
  long sn, sc, sh, sw; /* x strides (elements) */
  int kh, kw, sth, stw, ph, pw, dh, dw, oh, ow;
} maxpool_job;

/* First in-range tap of a window starting at `start` (may be negative) with dilation d. */
INLINE int first_tap(int start, int d) {
  while (start < 0) start += d;
  return start;
}

/* PyTorch's update test: greater, or NaN. */
INLINE int f32_wins(float v, float best) { return v > best || v != v; }

/* One output cell's result: p is the cell's position in the output plane. */
INLINE void emit(const maxpool_job *J, char *o, const float *g, long p, int bi, int32_t bits) {
  if (J->mode == POOL_INDICES) ((int32_t *)o)[p] = bi;
  else if (J->mode == POOL_VALUES) ((int32_t *)o)[p] = bits;
  else ((float *)o)[bi] += g[p];
}

/* The general window: any kernel, stride, padding, dilation, strides. */
static void maxpool_plane_generic(const maxpool_job *J, const char *xb, char *o, const float *g) {
  for (int oy = 0; oy < J->oh; oy++) {
    int y0 = oy * J->sth - J->ph;
    int y1 = y0 + (J->kh - 1) * J->dh + 1;
    if (y1 > J->H) y1 = J->H;
    y0 = first_tap(y0, J->dh);
    for (int ox = 0; ox < J->ow; ox++) {
      int x0 = ox * J->stw - J->pw;
      int x1 = x0 + (J->kw - 1) * J->dw + 1;
      if (x1 > J->W) x1 = J->W;
      x0 = first_tap(x0, J->dw);
      int besti = y0 * J->W + x0;
      int32_t bits;
      if (J->dt == 0) {
        float best = -__builtin_inff();
        for (int y = y0; y < y1; y += J->dh)
          for (int x = x0; x < x1; x += J->dw) {
            float v = ((const float *)xb)[y * J->sh + x * J->sw];
            if (f32_wins(v, best)) best = v, besti = y * J->W + x;
          }
        __builtin_memcpy(&bits, &best, 4);
      } else {
        int32_t best = INT32_MIN;
        int first = 1;
        for (int y = y0; y < y1; y += J->dh)
          for (int x = x0; x < x1; x += J->dw) {
            int32_t v = ((const int32_t *)xb)[y * J->sh + x * J->sw];
            if (first || v > best) best = v, besti = y * J->W + x, first = 0;
          }
        bits = best;
      }
      emit(J, o, g, (long)oy * J->ow + ox, besti, bits);
    }
  }
}

/*
 * float32, 2x2 windows, stride 2, no padding or dilation, contiguous rows (the BENCH CNN's pools):
 * four output cells at a time from two input rows of eight, taps in PyTorch's order.
 */
static void maxpool_plane_2x2(const maxpool_job *J, const float *xb, char *o, const float *g) {
  const int W = J->W, ow = J->ow;
  const v128_t lanes = wasm_i32x4_make(0, 2, 4, 6);
  for (int oy = 0; oy < J->oh; oy++) {
    const float *r0 = xb + (long)(2 * oy) * J->sh, *r1 = r0 + J->sh;
    long prow = (long)oy * ow;
    int base = 2 * oy * W;
    if (ow < 4) {
      for (int ox = 0; ox < ow; ox++) {
        const float *p0 = r0 + 2 * ox, *p1 = r1 + 2 * ox;
        float best = p0[0];
        int bi = base + 2 * ox;
        if (f32_wins(p0[1], best)) best = p0[1], bi = base + 2 * ox + 1;
        if (f32_wins(p1[0], best)) best = p1[0], bi = base + W + 2 * ox;
        if (f32_wins(p1[1], best)) best = p1[1], bi = base + W + 2 * ox + 1;
        int32_t bits;
        __builtin_memcpy(&bits, &best, 4);
        emit(J, o, g, prow + ox, bi, bits);
      }
      continue;
    }
    /* The last group overlaps the one before it instead of a scalar tail (random data would
       mispredict its branches); its overlapping cells are redone with the same result. */
    for (int ox = 0; ox < ow; ox += 4) {
      if (ox + 4 > ow) ox = ow - 4;
      v128_t a0 = wasm_v128_load(r0 + 2 * ox), a1 = wasm_v128_load(r0 + 2 * ox + 4);
      v128_t b0 = wasm_v128_load(r1 + 2 * ox), b1 = wasm_v128_load(r1 + 2 * ox + 4);
      v128_t idx0 = wasm_i32x4_add(wasm_i32x4_splat(base + 2 * ox), lanes);
      v128_t best = wasm_i32x4_shuffle(a0, a1, 0, 2, 4, 6);
      v128_t tap = wasm_i32x4_splat(0); /* which of the 4 taps wins, per lane */
      v128_t taps[3] = {wasm_i32x4_shuffle(a0, a1, 1, 3, 5, 7), wasm_i32x4_shuffle(b0, b1, 0, 2, 4, 6),
                        wasm_i32x4_shuffle(b0, b1, 1, 3, 5, 7)};
      for (int t = 0; t < 3; t++) {
        v128_t v = taps[t];
        v128_t win = wasm_v128_or(wasm_f32x4_gt(v, best), wasm_f32x4_ne(v, v));
        best = wasm_v128_bitselect(v, best, win);
        tap = wasm_v128_bitselect(wasm_i32x4_splat(t + 1), tap, win);
      }
      if (J->mode == POOL_INDICES) {
        /* tap t sits at (t >> 1) * W + (t & 1) from the window's corner */
        v128_t off = wasm_i32x4_add(wasm_i32x4_mul(wasm_i32x4_shr(tap, 1), wasm_i32x4_splat(W)), wasm_v128_and(tap, wasm_i32x4_splat(1)));
        wasm_v128_store((int32_t *)o + prow + ox, wasm_i32x4_add(idx0, off));
      } else if (J->mode == POOL_VALUES) {
        wasm_v128_store((float *)o + prow + ox, best);
      } else {
        /* The plane is tiled by the windows: write each window's four taps, the gradient at the
           winner and zeros elsewhere (no zero-fill first; the overlapping group rewrites the same). */
        v128_t g4 = wasm_v128_load(g + prow + ox);
        v128_t v0 = wasm_v128_and(g4, wasm_i32x4_eq(tap, wasm_i32x4_splat(0)));
        v128_t v1 = wasm_v128_and(g4, wasm_i32x4_eq(tap, wasm_i32x4_splat(1)));
        v128_t v2 = wasm_v128_and(g4, wasm_i32x4_eq(tap, wasm_i32x4_splat(2)));
        v128_t v3 = wasm_v128_and(g4, wasm_i32x4_eq(tap, wasm_i32x4_splat(3)));
        float *d0 = (float *)o + base + 2 * ox, *d1 = d0 + W;
        wasm_v128_store(d0, wasm_i32x4_shuffle(v0, v1, 0, 4, 1, 5));
        wasm_v128_store(d0 + 4, wasm_i32x4_shuffle(v0, v1, 2, 6, 3, 7));
        wasm_v128_store(d1, wasm_i32x4_shuffle(v2, v3, 0, 4, 1, 5));
        wasm_v128_store(d1 + 4, wasm_i32x4_shuffle(v2, v3, 2, 6, 3, 7));
      }
    }
  }
}

static void maxpool_task(const void *args, int chunk, int tid) {
  (void)tid;
  const maxpool_job *J = args;
  int n = chunk / J->C, c = chunk % J->C;
  const char *xb = J->x + ((long)n * J->sn + (long)c * J->sc) * 4;
  long cells = (long)J->oh * J->ow, plane = (long)J->H * J->W;
  char *o = J->out + (J->mode == POOL_BACKWARD ? plane : cells) * chunk * 4;
  const float *g = J->g ? J->g + cells * chunk : 0;
  int fast = J->dt == 0 && J->kh == 2 && J->kw == 2 && J->sth == 2 && J->stw == 2 && J->ph == 0 && J->pw == 0 &&
             J->dh == 1 && J->dw == 1 && J->sw == 1 && 2 * J->oh <= J->H && 2 * J->ow <= J->W;
  /* The 2x2 backward writes whole windows; only cells no window covers (odd sizes) and the
     other paths, which add, need zeros first. */
  int tiled = fast && J->ow >= 4 && 2 * J->oh == J->H && 2 * J->ow == J->W;
  if (J->mode == POOL_BACKWARD && !tiled) __builtin_memset(o, 0, (size_t)plane * 4);
  if (fast) maxpool_plane_2x2(J, (const float *)xb, o, g);
  else maxpool_plane_generic(J, xb, o, g);
}

/* geo as im2col: [N, C, H, W, sn, sc, sh, sw, kh, kw, sth, stw, ph, pw, dh, dw, oh, ow]. */
static void maxpool_run(int mode, int dt, char *out, const char *x, const float *g, const int *geo) {
  maxpool_job J;
  J.x = x;
  J.out = out;
  J.g = g;
  J.mode = mode;
  J.dt = dt;
  int N = geo[0];
  J.C = geo[1]; J.H = geo[2]; J.W = geo[3];
  J.sn = geo[4]; J.sc = geo[5]; J.sh = geo[6]; J.sw = geo[7];
  J.kh = geo[8]; J.kw = geo[9]; J.sth = geo[10]; J.stw = geo[11];
  J.ph = geo[12]; J.pw = geo[13]; J.dh = geo[14]; J.dw = geo[15];
  J.oh = geo[16]; J.ow = geo[17];
  int tasks = N * J.C;
  if (tasks == 0 || J.oh <= 0 || J.ow <= 0) return;
  parallel_items(maxpool_task, &J, tasks, (long long)J.kh * J.kw * J.oh * J.ow * tasks, 32768);
}

/* out (int32 [N, C, oh, ow], contiguous) = flat window-argmax indices of x; dt 0 float32, 1 int32. */
EXPORT(maxpool2d_indices) void maxpool2d_indices(int dt, int32_t *out, const char *x, const int *geo) {
  maxpool_run(POOL_INDICES, dt, (char *)out, x, 0, geo);
}

/* out (x's dtype, [N, C, oh, ow], contiguous) = window maxima of x. */
EXPORT(maxpool2d) void maxpool2d(int dt, char *out, const char *x, const int *geo) {
  maxpool_run(POOL_VALUES, dt, out, x, 0, geo);
}

/* dx (float32 [N, C, H, W], contiguous; need not be zeroed) = g (float32 [N, C, oh, ow],
   contiguous) added at each window's argmax of x (float32). */
EXPORT(maxpool2d_backward) void maxpool2d_backward(float *dx, const char *x, const float *g, const int *geo) {
  maxpool_run(POOL_BACKWARD, 0, (char *)dx, x, g, geo);
}
