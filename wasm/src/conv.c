/*
 * Convolution without writing its columns out: the forward, input-gradient and weight-gradient
 * routines of the `convolution` primitive (src/ops/convolution.ts) for float32.
 *
 * Composed from im2col, GEMM and col2im over the whole batch, a convolution writes every sample's
 * columns (C*kh*kw x oh*ow) to memory and reads them back: 29 MB for the BENCH CNN's second layer
 * at batch 128. Here the pool's threads claim samples one by one and keep one sample's columns
 * (225 KB there) in the thread's own scratch, where they stay in cache for the single-threaded
 * product that reads them. The weight gradient gives each thread a slice of the batch summed into
 * its own O x K (the first product overwriting, the rest adding), the slices then added in order.
 *
 * The product is the includer's: the wasm kernels (neurite.c) use gemm.c's gemm_serial, packing
 * into the thread's scratch too; the native addon defines CONV_GEMM as an OpenBLAS call first.
 * The caller allocates the scratch (conv2d_scratch_floats). Each routine returns 0, computing
 * nothing, where the caller should compose the column routines instead: too few samples to keep
 * every thread busy.
 */
#ifndef CONV_GEMM
#define CONV_PACK_FLOATS(m, n, k) gemm_pack_floats((m), (n), (k))
#define CONV_GEMM(c, a, ars, acs, b, brs, bcs, m, n, k, accumulate, pack) \
  gemm_serial((c), (a), (ars), (acs), (b), (brs), (bcs), (m), (n), (k), (accumulate), (pack))
#endif

enum { CONV_FORWARD, CONV_INPUT_GRAD, CONV_WEIGHT_GRAD };

typedef struct {
  im2col_job win;        /* x, its strides and the window geometry (win.out is set per sample) */
  const float *w;        /* weight [O, K]: element (o, k) at w[o * wos + k * wks] */
  long wos, wks;
  const float *bias;     /* [O] (stride bstride) or NULL */
  long bstride;
  const float *gy;       /* output gradient [N, O, L]: element (n, o, l) at gy[n * gns + o * gos + l * gls] */
  long gns, gos, gls;
  float *out;
  long O, K, L, N;
  float *scratch;        /* per thread: K*L columns, then the product's packing space */
  long per_thread;
  int tasks;             /* weight gradient: slices of the batch */
  float *partial;        /* weight gradient: (tasks - 1) sums of O x K after out's */
} conv_job;

/* Columns and packing space: the largest product of `op` (m x n x k). */
static long conv_per_thread(int op, long O, long K, long L) {
  long m = op == CONV_INPUT_GRAD ? K : O, n = op == CONV_WEIGHT_GRAD ? K : L, k = op == CONV_FORWARD ? K : (op == CONV_INPUT_GRAD ? O : L);
  return K * L + CONV_PACK_FLOATS((int)m, (int)n, (int)k);
}

/* The geometry of a window descriptor (kernel-descriptors.ts windowDescriptor) for float32 x. */
static void conv_geometry(conv_job *J, const float *x, const int *geo, int O) {
  im2col_job *g = &J->win;
  g->x = (const char *)x;
  g->out = 0;
  g->sz = 4;
  g->N = geo[0]; g->C = geo[1]; g->H = geo[2]; g->W = geo[3];
  g->sn = geo[4]; g->sc = geo[5]; g->sh = geo[6]; g->sw = geo[7];
  g->kh = geo[8]; g->kw = geo[9]; g->sth = geo[10]; g->stw = geo[11];
  g->ph = geo[12]; g->pw = geo[13]; g->dh = geo[14]; g->dw = geo[15];
  g->oh = geo[16]; g->ow = geo[17];
  g->padbits = 0;
  J->N = g->N;
  J->O = O;
  J->K = (long)g->C * g->kh * g->kw;
  J->L = (long)g->oh * g->ow;
}

/* Floats of scratch a routine needs (`op`: 0 forward, 1 input gradient, 2 weight gradient). */
EXPORT(conv2d_scratch_floats) long conv2d_scratch_floats(int op, const int *geo, int O) {
  conv_job J;
  conv_geometry(&J, 0, geo, O);
  long partials = op == CONV_WEIGHT_GRAD ? (long)(g_threads - 1) * J.O * J.K : 0;
  return (long)g_threads * conv_per_thread(op, J.O, J.K, J.L) + partials;
}

static float *thread_columns(const conv_job *J, int tid) { return J->scratch + (long)tid * J->per_thread; }
static float *thread_pack(const conv_job *J, int tid) { return thread_columns(J, tid) + J->K * J->L; }

/* im2col of sample n into cols [K, L]. */
static void sample_columns(const conv_job *J, long n, float *cols) {
  im2col_job S = J->win;
  S.x = J->win.x + n * J->win.sn * 4;
  S.out = (char *)cols;
  S.N = 1;
  for (int c = 0; c < S.C; c++) im2col_task(&S, c, 0);
}

/* Sample n of the [N, C, H, W] output = col2im of cols [K, L]. */
static void sample_col2im(const conv_job *J, const float *cols, long n) {
  const im2col_job *g = &J->win;
  long plane = (long)g->C * g->H * g->W;
  col2im_job S = {.cols = (const char *)cols, .out = (char *)(J->out + n * plane), .dt = 0, .N = 1, .C = g->C, .H = g->H, .W = g->W,
                  .s0 = 0, .s1 = J->L, .s2 = 1, .kh = g->kh, .kw = g->kw, .sth = g->sth, .stw = g->stw, .ph = g->ph, .pw = g->pw,
                  .dh = g->dh, .dw = g->dw, .oh = g->oh, .ow = g->ow};
  __builtin_memset(S.out, 0, (size_t)plane * 4);
  for (int c = 0; c < g->C; c++) col2im_task(&S, c, 0);
}

