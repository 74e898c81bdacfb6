/*
 * Vectorised float32 elementary functions (4 lanes). Accuracy: a few ulp over the float range;
 * special values follow IEEE/PyTorch: exp(-inf) = 0, exp(inf) = inf, log(0) = -inf, log(x<0) =
 * NaN, NaN in -> NaN out. Algorithms after Cephes (exp, log, sin/cos, tanh); erf uses a fitted odd
 * polynomial for |x| <= 1 and Abramowitz & Stegun 7.1.26 above.
 */
#pragma once
#include "rt.h"

#define F4(c) wasm_f32x4_const_splat(c)
#define I4(c) wasm_i32x4_const_splat(c)

INLINE v4 vsel(v4 mask, v4 a, v4 b) { return wasm_v128_bitselect(a, b, mask); } /* mask ? a : b */

/* Keeps NaN: pmin(x, c) = c < x ? c : x. */
INLINE v4 vclamp(v4 x, float lo, float hi) {
  x = wasm_f32x4_pmin(x, VSPLAT(hi));
  return wasm_f32x4_pmax(x, VSPLAT(lo));
}

/* 2^n for integer-valued n in [-150, 129] (two factors, so denormals and overflow come out right). */
INLINE v4 vpow2_parts(v4 r, v4 nf) {
  v4 n = wasm_i32x4_trunc_sat_f32x4(nf);
  v4 n1 = wasm_i32x4_shr(n, 1);
  v4 n2 = wasm_i32x4_sub(n, n1);
  v4 p1 = wasm_i32x4_shl(wasm_i32x4_add(n1, I4(127)), 23);
  v4 p2 = wasm_i32x4_shl(wasm_i32x4_add(n2, I4(127)), 23);
  return wasm_f32x4_mul(wasm_f32x4_mul(r, p1), p2);
}

INLINE v4 vexp(v4 x) {
  x = vclamp(x, -104.0f, 89.0f);
  v4 n = wasm_f32x4_nearest(wasm_f32x4_mul(x, F4(1.44269504088896341f)));
  v4 r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, F4(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, F4(-2.12194440e-4f)));
  v4 y = F4(1.9875691500E-4f);
  y = VFMA(y, r, F4(1.3981999507E-3f));
  y = VFMA(y, r, F4(8.3334519073E-3f));
  y = VFMA(y, r, F4(4.1665795894E-2f));
  y = VFMA(y, r, F4(1.6666665459E-1f));
  y = VFMA(y, r, F4(5.0000001201E-1f));
  y = VFMA(y, wasm_f32x4_mul(r, r), wasm_f32x4_add(r, F4(1.0f)));
  return vpow2_parts(y, n);
}

INLINE v4 vlog(v4 x0) {
  v4 x = x0;
  v4 denorm = wasm_f32x4_lt(x, F4(1.17549435e-38f));
  x = vsel(denorm, wasm_f32x4_mul(x, F4(8388608.0f)), x);
  v4 ebias = vsel(denorm, F4(23.0f), F4(0.0f));
  v4 bits = x;
  v4 e = wasm_f32x4_convert_i32x4(wasm_i32x4_sub(wasm_u32x4_shr(bits, 23), I4(126)));
  e = wasm_f32x4_sub(e, ebias);
  v4 m = wasm_v128_or(wasm_v128_and(bits, I4(0x007fffff)), I4(0x3f000000)); /* [0.5, 1) */
  v4 small = wasm_f32x4_lt(m, F4(0.707106781186547524f));
  e = wasm_f32x4_sub(e, wasm_v128_and(small, F4(1.0f)));
  m = wasm_f32x4_sub(wasm_f32x4_add(m, wasm_v128_and(small, m)), F4(1.0f));
  v4 z = wasm_f32x4_mul(m, m);
  v4 y = F4(7.0376836292E-2f);
  y = VFMA(y, m, F4(-1.1514610310E-1f));
  y = VFMA(y, m, F4(1.1676998740E-1f));
  y = VFMA(y, m, F4(-1.2420140846E-1f));
  y = VFMA(y, m, F4(1.4249322787E-1f));
  y = VFMA(y, m, F4(-1.6668057665E-1f));
  y = VFMA(y, m, F4(2.0000714765E-1f));
  y = VFMA(y, m, F4(-2.4999993993E-1f));
  y = VFMA(y, m, F4(3.3333331174E-1f));
  y = wasm_f32x4_mul(wasm_f32x4_mul(y, m), z);
  y = VFMA(e, F4(-2.12194440e-4f), y);
  y = VFMA(z, F4(-0.5f), y);
  v4 r = wasm_f32x4_add(m, y);
  r = VFMA(e, F4(0.693359375f), r);
  r = vsel(wasm_f32x4_eq(x0, F4(0.0f)), F4(-__builtin_inff()), r);
  r = vsel(wasm_f32x4_eq(x0, F4(__builtin_inff())), x0, r);
  r = vsel(wasm_f32x4_lt(x0, F4(0.0f)), F4(__builtin_nanf("")), r);
  r = vsel(wasm_f32x4_ne(x0, x0), x0, r);
  return r;
}

