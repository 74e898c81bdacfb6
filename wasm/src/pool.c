/*
 * Max pooling's window argmax (the index half of PyTorch's max_pool2d_with_indices): for every
 * output cell, the flat index into its input's H*W plane of the window's maximum. The values are
 * then a gather of those indices, and the gradient a scatter-add back to them.
 * PyTorch's rule, tap by tap in row-major window order from the first in-range tap: a value
 * replaces the best so far when it is greater or NaN, so ties keep the first index and a NaN is
 * the max (the last NaN of the window). Out-of-range taps (padding, ceil-mode overhang) are
 * skipped, which is padding with -inf.
 */
#include "rt.h"

typedef struct {
  const char *x;
  int32_t *out;
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

/* The general window: any kernel, stride, padding, dilation, strides. */
static void maxpool_plane_generic(const maxpool_job *J, const char *xb, int32_t *o) {
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
      if (J->dt == 0) {
        float best = -__builtin_inff();
        for (int y = y0; y < y1; y += J->dh)
          for (int x = x0; x < x1; x += J->dw) {
            float v = ((const float *)xb)[y * J->sh + x * J->sw];
            if (f32_wins(v, best)) best = v, besti = y * J->W + x;
          }
      } else {
        int32_t best = INT32_MIN;
        int first = 1;
        for (int y = y0; y < y1; y += J->dh)
          for (int x = x0; x < x1; x += J->dw) {
            int32_t v = ((const int32_t *)xb)[y * J->sh + x * J->sw];
            if (first || v > best) best = v, besti = y * J->W + x, first = 0;
          }
      }
      o[(long)oy * J->ow + ox] = besti;
    }
  }
}

/*
 * float32, 2x2 windows, stride 2, no padding or dilation, contiguous rows (the BENCH CNN's pools):
 * four output cells at a time from two input rows of eight, taps in PyTorch's order.
 */
static void maxpool_plane_2x2(const maxpool_job *J, const float *xb, int32_t *o) {
  const int W = J->W, ow = J->ow;
  const v128_t lanes = wasm_i32x4_make(0, 2, 4, 6);
  for (int oy = 0; oy < J->oh; oy++) {
    const float *r0 = xb + (long)(2 * oy) * J->sh, *r1 = r0 + J->sh;
    int32_t *orow = o + (long)oy * ow;
    int base = 2 * oy * W;
    if (ow < 4) {
      for (int ox = 0; ox < ow; ox++) {
        const float *p0 = r0 + 2 * ox, *p1 = r1 + 2 * ox;
        float best = p0[0];
        int bi = base + 2 * ox;
        if (f32_wins(p0[1], best)) best = p0[1], bi = base + 2 * ox + 1;
        if (f32_wins(p1[0], best)) best = p1[0], bi = base + W + 2 * ox;
        if (f32_wins(p1[1], best)) bi = base + W + 2 * ox + 1;
        orow[ox] = bi;
      }
      continue;
    }
    /* The last group overlaps the one before it instead of a scalar tail (random data would
       mispredict its branches); overlapping cells are written twice with the same index. */
    for (int ox = 0; ox < ow; ox += 4) {
      if (ox + 4 > ow) ox = ow - 4;
      v128_t a0 = wasm_v128_load(r0 + 2 * ox), a1 = wasm_v128_load(r0 + 2 * ox + 4);
      v128_t b0 = wasm_v128_load(r1 + 2 * ox), b1 = wasm_v128_load(r1 + 2 * ox + 4);
      v128_t idx0 = wasm_i32x4_add(wasm_i32x4_splat(base + 2 * ox), lanes);
      v128_t best = wasm_i32x4_shuffle(a0, a1, 0, 2, 4, 6);
      v128_t bi = idx0;
      v128_t taps[3] = {wasm_i32x4_shuffle(a0, a1, 1, 3, 5, 7), wasm_i32x4_shuffle(b0, b1, 0, 2, 4, 6),
                        wasm_i32x4_shuffle(b0, b1, 1, 3, 5, 7)};
      const int offs[3] = {1, W, W + 1};
      for (int t = 0; t < 3; t++) {
        v128_t v = taps[t];
        v128_t win = wasm_v128_or(wasm_f32x4_gt(v, best), wasm_f32x4_ne(v, v));
        best = wasm_v128_bitselect(v, best, win);
        bi = wasm_v128_bitselect(wasm_i32x4_add(idx0, wasm_i32x4_splat(offs[t])), bi, win);
      }
      wasm_v128_store(orow + ox, bi);
    }
  }
}

static void maxpool_task(const void *args, int chunk, int tid) {
  (void)tid;
  const maxpool_job *J = args;
  int n = chunk / J->C, c = chunk % J->C;
  const char *xb = J->x + ((long)n * J->sn + (long)c * J->sc) * 4;
  int32_t *o = J->out + (long)chunk * J->oh * J->ow;
  int fast = J->dt == 0 && J->kh == 2 && J->kw == 2 && J->sth == 2 && J->stw == 2 && J->ph == 0 && J->pw == 0 &&
             J->dh == 1 && J->dw == 1 && J->sw == 1 && 2 * J->oh <= J->H && 2 * J->ow <= J->W;
  if (fast) maxpool_plane_2x2(J, (const float *)xb, o);
  else maxpool_plane_generic(J, xb, o);
}

/*
 * out (int32, [N, C, oh, ow], contiguous) = flat window-argmax indices of x; dt 0 float32, 1 int32.
 * geo as im2col: [N, C, H, W, sn, sc, sh, sw, kh, kw, sth, stw, ph, pw, dh, dw, oh, ow].
 */
EXPORT(maxpool2d_indices) void maxpool2d_indices(int dt, int32_t *out, const char *x, const int *geo) {
  maxpool_job J;
  J.x = x;
  J.out = out;
  J.dt = dt;
  int N = geo[0];
  J.C = geo[1]; J.H = geo[2]; J.W = geo[3];
  J.sn = geo[4]; J.sc = geo[5]; J.sh = geo[6]; J.sw = geo[7];
  J.kh = geo[8]; J.kw = geo[9]; J.sth = geo[10]; J.stw = geo[11];
  J.ph = geo[12]; J.pw = geo[13]; J.dh = geo[14]; J.dw = geo[15];
  J.oh = geo[16]; J.ow = geo[17];
  int tasks = N * J.C;
  if (tasks == 0 || J.oh <= 0 || J.ow <= 0) return;
  long long per = (long long)J.kh * J.kw * J.oh * J.ow;
  if (per * tasks < 32768) {
    for (int t = 0; t < tasks; t++) maxpool_task(&J, t, 0);
  } else {
    parallel_for(maxpool_task, &J, tasks);
  }
}
