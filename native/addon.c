/*
 * The `native` backend's Node-API addon (built by tools/build-native.sh, no node-gyp): GEMM from
 * a statically linked OpenBLAS, and the kernels of wasm/src (elementwise, reductions, data
 * movement, im2col/col2im and max pooling, fused optimizer steps: the same C source as the wasm build)
 * compiled for x86-64 or aarch64 (conv.c's convolutions on OpenBLAS products), on rt.h's thread pool with pthreads and futexes (NEURITE_NATIVE_THREADS).
 * Buffers are JS typed arrays (64-bit sizes); each call receives them with element offsets and
 * computes on their memory in place, without copies. The wrappers mirror the wasm exports one
 * for one, with each pointer given as (typed array, element offset).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../wasm/src/rt.h"
#include "../wasm/src/ew.c"
#include "../wasm/src/reduce.c"
#include "../wasm/src/move.c"
#include "../wasm/src/pool.c"
#include "../wasm/src/optim.c"

/* OpenBLAS's CBLAS entry points (libopenblas.a), declared here to need no cblas.h. */
void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                 float beta, float *c, int ldc);
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

/* BLAS's transposition flag and leading dimension for a rows x cols operand at strides (rs, cs), one of them 1. */
static int blas_layout(long rs, long cs, int rows, int cols, int *ld) {
  if (cs == 1 && (rs >= cols || rows == 1)) {
    *ld = (int)(rs > cols ? rs : cols);
    return NO_TRANS;
  }
  *ld = (int)(cs > rows ? cs : rows);
  return TRANS;
}

/* conv.c's product as one single-threaded OpenBLAS call; C row-major m x n. */
static void conv_gemm(float *c, const float *a, long ars, long acs, const float *b, long brs, long bcs, int m, int n, int k, int accumulate) {
  int lda, ldb;
  int ta = blas_layout(ars, acs, m, k, &lda), tb = blas_layout(brs, bcs, k, n, &ldb);
  cblas_sgemm(ROW_MAJOR, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, accumulate ? 1.0f : 0.0f, c, n > 1 ? n : 1);
}
#define CONV_PACK_FLOATS(m, n, k) 0
#define CONV_GEMM(c, a, ars, acs, b, brs, bcs, m, n, k, accumulate, pack) conv_gemm((c), (a), (ars), (acs), (b), (brs), (bcs), (m), (n), (k), (accumulate))
#include "../wasm/src/conv.c"

/* Version of this addon's JS interface; src/backend/native/load-native.ts checks it. */
#define NATIVE_ABI 5
/* Busy-wait iterations (with a pause instruction each) of a pool thread before it sleeps. */
#define NATIVE_SPIN 4000

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

/* Up to 16 arguments of one call, fetched and counted once; A_PTR/A_INT/A_I64/A_DESC read them. */
typedef struct {
  napi_env env;
  size_t argc;
  napi_value v[16];
} call_args;

