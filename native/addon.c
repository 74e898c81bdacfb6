/*
 * The `native` backend's Node-API addon (built by tools/build-native.sh, no node-gyp): GEMM from
 * a statically linked OpenBLAS, and the elementwise and fused optimizer kernels of wasm/src
 * (ew.c, optim.c) compiled for x86-64. Buffers are JS typed arrays (64-bit sizes); each call receives them with element
 * offsets and computes on their memory in place, without copies.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include "../wasm/src/rt.h"
#include "../wasm/src/ew.c"
#include "../wasm/src/optim.c"

/* OpenBLAS's CBLAS entry points (libopenblas.a), declared here to need no cblas.h. */
void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                 float beta, float *c, int ldc);
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

/* Version of this addon's JS interface; src/backend/native/load-native.ts checks it. */
#define NATIVE_ABI 2

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "neurite native: " #call " failed"); return NULL; } } while (0)

static float *f32_arg(napi_env env, napi_value v, size_t *len) {
  napi_typedarray_type t;
  void *data;
  size_t n;
  if (napi_get_typedarray_info(env, v, &t, &n, &data, NULL, NULL) != napi_ok || t != napi_float32_array) {
    napi_throw_type_error(env, NULL, "neurite native: expected a Float32Array");
    return NULL;
  }
  if (len) *len = n;
  return (float *)data;
}

/* Any typed array's data at element offset `off`; NULL (with a JS exception) otherwise. */
static char *bytes_arg(napi_env env, napi_value v, int64_t off) {
  napi_typedarray_type t;
  void *data;
  size_t n;
  if (napi_get_typedarray_info(env, v, &t, &n, &data, NULL, NULL) != napi_ok) {
    napi_throw_type_error(env, NULL, "neurite native: expected a typed array");
    return NULL;
  }
  int64_t sz = (t == napi_uint8_array || t == napi_int8_array) ? 1 : (t == napi_float64_array ? 8 : 4);
  return (char *)data + off * sz;
}

static int64_t int_arg(napi_env env, napi_value v) {
  int64_t x = 0;
  napi_get_value_int64(env, v, &x);
  return x;
}

/*
 * gemm(c, a, aOffset, aBatchStride, lda, aTrans, b, bOffset, bBatchStride, ldb, bTrans, batch, m, n, k):
 * c[i] = a[i] (m x k) * b[i] (k x n) for each batch i, c contiguous. The JS side has checked the
 * layouts (leading dimensions, offsets within the arrays).
 */
static napi_value gemm(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value v[15];
  CHECK(napi_get_cb_info(env, info, &argc, v, NULL, NULL));
  if (argc != 15) { napi_throw_error(env, NULL, "neurite native: gemm expects 15 arguments"); return NULL; }
  float *c = f32_arg(env, v[0], NULL), *a = f32_arg(env, v[1], NULL), *b = f32_arg(env, v[6], NULL);
  if (!c || !a || !b) return NULL;
  int64_t ao = int_arg(env, v[2]), abs_ = int_arg(env, v[3]), lda = int_arg(env, v[4]), at = int_arg(env, v[5]);
  int64_t bo = int_arg(env, v[7]), bbs = int_arg(env, v[8]), ldb = int_arg(env, v[9]), bt = int_arg(env, v[10]);
  int64_t batch = int_arg(env, v[11]), m = int_arg(env, v[12]), n = int_arg(env, v[13]), k = int_arg(env, v[14]);
  for (int64_t i = 0; i < batch; i++) {
    cblas_sgemm(ROW_MAJOR, at ? TRANS : NO_TRANS, bt ? TRANS : NO_TRANS, (int)m, (int)n, (int)k, 1.0f, a + ao + i * abs_, (int)lda,
                b + bo + i * bbs, (int)ldb, 0.0f, c + i * m * n, (int)n);
  }
  return NULL;
}

static const int *desc_arg(napi_env env, napi_value v) {
  napi_typedarray_type t;
  void *data;
  size_t n;
  if (napi_get_typedarray_info(env, v, &t, &n, &data, NULL, NULL) != napi_ok || t != napi_int32_array) {
    napi_throw_type_error(env, NULL, "neurite native: expected an Int32Array descriptor");
    return NULL;
  }
  return (const int *)data;
}