#define SIGN_MASK I4((int)0x80000000)

/* Shared range reduction for sin and cos (Cephes sinf/cosf). */
INLINE v4 vsincos_poly(v4 x, v4 *jout) {
  v4 y = wasm_f32x4_mul(x, F4(1.27323954473516f)); /* 4/pi */
  v4 j = wasm_i32x4_trunc_sat_f32x4(y);
  j = wasm_v128_and(wasm_i32x4_add(j, I4(1)), I4(~1));
  y = wasm_f32x4_convert_i32x4(j);
  *jout = j;
  x = VFMA(y, F4(-0.78515625f), x);
  x = VFMA(y, F4(-2.4187564849853515625e-4f), x);
  x = VFMA(y, F4(-3.77489497744594108e-8f), x);
  return x;
}

INLINE v4 vsin_cos(v4 x, int is_cos) {
  v4 sign = is_cos ? I4(0) : wasm_v128_and(x, SIGN_MASK);
  x = wasm_f32x4_abs(x);
  v4 j;
  v4 r = vsincos_poly(x, &j);
  v4 swap;
  if (is_cos) {
    j = wasm_i32x4_sub(j, I4(2));
    swap = wasm_i32x4_shl(wasm_v128_andnot(I4(4), j), 29);
  } else {
    swap = wasm_i32x4_shl(wasm_v128_and(j, I4(4)), 29);
  }
  sign = wasm_v128_xor(sign, swap);
  v4 polymask = wasm_i32x4_eq(wasm_v128_and(j, I4(2)), I4(0));
  v4 z = wasm_f32x4_mul(r, r);
  v4 yc = F4(2.443315711809948E-005f);
  yc = VFMA(yc, z, F4(-1.388731625493765E-003f));
  yc = VFMA(yc, z, F4(4.166664568298827E-002f));
  yc = wasm_f32x4_mul(wasm_f32x4_mul(yc, z), z);
  yc = VFMA(z, F4(-0.5f), yc);
  yc = wasm_f32x4_add(yc, F4(1.0f));
  v4 ys = F4(-1.9515295891E-4f);
  ys = VFMA(ys, z, F4(8.3321608736E-3f));
  ys = VFMA(ys, z, F4(-1.6666654611E-1f));
  ys = wasm_f32x4_mul(ys, z);
  ys = VFMA(ys, r, r);
  v4 res = vsel(polymask, ys, yc);
  res = wasm_v128_xor(res, sign);
  /* inf -> NaN, NaN -> NaN */
  v4 bad = wasm_v128_not(wasm_f32x4_lt(x, F4(__builtin_inff())));
  return vsel(bad, F4(__builtin_nanf("")), res);
}
INLINE v4 vsin(v4 x) { return vsin_cos(x, 0); }
INLINE v4 vcos(v4 x) { return vsin_cos(x, 1); }