static int get_args(napi_env env, napi_callback_info info, call_args *A, size_t want, const char *name) {
  A->env = env;
  A->argc = 16;
  if (napi_get_cb_info(env, info, &A->argc, A->v, NULL, NULL) != napi_ok || A->argc != want) {
    char msg[96];
    snprintf(msg, sizeof msg, "neurite native: %s expects %d arguments", name, (int)want);
    napi_throw_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

/* A pointer argument: the typed array at v[i], element offset at v[i + 1]. */
#define A_PTR(A, i) bytes_arg((A).env, (A).v[i], int_arg((A).env, (A).v[(i) + 1]))
#define A_INT(A, i) ((int)int_arg((A).env, (A).v[i]))
#define A_I64(A, i) int_arg((A).env, (A).v[i])
#define A_DESC(A, i) desc_arg((A).env, (A).v[i])

static napi_value int_result(napi_env env, int x) {
  napi_value r;
  CHECK(napi_create_int32(env, x, &r));
  return r;
}

/*
 * GEMM on rt.h's pool: the batch, or the larger of the rows of C and its columns, is cut into
 * blocks that the pool's threads claim one by one, each block one single-threaded OpenBLAS call.
 * OpenBLAS's own threads split a product statically and spin between calls; on a loaded machine
 * one descheduled thread stalls the whole product, while claimed blocks let the threads that do
 * run take the work (as the wasm GEMM does). Small products run in one call on the caller.
 */
typedef struct {
  const float *a, *b;
  float *c;
  int64_t ao, abs_, lda, bo, bbs, ldb, m, n, k;
  int at, bt;
  int split_rows;  /* blocks of C's rows (else of its columns) */
  int64_t block;   /* rows or columns per block */
  int nblk;        /* blocks per batch item */
} gemm_job;

static void gemm_block(const void *args, int chunk, int tid) {
  (void)tid;
  const gemm_job *J = args;
  int64_t bi = chunk / J->nblk, lo = (int64_t)(chunk % J->nblk) * J->block;
  const float *A = J->a + J->ao + bi * J->abs_, *B = J->b + J->bo + bi * J->bbs;
  float *C = J->c + bi * J->m * J->n;
  int ta = J->at ? TRANS : NO_TRANS, tb = J->bt ? TRANS : NO_TRANS;
  if (J->split_rows) {
    int64_t rows = J->m - lo < J->block ? J->m - lo : J->block;
    cblas_sgemm(ROW_MAJOR, ta, tb, (int)rows, (int)J->n, (int)J->k, 1.0f, A + (J->at ? lo : lo * J->lda), (int)J->lda, B, (int)J->ldb, 0.0f,
                C + lo * J->n, (int)J->n);
  } else {
    int64_t cols = J->n - lo < J->block ? J->n - lo : J->block;
    cblas_sgemm(ROW_MAJOR, ta, tb, (int)J->m, (int)cols, (int)J->k, 1.0f, A, (int)J->lda, B + (J->bt ? lo * J->ldb : lo), (int)J->ldb, 0.0f,
                C + lo, (int)J->n);
  }
}

/* Fewest rows or columns of a block: narrower ones repack the other operand too often. */
#define GEMM_MIN_BLOCK 64
/* Products of fewer multiply-adds than this run in one call on the calling thread. */
#define GEMM_INLINE_MACS (1 << 18)

static void gemm_run(gemm_job *J, int64_t batch) {
  int threads = usable_threads();
  int64_t macs = batch * J->m * J->n * J->k;
  int64_t want = threads <= 1 || macs < GEMM_INLINE_MACS ? 1 : 2 * (int64_t)threads; /* tasks wanted in all */
  J->split_rows = J->m >= J->n;
  int64_t dim = J->split_rows ? J->m : J->n;
  int64_t per = batch >= want ? 1 : (want + batch - 1) / batch; /* blocks per batch item */
  int64_t most = dim / GEMM_MIN_BLOCK;
  if (per > most) per = most;
  if (per < 1) per = 1;
  J->block = (dim + per - 1) / per;
  J->block = (J->block + 15) / 16 * 16; /* whole vectors per block */
  J->nblk = (int)((dim + J->block - 1) / J->block);
  int64_t tasks = batch * J->nblk;
  if (want == 1 || tasks == 1 || tasks > (1 << 20)) {
    for (int64_t t = 0; t < tasks; t++) gemm_block(J, (int)t, 0);
    return;
  }
  parallel_for(gemm_block, J, (int)tasks);
}

/*
 * gemm(c, a, aOffset, aBatchStride, lda, aTrans, b, bOffset, bBatchStride, ldb, bTrans, batch, m, n, k):
 * c[i] = a[i] (m x k) * b[i] (k x n) for each batch i, c contiguous. The JS side has checked the
 * layouts (leading dimensions, offsets within the arrays).
 */
/* Reads gemm's and gemmSumBatch's fifteen arguments into J (offsets applied to the pointers); 0 with a JS exception. */
static int gemm_args(napi_env env, napi_callback_info info, const char *name, gemm_job *J, int64_t *batch) {
  call_args A;
  if (!get_args(env, info, &A, 15, name)) return 0;
  J->c = (float *)bytes_arg(env, A.v[0], 0), J->a = (const float *)A_PTR(A, 1), J->b = (const float *)A_PTR(A, 6);
  if (!J->c || !J->a || !J->b) return 0;
  J->ao = 0, J->abs_ = A_I64(A, 3), J->lda = A_I64(A, 4), J->at = A_INT(A, 5);
  J->bo = 0, J->bbs = A_I64(A, 8), J->ldb = A_I64(A, 9), J->bt = A_INT(A, 10);
  *batch = A_I64(A, 11);
  J->m = A_I64(A, 12), J->n = A_I64(A, 13), J->k = A_I64(A, 14);
  return 1;
}

static napi_value gemm(napi_env env, napi_callback_info info) {
  gemm_job J;
  int64_t batch;
  if (gemm_args(env, info, "gemm", &J, &batch)) gemm_run(&J, batch);
  return NULL;
}

/*
 * gemmSumBatch(c, ...the arguments of gemm): c = the sum over the batch of a[i] (m x k) * b[i] (k x n),
 * c contiguous m x n: a weight's gradient when the weight was broadcast over the batch (a
 * convolution's), without writing the batch of products. Each task runs a slice of the batch
 * into its own m x n sum (the first product overwriting, the rest adding: whole-width products,
 * the sum staying in cache); the slices' sums are then added up in task order.
 */
typedef struct {
  gemm_job g;
  int64_t batch;
  int tasks;
  float *partial; /* (tasks - 1) sums of m x n after c's */
} gemm_sum_job;

static void gemm_sum_task(const void *args, int chunk, int tid) {
  (void)tid;
  const gemm_sum_job *S = args;
  const gemm_job *J = &S->g;
  int64_t b0 = S->batch * chunk / S->tasks, b1 = S->batch * (chunk + 1) / S->tasks;
  float *C = chunk == 0 ? J->c : S->partial + (int64_t)(chunk - 1) * J->m * J->n;
  int ta = J->at ? TRANS : NO_TRANS, tb = J->bt ? TRANS : NO_TRANS;
  if (b0 == b1) { memset(C, 0, (size_t)(J->m * J->n) * 4); return; }
  for (int64_t bi = b0; bi < b1; bi++)
    cblas_sgemm(ROW_MAJOR, ta, tb, (int)J->m, (int)J->n, (int)J->k, 1.0f, J->a + J->ao + bi * J->abs_, (int)J->lda,
                J->b + J->bo + bi * J->bbs, (int)J->ldb, bi == b0 ? 0.0f : 1.0f, C, (int)J->n);
}

static napi_value gemm_sum_batch(napi_env env, napi_callback_info info) {
  gemm_sum_job S;
  gemm_job *J = &S.g;
  if (!gemm_args(env, info, "gemmSumBatch", J, &S.batch)) return NULL;
  int64_t mn = J->m * J->n;
  int threads = usable_threads();
  S.tasks = threads <= 1 || S.batch * mn * J->k < GEMM_INLINE_MACS ? 1 : (S.batch < threads ? (int)S.batch : threads);
  if (S.tasks < 1) S.tasks = 1;
  S.partial = S.tasks > 1 ? malloc((size_t)((S.tasks - 1) * mn) * 4) : NULL;
  if (S.tasks > 1 && !S.partial) S.tasks = 1;
  if (S.tasks == 1) {
    gemm_sum_task(&S, 0, 0);
    return NULL;
  }
  parallel_for(gemm_sum_task, &S, S.tasks);
  for (int t = 1; t < S.tasks; t++) {
    const float *p = S.partial + (int64_t)(t - 1) * mn;
    for (int64_t i = 0; i < mn; i++) J->c[i] += p[i];
  }
  free(S.partial);
  return NULL;
}


/* ewUnary(op, dt, out, x, xOffset, desc) -> 1 when done, 0 when the kernels lack the case. */
static napi_value ew_unary_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 6, "ewUnary")) return NULL;
  char *out = bytes_arg(env, A.v[2], 0), *x = A_PTR(A, 3);
  const int *desc = A_DESC(A, 5);
  if (!out || !x || !desc) return NULL;
  return int_result(env, ew_unary(A_INT(A, 0), A_INT(A, 1), out, x, desc));
}