/* ewUnary(op, dt, out, x, xOffset, desc) -> 1 when done, 0 when the kernels lack the case. */
static napi_value ew_unary_js(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value v[6], r;
  CHECK(napi_get_cb_info(env, info, &argc, v, NULL, NULL));
  char *out = bytes_arg(env, v[2], 0), *x = bytes_arg(env, v[3], int_arg(env, v[4]));
  const int *desc = desc_arg(env, v[5]);
  if (!out || !x || !desc) return NULL;
  CHECK(napi_create_int32(env, ew_unary((int)int_arg(env, v[0]), (int)int_arg(env, v[1]), out, x, desc), &r));
  return r;
}

/* ewBinary(op, dt, out, a, aOffset, b, bOffset, desc) -> 1 when done, 0 when the kernels lack the case. */
static napi_value ew_binary_js(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value v[8], r;
  CHECK(napi_get_cb_info(env, info, &argc, v, NULL, NULL));
  char *out = bytes_arg(env, v[2], 0), *a = bytes_arg(env, v[3], int_arg(env, v[4])), *b = bytes_arg(env, v[5], int_arg(env, v[6]));
  const int *desc = desc_arg(env, v[7]);
  if (!out || !a || !b || !desc) return NULL;
  CHECK(napi_create_int32(env, ew_binary((int)int_arg(env, v[0]), (int)int_arg(env, v[1]), out, a, b, desc), &r));
  return r;
}

/* optimizerStep(kernel, [p, grad, ...state] as Float32Arrays of one length, constants Float32Array). */
static napi_value optimizer_step_js(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value v[3];
  CHECK(napi_get_cb_info(env, info, &argc, v, NULL, NULL));
  int64_t kernel = int_arg(env, v[0]);
  uint32_t nb = 0;
  CHECK(napi_get_array_length(env, v[1], &nb));
  if (nb < 2 || nb > OPT_NBUF) { napi_throw_range_error(env, NULL, "neurite native: optimizerStep expects 2 to 5 buffers"); return NULL; }
  intptr_t ptrs[OPT_NBUF] = {0};
  size_t n = 0;
  for (uint32_t i = 0; i < nb; i++) {
    napi_value e;
    CHECK(napi_get_element(env, v[1], i, &e));
    size_t len;
    float *p = f32_arg(env, e, &len);
    if (!p) return NULL;
    if (i == 0) n = len;
    else if (len != n) { napi_throw_range_error(env, NULL, "neurite native: optimizerStep buffers differ in length"); return NULL; }
    ptrs[i] = (intptr_t)p;
  }
  size_t nc;
  const float *consts = f32_arg(env, v[2], &nc);
  if (!consts) return NULL;
  if (nc < OPT_NC) { napi_throw_range_error(env, NULL, "neurite native: optimizerStep expects 12 constants"); return NULL; }
  optimizer_step((int)kernel, ptrs, consts, (long)n);
  return NULL;
}

static napi_value set_threads_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value v[1];
  CHECK(napi_get_cb_info(env, info, &argc, v, NULL, NULL));
  openblas_set_num_threads((int)int_arg(env, v[0]));
  return NULL;
}

static napi_value threads_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &r));
  return r;
}

static napi_value config_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  const char *s = openblas_get_config();
  CHECK(napi_create_string_utf8(env, s, strlen(s), &r));
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL},
    {"ewUnary", NULL, ew_unary_js, NULL, NULL, NULL, napi_default, NULL},
    {"ewBinary", NULL, ew_binary_js, NULL, NULL, NULL, napi_default, NULL},
    {"optimizerStep", NULL, optimizer_step_js, NULL, NULL, NULL, napi_default, NULL},
    {"setThreads", NULL, set_threads_js, NULL, NULL, NULL, napi_default, NULL},
    {"threads", NULL, threads_js, NULL, NULL, NULL, napi_default, NULL},
    {"blasConfig", NULL, config_js, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  napi_value abi;
  CHECK(napi_create_int32(env, NATIVE_ABI, &abi));
  CHECK(napi_set_named_property(env, exports, "abi", abi));
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