INLINE v4 vtanh(v4 x) {
  v4 ax = wasm_f32x4_abs(x);
  v4 z = wasm_f32x4_mul(x, x);
  v4 p = F4(-5.70498872745E-3f);
  p = VFMA(p, z, F4(2.06390887954E-2f));
  p = VFMA(p, z, F4(-5.37397155531E-2f));
  p = VFMA(p, z, F4(1.33314422036E-1f));
  p = VFMA(p, z, F4(-3.33332819422E-1f));
  v4 small = VFMA(wasm_f32x4_mul(p, z), x, x);
  v4 e = vexp(wasm_f32x4_add(ax, ax));
  v4 big = wasm_f32x4_sub(F4(1.0f), wasm_f32x4_div(F4(2.0f), wasm_f32x4_add(e, F4(1.0f))));
  big = wasm_v128_or(big, wasm_v128_and(x, SIGN_MASK));
  return vsel(wasm_f32x4_lt(ax, F4(0.625f)), small, big);
}

/* 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below: no overflow, full relative accuracy. */
INLINE v4 vsigmoid(v4 x) {
  v4 e = vexp(wasm_f32x4_neg(wasm_f32x4_abs(x)));
  v4 r = wasm_f32x4_div(F4(1.0f), wasm_f32x4_add(F4(1.0f), e));
  return vsel(wasm_f32x4_lt(x, F4(0.0f)), wasm_f32x4_mul(e, r), r);
}

INLINE v4 verf(v4 x) {
  v4 ax = wasm_f32x4_abs(x);
  v4 t = wasm_f32x4_mul(x, x);
  /* |x| <= 1: x * P(x^2), fitted (relative error < 2e-9 in exact arithmetic) */
  v4 p = F4(7.933493907330558e-05f);
  p = VFMA(p, t, F4(-0.0008034846396185458f));
  p = VFMA(p, t, F4(0.005191218573600054f));
  p = VFMA(p, t, F4(-0.02685539983212948f));
  p = VFMA(p, t, F4(0.11283625662326813f));
  p = VFMA(p, t, F4(-0.3761262893676758f));
  p = VFMA(p, t, F4(1.128379225730896f));
  v4 small = wasm_f32x4_mul(p, x);
  /* |x| > 1: 1 - poly(1 / (1 + p|x|)) * exp(-x^2) */
  v4 u = wasm_f32x4_div(F4(1.0f), VFMA(ax, F4(0.3275911f), F4(1.0f)));
  v4 q = F4(1.061405429f);
  q = VFMA(q, u, F4(-1.453152027f));
  q = VFMA(q, u, F4(1.421413741f));
  q = VFMA(q, u, F4(-0.284496736f));
  q = VFMA(q, u, F4(0.254829592f));
  q = wasm_f32x4_mul(q, u);
  v4 big = wasm_f32x4_sub(F4(1.0f), wasm_f32x4_mul(q, vexp(wasm_f32x4_neg(t))));
  big = wasm_v128_or(big, wasm_v128_and(x, SIGN_MASK));
  v4 r = vsel(wasm_f32x4_le(ax, F4(1.0f)), small, big);
  return vsel(wasm_f32x4_ne(x, x), x, r);
}