/* ewBinary(op, dt, out, a, aOffset, b, bOffset, desc) -> 1 when done, 0 when the kernels lack the case. */
static napi_value ew_binary_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 8, "ewBinary")) return NULL;
  char *out = bytes_arg(env, A.v[2], 0), *a = A_PTR(A, 3), *b = A_PTR(A, 5);
  const int *desc = A_DESC(A, 7);
  if (!out || !a || !b || !desc) return NULL;
  return int_result(env, ew_binary(A_INT(A, 0), A_INT(A, 1), out, a, b, desc));
}

/* optimizerStep(kernel, [p, grad, ...state] as Float32Arrays of one length, constants Float32Array). */
static napi_value optimizer_step_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 3, "optimizerStep")) return NULL;
  napi_value *v = A.v;
  int64_t kernel = A_I64(A, 0);
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


/* ewWhere(sz, out, outOff, c, cOff, a, aOff, b, bOff, desc) -> 1 when done, 0 when the kernels lack the case. */
static napi_value ew_where_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 10, "ewWhere")) return NULL;
  char *out = A_PTR(A, 1), *c = A_PTR(A, 3), *a = A_PTR(A, 5), *b = A_PTR(A, 7);
  const int *desc = A_DESC(A, 9);
  if (!out || !c || !a || !b || !desc) return NULL;
  return int_result(env, ew_where(A_INT(A, 0), out, c, a, b, desc));
}