static void conv_forward_task(const void *args, int n, int tid) {
  const conv_job *J = args;
  float *cols = thread_columns(J, tid), *out = J->out + n * J->O * J->L;
  sample_columns(J, n, cols);
  /* the bias written first and the product added to it, rather than a pass over the output after */
  if (J->bias)
    for (long o = 0; o < J->O; o++) {
      float b = J->bias[o * J->bstride];
      for (long l = 0; l < J->L; l++) out[o * J->L + l] = b;
    }
  /* outₙ (+)= w · cols */
  CONV_GEMM(out, J->w, J->wos, J->wks, cols, J->L, 1, (int)J->O, (int)J->L, (int)J->K, J->bias != 0, thread_pack(J, tid));
}

static void conv_input_grad_task(const void *args, int n, int tid) {
  const conv_job *J = args;
  float *cols = thread_columns(J, tid);
  /* cols = wᵀ · gyₙ */
  CONV_GEMM(cols, J->w, J->wks, J->wos, J->gy + n * J->gns, J->gos, J->gls, (int)J->K, (int)J->L, (int)J->O, 0, thread_pack(J, tid));
  sample_col2im(J, cols, n);
}

static void conv_weight_grad_task(const void *args, int chunk, int tid) {
  const conv_job *J = args;
  long b0 = J->N * chunk / J->tasks, b1 = J->N * (chunk + 1) / J->tasks;
  float *sum = chunk == 0 ? J->out : J->partial + (long)(chunk - 1) * J->O * J->K;
  if (b0 == b1) { __builtin_memset(sum, 0, (size_t)(J->O * J->K) * 4); return; }
  float *cols = thread_columns(J, tid);
  for (long n = b0; n < b1; n++) {
    sample_columns(J, n, cols);
    /* sum (+)= gyₙ · colsᵀ */
    CONV_GEMM(sum, J->gy + n * J->gns, J->gos, J->gls, cols, 1, J->L, (int)J->O, (int)J->K, (int)J->L, n != b0, thread_pack(J, tid));
  }
}

/* Products of fewer multiply-adds than this run on the calling thread (as gemm's small products). */
#define CONV_INLINE_MACS (1 << 18)

static int conv_inline(const conv_job *J) { return usable_threads() <= 1 || (long long)J->N * J->O * J->K * J->L < CONV_INLINE_MACS; }

/* One task a sample, on the pool; 0 (declined) with fewer than two samples a thread. */
static int conv_per_sample(conv_job *J, task_fn task, int op) {
  J->per_thread = conv_per_thread(op, J->O, J->K, J->L);
  if (conv_inline(J)) {
    for (long n = 0; n < J->N; n++) task(J, (int)n, 0);
    return 1;
  }
  if (J->N < 2 * (long)usable_threads()) return 0;
  parallel_for(task, J, (int)J->N);
  return 1;
}

/* conv2d(out [N, O, L], x (geo), w, bias or NULL, geo, O, scratch) -> 1 when done, 0 to compose. */
EXPORT(conv2d_f32)
int conv2d_f32(float *out, const float *x, const float *w, long wos, long wks, const float *bias, long bstride, const int *geo, int O,
               float *scratch) {
  conv_job J;
  conv_geometry(&J, x, geo, O);
  J.out = out, J.w = w, J.wos = wos, J.wks = wks, J.bias = bias, J.bstride = bstride, J.scratch = scratch;
  return conv_per_sample(&J, conv_forward_task, CONV_FORWARD);
}

/* conv2dInputGrad(out [N, C, H, W] as geo describes, gy, w, geo, O, scratch) -> 1 when done, 0 to compose. */
EXPORT(conv2d_input_grad_f32)
int conv2d_input_grad_f32(float *out, const float *gy, long gns, long gos, long gls, const float *w, long wos, long wks, const int *geo,
                          int O, float *scratch) {
  conv_job J;
  conv_geometry(&J, 0, geo, O);
  J.out = out, J.gy = gy, J.gns = gns, J.gos = gos, J.gls = gls, J.w = w, J.wos = wos, J.wks = wks, J.bias = 0, J.scratch = scratch;
  return conv_per_sample(&J, conv_input_grad_task, CONV_INPUT_GRAD);
}

/* conv2dWeightGrad(out [O, K], gy, x (geo), geo, O, scratch): summed over the batch; always done (returns 1). */
EXPORT(conv2d_weight_grad_f32)
int conv2d_weight_grad_f32(float *out, const float *gy, long gns, long gos, long gls, const float *x, const int *geo, int O, float *scratch) {
  conv_job J;
  conv_geometry(&J, x, geo, O);
  J.out = out, J.gy = gy, J.gns = gns, J.gos = gos, J.gls = gls, J.bias = 0, J.scratch = scratch;
  J.per_thread = conv_per_thread(CONV_WEIGHT_GRAD, J.O, J.K, J.L);
  int threads = usable_threads();
  J.tasks = conv_inline(&J) ? 1 : (J.N < threads ? (int)J.N : threads);
  J.partial = scratch + (long)g_threads * J.per_thread;
  if (J.tasks == 1) {
    conv_weight_grad_task(&J, 0, 0);
    return 1;
  }
  parallel_for(conv_weight_grad_task, &J, J.tasks);
  long ok = J.O * J.K;
  for (int t = 1; t < J.tasks; t++) {
    const float *p = J.partial + (long)(t - 1) * ok;
    for (long i = 0; i < ok; i++) J.out[i] += p[i];
  }
  return 1;
}