/* a^b with PyTorch's special cases: integer b keeps the sign of negative a, non-integer -> NaN. */
INLINE v4 vpow(v4 a, v4 b) {
  v4 aa = wasm_f32x4_abs(a);
  v4 r = vexp(wasm_f32x4_mul(b, vlog(aa)));
  v4 bint = wasm_f32x4_eq(wasm_f32x4_floor(b), b);
  v4 neg = wasm_f32x4_lt(a, F4(0.0f));
  v4 signbit = wasm_i32x4_lt(a, I4(0)); /* includes -0 and -inf */
  /* odd integer b: |b| < 2^24 and b/2 not integer */
  v4 hb = wasm_f32x4_mul(b, F4(0.5f));
  v4 odd = wasm_v128_andnot(bint, wasm_f32x4_eq(wasm_f32x4_floor(hb), hb));
  odd = wasm_v128_and(odd, wasm_f32x4_lt(wasm_f32x4_abs(b), F4(16777216.0f)));
  r = vsel(wasm_v128_and(signbit, odd), wasm_f32x4_neg(r), r);
  /* a negative finite base with a non-integer exponent has no real power; (-inf)^b keeps |r| */
  v4 finite_neg = wasm_v128_and(neg, wasm_f32x4_ne(a, F4(-__builtin_inff())));
  r = vsel(wasm_v128_andnot(finite_neg, bint), F4(__builtin_nanf("")), r);
  r = vsel(wasm_f32x4_eq(b, F4(0.0f)), F4(1.0f), r);
  r = vsel(wasm_f32x4_eq(a, F4(1.0f)), F4(1.0f), r);
  /* (-1)^(+-inf) = 1, as C's pow */
  r = vsel(wasm_v128_and(wasm_f32x4_eq(a, F4(-1.0f)), wasm_f32x4_eq(wasm_f32x4_abs(b), F4(__builtin_inff()))), F4(1.0f), r);
  return r;
}

/* log(1 + x) accurate near 0: log(u) * x / (u - 1) with u = 1 + x corrects u's rounding. */
INLINE v4 vlog1p(v4 x) {
  v4 u = wasm_f32x4_add(x, F4(1.0f));
  v4 d = wasm_f32x4_sub(u, F4(1.0f));
  v4 r = wasm_f32x4_mul(vlog(u), wasm_f32x4_div(x, d));
  r = vsel(wasm_f32x4_eq(d, F4(0.0f)), x, r);                        /* tiny x: log1p(x) = x */
  r = vsel(wasm_f32x4_eq(x, F4(__builtin_inff())), x, r);            /* inf / inf */
  return vsel(wasm_f32x4_eq(u, F4(0.0f)), F4(-__builtin_inff()), r); /* x = -1 */
}

/* exp(x) - 1 accurate near 0: (u - 1) * x / log(u) with u = exp(x). */
INLINE v4 vexpm1(v4 x) {
  v4 u = vexp(x);
  v4 d = wasm_f32x4_sub(u, F4(1.0f));
  v4 r = wasm_f32x4_mul(d, wasm_f32x4_div(x, vlog(u)));
  r = vsel(wasm_f32x4_eq(d, F4(0.0f)), x, r);                  /* tiny x: expm1(x) = x */
  r = vsel(wasm_f32x4_eq(d, F4(-1.0f)), F4(-1.0f), r);         /* large negative x */
  r = vsel(wasm_f32x4_gt(x, F4(88.0f)), vexp(x), r);           /* overflow: inf */
  return vsel(wasm_f32x4_ne(x, x), x, r);
}

/* atan (Cephes atanf): reduction to |x| <= tan(pi/8), odd polynomial. */
INLINE v4 vatan(v4 x) {
  v4 sign = wasm_v128_and(x, SIGN_MASK);
  v4 ax = wasm_f32x4_abs(x);
  v4 big = wasm_f32x4_gt(ax, F4(2.414213562373095f));
  v4 mid = wasm_v128_andnot(wasm_f32x4_gt(ax, F4(0.4142135623730950f)), big);
  v4 y0 = vsel(big, F4(1.5707963267948966f), vsel(mid, F4(0.7853981633974483f), F4(0.0f)));
  v4 xr = vsel(big, wasm_f32x4_div(F4(-1.0f), ax),
               vsel(mid, wasm_f32x4_div(wasm_f32x4_sub(ax, F4(1.0f)), wasm_f32x4_add(ax, F4(1.0f))), ax));
  v4 z = wasm_f32x4_mul(xr, xr);
  v4 p = F4(8.05374449538e-2f);
  p = VFMA(p, z, F4(-1.38776856032e-1f));
  p = VFMA(p, z, F4(1.99777106478e-1f));
  p = VFMA(p, z, F4(-3.33329491539e-1f));
  p = VFMA(wasm_f32x4_mul(p, z), xr, xr);
  return wasm_v128_xor(wasm_f32x4_add(y0, p), sign);
}