/* ewCast(from, to, out, outOff, x, xOff, desc) -> 1 when done, 0 when the kernels lack the case. */
static napi_value ew_cast_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 7, "ewCast")) return NULL;
  char *out = A_PTR(A, 2), *x = A_PTR(A, 4);
  const int *desc = A_DESC(A, 6);
  if (!out || !x || !desc) return NULL;
  return int_result(env, ew_cast(A_INT(A, 0), A_INT(A, 1), out, x, desc));
}

/* ewCopy(sz, out, outOff, x, xOff, desc): the ew descriptor's view, contiguous. */
static napi_value ew_copy_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 6, "ewCopy")) return NULL;
  char *out = A_PTR(A, 1), *x = A_PTR(A, 3);
  const int *desc = A_DESC(A, 5);
  if (!out || !x || !desc) return NULL;
  ew_copy(A_INT(A, 0), out, x, desc);
  return NULL;
}

/* copyStrided(sz, dst, dstOff, src, srcOff, desc): [nd, shape, dst strides, src strides]. */
static napi_value copy_strided_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 6, "copyStrided")) return NULL;
  char *dst = A_PTR(A, 1), *src = A_PTR(A, 3);
  const int *desc = A_DESC(A, 5);
  if (!dst || !src || !desc) return NULL;
  copy_strided(A_INT(A, 0), dst, src, desc);
  return NULL;
}

/* reduce(op, dt, out, outOff, x, xOff, desc) -> 1 when done, 0 when the kernels lack the case. */
static napi_value reduce_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 7, "reduce")) return NULL;
  char *out = A_PTR(A, 2), *x = A_PTR(A, 4);
  const int *desc = A_DESC(A, 6);
  if (!out || !x || !desc) return NULL;
  return int_result(env, reduce(A_INT(A, 0), A_INT(A, 1), out, x, desc));
}

/* argReduce(op, dt, out, outOff, x, xOff, desc) -> 1 when done, 0 when the kernels lack the case. */
static napi_value arg_reduce_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 7, "argReduce")) return NULL;
  char *out = A_PTR(A, 2), *x = A_PTR(A, 4);
  const int *desc = A_DESC(A, 6);
  if (!out || !x || !desc) return NULL;
  return int_result(env, arg_reduce(A_INT(A, 0), A_INT(A, 1), (int32_t *)out, x, desc));
}

/* gather(sz, out, outOff, x, xOff, index, indexOff, dim, dimsize, desc) -> count of bad indices. */
static napi_value gather_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 10, "gather")) return NULL;
  char *out = A_PTR(A, 1), *x = A_PTR(A, 3), *index = A_PTR(A, 5);
  const int *desc = A_DESC(A, 9);
  if (!out || !x || !index || !desc) return NULL;
  return int_result(env, gather_k(A_INT(A, 0), out, x, (const int32_t *)index, A_INT(A, 7), A_INT(A, 8), desc));
}

/* scatterAdd(dt, out, outOff, src, srcOff, index, indexOff, dim, dimsize, desc) -> count of bad indices. */
static napi_value scatter_add_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 10, "scatterAdd")) return NULL;
  char *out = A_PTR(A, 1), *src = A_PTR(A, 3), *index = A_PTR(A, 5);
  const int *desc = A_DESC(A, 9);
  if (!out || !src || !index || !desc) return NULL;
  return int_result(env, scatter_add(A_INT(A, 0), out, src, (const int32_t *)index, A_INT(A, 7), A_INT(A, 8), desc));
}

/*
 * indexSelect(sz, out, outOff, x, xOff, index, indexOff, istride, nidx, dimsize, osDim, xsDim, desc)
 * and indexAdd(dt, out, outOff, src, srcOff, index, indexOff, istride, nidx, dimsize, osDim, ssDim, desc)
 * -> count of bad indices.
 */
static napi_value index_op(napi_env env, napi_callback_info info, int add) {
  call_args A;
  if (!get_args(env, info, &A, 13, add ? "indexAdd" : "indexSelect")) return NULL;
  char *out = A_PTR(A, 1), *x = A_PTR(A, 3), *index = A_PTR(A, 5);
  const int *desc = A_DESC(A, 12);
  if (!out || !x || !index || !desc) return NULL;
  int a0 = A_INT(A, 0), istride = A_INT(A, 7), nidx = A_INT(A, 8), dimsize = A_INT(A, 9), od = A_INT(A, 10), xd = A_INT(A, 11);
  int bad = add ? index_add(a0, out, x, (const int32_t *)index, istride, nidx, dimsize, od, xd, desc)
                : index_select(a0, out, x, (const int32_t *)index, istride, nidx, dimsize, od, xd, desc);
  return int_result(env, bad);
}
static napi_value index_select_js(napi_env env, napi_callback_info info) { return index_op(env, info, 0); }
static napi_value index_add_js(napi_env env, napi_callback_info info) { return index_op(env, info, 1); }

/* im2col(sz, out, outOff, x, xOff, geo, padBits). */
static napi_value im2col_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 7, "im2col")) return NULL;
  char *out = A_PTR(A, 1), *x = A_PTR(A, 3);
  const int *geo = A_DESC(A, 5);
  if (!out || !x || !geo) return NULL;
  im2col(A_INT(A, 0), out, x, geo, A_INT(A, 6));
  return NULL;
}

/* col2im(dt, out, outOff, cols, colsOff, geo); out zeroed by the caller. */
static napi_value col2im_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 6, "col2im")) return NULL;
  char *out = A_PTR(A, 1), *cols = A_PTR(A, 3);
  const int *geo = A_DESC(A, 5);
  if (!out || !cols || !geo) return NULL;
  col2im(A_INT(A, 0), out, cols, geo);
  return NULL;
}

/* maxPool2dIndices(dt, out, outOff, x, xOff, geo): int32 window-argmax indices (pool.c). */
static napi_value maxpool2d_indices_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 6, "maxPool2dIndices")) return NULL;
  char *out = A_PTR(A, 1), *x = A_PTR(A, 3);
  const int *geo = A_DESC(A, 5);
  if (!out || !x || !geo) return NULL;
  maxpool2d_indices(A_INT(A, 0), (int32_t *)out, x, geo);
  return NULL;
}

/* maxPool2d(dt, out, outOff, x, xOff, geo): window maxima (pool.c). */
static napi_value maxpool2d_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 6, "maxPool2d")) return NULL;
  char *out = A_PTR(A, 1), *x = A_PTR(A, 3);
  const int *geo = A_DESC(A, 5);
  if (!out || !x || !geo) return NULL;
  maxpool2d(A_INT(A, 0), out, x, geo);
  return NULL;
}