/* atan2(y, x) with C's quadrants; y/x of two infinities uses their signs (atan2(inf, inf) = pi/4). */
INLINE v4 vatan2(v4 y, v4 x) {
  v4 both_inf = wasm_v128_and(wasm_f32x4_eq(wasm_f32x4_abs(y), F4(__builtin_inff())),
                              wasm_f32x4_eq(wasm_f32x4_abs(x), F4(__builtin_inff())));
  v4 one = F4(1.0f);
  v4 yy = vsel(both_inf, wasm_v128_or(one, wasm_v128_and(y, SIGN_MASK)), y);
  v4 xx = vsel(both_inf, wasm_v128_or(one, wasm_v128_and(x, SIGN_MASK)), x);
  v4 r = vatan(wasm_f32x4_div(yy, xx));
  /* x < 0 (or -0): add pi with the sign of y */
  v4 xneg = wasm_i32x4_lt(xx, I4(0));
  v4 pi = wasm_v128_or(F4(3.14159265358979f), wasm_v128_and(yy, SIGN_MASK));
  r = vsel(xneg, wasm_f32x4_add(r, pi), r);
  /* x = ±0: ±pi/2 by the sign of y; y = 0 too: 0 or ±pi */
  v4 xzero = wasm_f32x4_eq(xx, F4(0.0f));
  v4 half = wasm_v128_or(F4(1.5707963267948966f), wasm_v128_and(yy, SIGN_MASK));
  v4 yzero = wasm_f32x4_eq(yy, F4(0.0f));
  v4 zero_case = vsel(xneg, pi, wasm_v128_and(yy, SIGN_MASK));
  r = vsel(wasm_v128_and(xzero, wasm_v128_not(yzero)), half, r);
  r = vsel(wasm_v128_and(xzero, yzero), zero_case, r);
  return vsel(wasm_v128_or(wasm_f32x4_ne(x, x), wasm_f32x4_ne(y, y)), F4(__builtin_nanf("")), r);
}

/* Lane-wise int32 helpers without a SIMD instruction. */
INLINE v4 vidiv(v4 a, v4 b) {
  int32_t x[4] __attribute__((aligned(16))), y[4] __attribute__((aligned(16))), r[4] __attribute__((aligned(16)));
  VSTORE(x, a);
  VSTORE(y, b);
  /* truncating; x / 0 -> 0 (as JS ToInt32 of +-Infinity); INT_MIN / -1 wraps */
  for (int i = 0; i < 4; i++) r[i] = y[i] == 0 ? 0 : (y[i] == -1 ? (int32_t)(0u - (uint32_t)x[i]) : x[i] / y[i]);
  return VLOAD(r);
}

INLINE int32_t ipow1(int32_t a, int32_t b) {
  if (b < 0) return a == 1 ? 1 : (a == -1 ? ((b & 1) ? -1 : 1) : 0);
  uint32_t r = 1, x = (uint32_t)a;
  while (b) {
    if (b & 1) r *= x;
    x *= x;
    b >>= 1;
  }
  return (int32_t)r;
}

INLINE v4 vipow(v4 a, v4 b) {
  int32_t x[4] __attribute__((aligned(16))), y[4] __attribute__((aligned(16))), r[4] __attribute__((aligned(16)));
  VSTORE(x, a);
  VSTORE(y, b);
  for (int i = 0; i < 4; i++) r[i] = ipow1(x[i], y[i]);
  return VLOAD(r);
}