/* maxPool2dBackward(dx, dxOff, x, xOff, g, gOff, geo): float32 input gradient (pool.c). */
static napi_value maxpool2d_backward_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 7, "maxPool2dBackward")) return NULL;
  char *dx = A_PTR(A, 0), *x = A_PTR(A, 2), *g = A_PTR(A, 4);
  const int *geo = A_DESC(A, 6);
  if (!dx || !x || !g || !geo) return NULL;
  maxpool2d_backward((float *)dx, x, (const float *)g, geo);
  return NULL;
}

/* The (row, column) strides of a BLAS operand given as leading dimension and transposed flag. */
#define STRIDES(ld, trans) ((trans) ? 1 : (ld)), ((trans) ? (ld) : 1)

/* conv.c's scratch for `op`, or NULL with a JS exception. */
static float *conv_scratch(napi_env env, int op, const int *geo, int O) {
  float *s = malloc((size_t)conv2d_scratch_floats(op, geo, O) * 4 + 64);
  if (!s) napi_throw_error(env, "ERR_NEURITE_NATIVE_OOM", "neurite native: out of memory for a convolution's scratch");
  return s;
}

/* conv2d(out, x, xOff, w, wOff, ldw, wTrans, bias or null, biasOff, biasStride, geo, O) -> 1 when done, 0 to compose (conv.c). */
static napi_value conv2d_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 12, "conv2d")) return NULL;
  float *out = (float *)bytes_arg(env, A.v[0], 0);
  const float *x = (const float *)A_PTR(A, 1), *w = (const float *)A_PTR(A, 3);
  napi_valuetype bt;
  CHECK(napi_typeof(env, A.v[7], &bt));
  const float *bias = bt == napi_null ? NULL : (const float *)A_PTR(A, 7);
  const int *geo = A_DESC(A, 10);
  if (!out || !x || !w || !geo || (bt != napi_null && !bias)) return NULL;
  int O = A_INT(A, 11);
  float *scratch = conv_scratch(env, CONV_FORWARD, geo, O);
  if (!scratch) return NULL;
  int done = conv2d_f32(out, x, w, STRIDES(A_I64(A, 5), A_INT(A, 6)), bias, A_I64(A, 9), geo, O, scratch);
  free(scratch);
  return int_result(env, done);
}

/* conv2dInputGrad(out, gy, gyOff, gyBatchStride, ldg, gyTrans, w, wOff, ldw, wTrans, geo, O) -> 1 when done, 0 to compose. */
static napi_value conv2d_input_grad_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 12, "conv2dInputGrad")) return NULL;
  float *out = (float *)bytes_arg(env, A.v[0], 0);
  const float *gy = (const float *)A_PTR(A, 1), *w = (const float *)A_PTR(A, 6);
  const int *geo = A_DESC(A, 10);
  if (!out || !gy || !w || !geo) return NULL;
  int O = A_INT(A, 11);
  float *scratch = conv_scratch(env, CONV_INPUT_GRAD, geo, O);
  if (!scratch) return NULL;
  int done = conv2d_input_grad_f32(out, gy, A_I64(A, 3), STRIDES(A_I64(A, 4), A_INT(A, 5)), w, STRIDES(A_I64(A, 8), A_INT(A, 9)), geo, O, scratch);
  free(scratch);
  return int_result(env, done);
}

/* conv2dWeightGrad(out, gy, gyOff, gyBatchStride, ldg, gyTrans, x, xOff, geo, O) -> 1. */
static napi_value conv2d_weight_grad_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (!get_args(env, info, &A, 10, "conv2dWeightGrad")) return NULL;
  float *out = (float *)bytes_arg(env, A.v[0], 0);
  const float *gy = (const float *)A_PTR(A, 1), *x = (const float *)A_PTR(A, 6);
  const int *geo = A_DESC(A, 8);
  if (!out || !gy || !x || !geo) return NULL;
  int O = A_INT(A, 9);
  float *scratch = conv_scratch(env, CONV_WEIGHT_GRAD, geo, O);
  if (!scratch) return NULL;
  int done = conv2d_weight_grad_f32(out, gy, A_I64(A, 3), STRIDES(A_I64(A, 4), A_INT(A, 5)), x, geo, O, scratch);
  free(scratch);
  return int_result(env, done);
}

static napi_value set_threads_js(napi_env env, napi_callback_info info) {
  call_args A;
  if (get_args(env, info, &A, 1, "setThreads")) native_pool_start(A_INT(A, 0));
  return NULL;
}

static napi_value threads_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(napi_create_int32(env, g_threads, &r));
  return r;
}

/* Threads rt.h's pool can use now (its workers that have started and parked). */
static napi_value pool_threads_js(napi_env env, napi_callback_info info) {
  (void)info;
  return int_result(env, usable_threads());
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
    {"gemmSumBatch", NULL, gemm_sum_batch, NULL, NULL, NULL, napi_default, NULL},
    {"ewUnary", NULL, ew_unary_js, NULL, NULL, NULL, napi_default, NULL},
    {"ewBinary", NULL, ew_binary_js, NULL, NULL, NULL, napi_default, NULL},
    {"optimizerStep", NULL, optimizer_step_js, NULL, NULL, NULL, napi_default, NULL},
    {"ewWhere", NULL, ew_where_js, NULL, NULL, NULL, napi_default, NULL},
    {"ewCast", NULL, ew_cast_js, NULL, NULL, NULL, napi_default, NULL},
    {"ewCopy", NULL, ew_copy_js, NULL, NULL, NULL, napi_default, NULL},
    {"copyStrided", NULL, copy_strided_js, NULL, NULL, NULL, napi_default, NULL},
    {"reduce", NULL, reduce_js, NULL, NULL, NULL, napi_default, NULL},
    {"argReduce", NULL, arg_reduce_js, NULL, NULL, NULL, napi_default, NULL},
    {"gather", NULL, gather_js, NULL, NULL, NULL, napi_default, NULL},
    {"scatterAdd", NULL, scatter_add_js, NULL, NULL, NULL, napi_default, NULL},
    {"indexSelect", NULL, index_select_js, NULL, NULL, NULL, napi_default, NULL},
    {"indexAdd", NULL, index_add_js, NULL, NULL, NULL, napi_default, NULL},
    {"im2col", NULL, im2col_js, NULL, NULL, NULL, napi_default, NULL},
    {"col2im", NULL, col2im_js, NULL, NULL, NULL, napi_default, NULL},
    {"maxPool2dIndices", NULL, maxpool2d_indices_js, NULL, NULL, NULL, napi_default, NULL},
    {"maxPool2d", NULL, maxpool2d_js, NULL, NULL, NULL, napi_default, NULL},
    {"maxPool2dBackward", NULL, maxpool2d_backward_js, NULL, NULL, NULL, napi_default, NULL},
    {"conv2d", NULL, conv2d_js, NULL, NULL, NULL, napi_default, NULL},
    {"conv2dInputGrad", NULL, conv2d_input_grad_js, NULL, NULL, NULL, napi_default, NULL},
    {"conv2dWeightGrad", NULL, conv2d_weight_grad_js, NULL, NULL, NULL, napi_default, NULL},
    {"setThreads", NULL, set_threads_js, NULL, NULL, NULL, napi_default, NULL},
    {"threads", NULL, threads_js, NULL, NULL, NULL, napi_default, NULL},
    {"poolThreads", NULL, pool_threads_js, NULL, NULL, NULL, napi_default, NULL},
    {"blasConfig", NULL, config_js, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  /*
   * The kernels' pool gets as many threads as OpenBLAS would (the machine's cores, or
   * OPENBLAS_NUM_THREADS), and OpenBLAS runs single-threaded inside its blocks (gemm_run). Its
   * workers spin a short while before sleeping on a futex: long enough to catch the next kernel
   * of a training step, short enough not to take a core from OpenBLAS or the JS thread.
   */
  set_spin(NATIVE_SPIN);
  int cores = openblas_get_num_threads();
  openblas_set_num_threads(1);
  native_pool_start(cores);
  napi_value abi;
  CHECK(napi_create_int32(env, NATIVE_ABI, &abi));
  CHECK(napi_set_named_property(env, exports, "abi", abi));
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
