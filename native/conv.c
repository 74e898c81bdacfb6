/*
 * Convolution without writing its columns out (included by addon.c, after the GEMM section).
 * The column routines (im2col, GEMM, col2im) write one sample's columns (C*kh*kw x oh*ow floats,
 * 225 KB for the BENCH CNN's second layer) into the thread's own scratch, where they stay in
 * cache for the single-threaded OpenBLAS product that reads them, instead of writing the whole
 * batch's columns (29 MB) to memory and reading them back. rt.h's pool threads claim samples
 * one by one; the weight gradient gives each thread a slice of the batch summed into its own
 * O x K (the first product overwriting, the rest adding), the slices then added in order.
 * Each entry returns 0, computing nothing, where the caller should compose the column routines
 * instead: too few samples to keep every thread busy, or no memory for the scratch.
 */

typedef struct {
  im2col_job win;        /* x, its strides and the window geometry (win.out is set per sample) */
  const float *w;        /* weight [O, K] */
  const float *bias;     /* [O] (stride bstride) or NULL */
  int64_t bstride;
  int64_t ldw;
  int wt;                /* the weight is stored as [K, O] */
  const float *gy;       /* output gradient [N, O, L] */
  int64_t gys, ldg;      /* its sample stride and leading dimension */
  int gt;                /* each sample's [O, L] is stored as [L, O] */
  float *out;
  int64_t O, K, L;
  float *scratch;        /* K*L columns per thread */
  int64_t N;
  int tasks;             /* weight gradient: slices of the batch */
  float *partial;        /* weight gradient: (tasks - 1) sums of O x K after out's */
} conv_job;

/* im2col of sample n into cols [K, L]. */
static void sample_columns(const conv_job *J, int64_t n, float *cols) {
  im2col_job S = J->win;
  S.x = J->win.x + n * J->win.sn * 4;
  S.out = (char *)cols;
  S.N = 1;
  for (int c = 0; c < S.C; c++) im2col_task(&S, c, 0);
}

/* Sample n of the [N, C, H, W] output = col2im of cols [K, L]. */
static void sample_col2im(const conv_job *J, const float *cols, int64_t n) {
  const im2col_job *g = &J->win;
  int64_t plane = (int64_t)g->C * g->H * g->W;
  col2im_job S = {.cols = (const char *)cols, .out = (char *)(J->out + n * plane), .dt = 0, .N = 1, .C = g->C, .H = g->H, .W = g->W,
                  .s0 = 0, .s1 = J->L, .s2 = 1, .kh = g->kh, .kw = g->kw, .sth = g->sth, .stw = g->stw, .ph = g->ph, .pw = g->pw,
                  .dh = g->dh, .dw = g->dw, .oh = g->oh, .ow = g->ow};
  memset(S.out, 0, (size_t)plane * 4);
  for (int c = 0; c < g->C; c++) col2im_task(&S, c, 0);
}

static float *thread_columns(const conv_job *J, int tid) { return J->scratch + (int64_t)tid * J->K * J->L; }

static void conv_forward_task(const void *args, int n, int tid) {
  const conv_job *J = args;
  float *cols = thread_columns(J, tid);
  sample_columns(J, n, cols);
  float *out = J->out + n * J->O * J->L;
  /* the bias written first and the product added to it, rather than a pass over the output after */
  if (J->bias)
    for (int64_t o = 0; o < J->O; o++) {
      float b = J->bias[o * J->bstride];
      for (int64_t l = 0; l < J->L; l++) out[o * J->L + l] = b;
    }
  cblas_sgemm(ROW_MAJOR, J->wt ? TRANS : NO_TRANS, NO_TRANS, (int)J->O, (int)J->L, (int)J->K, 1.0f, J->w, (int)J->ldw, cols, (int)J->L,
              J->bias ? 1.0f : 0.0f, out, (int)J->L);
}

static void conv_input_grad_task(const void *args, int n, int tid) {
  const conv_job *J = args;
  float *cols = thread_columns(J, tid);
  /* cols = wᵀ · gyₙ */
  cblas_sgemm(ROW_MAJOR, J->wt ? NO_TRANS : TRANS, J->gt ? TRANS : NO_TRANS, (int)J->K, (int)J->L, (int)J->O, 1.0f, J->w, (int)J->ldw,
              J->gy + n * J->gys, (int)J->ldg, 0.0f, cols, (int)J->L);
  sample_col2im(J, cols, n);
}

static void conv_weight_grad_task(const void *args, int chunk, int tid) {
  const conv_job *J = args;
  int64_t b0 = J->N * chunk / J->tasks, b1 = J->N * (chunk + 1) / J->tasks;
  float *sum = chunk == 0 ? J->out : J->partial + (int64_t)(chunk - 1) * J->O * J->K;
  if (b0 == b1) { memset(sum, 0, (size_t)(J->O * J->K) * 4); return; }
  float *cols = thread_columns(J, tid);
  for (int64_t n = b0; n < b1; n++) {
    sample_columns(J, n, cols);
    /* sum (+)= gyₙ · colsᵀ */
    cblas_sgemm(ROW_MAJOR, J->gt ? TRANS : NO_TRANS, TRANS, (int)J->O, (int)J->K, (int)J->L, 1.0f, J->gy + n * J->gys, (int)J->ldg, cols,
                (int)J->L, n == b0 ? 0.0f : 1.0f, sum, (int)J->K);
  }
}

/* The geometry of a window descriptor (kernel-descriptors.ts windowDescriptor) for float32 x. */
static void conv_geometry(conv_job *J, const char *x, const int *geo) {
  im2col_job *g = &J->win;
  g->x = x;
  g->out = NULL;
  g->sz = 4;
  g->N = geo[0]; g->C = geo[1]; g->H = geo[2]; g->W = geo[3];
  g->sn = geo[4]; g->sc = geo[5]; g->sh = geo[6]; g->sw = geo[7];
  g->kh = geo[8]; g->kw = geo[9]; g->sth = geo[10]; g->stw = geo[11];
  g->ph = geo[12]; g->pw = geo[13]; g->dh = geo[14]; g->dw = geo[15];
  g->oh = geo[16]; g->ow = geo[17];
  g->padbits = 0;
  J->N = g->N;
  J->K = (int64_t)g->C * g->kh * g->kw;
  J->L = (int64_t)g->oh * g->ow;
}

/* Runs `task` over `chunks` with a scratch of columns per thread; 0 where it declines (see the top). */
static int conv_run(conv_job *J, task_fn task, int chunks, int per_sample) {
  int threads = usable_threads();
  int inline_run = threads <= 1 || J->N * J->O * J->K * J->L < GEMM_INLINE_MACS;
  if (!inline_run && per_sample && J->N < 2 * (int64_t)threads) return 0;
  int slots = inline_run ? 1 : g_threads;
  J->scratch = malloc((size_t)(slots * J->K * J->L) * 4);
  if (!J->scratch) return 0;
  if (inline_run || chunks == 1) {
    for (int c = 0; c < chunks; c++) task(J, c, 0);
  } else {
    parallel_for(task, J, chunks);
  }
  free(J->scratch);
  return 1;
}

static int conv_forward(conv_job *J) { return conv_run(J, conv_forward_task, (int)J->N, 1); }

static int conv_input_grad(conv_job *J) { return conv_run(J, conv_input_grad_task, (int)J->N, 1); }

static int conv_weight_grad(conv_job *J) {
  int threads = usable_threads();
  J->tasks = threads <= 1 || J->N * J->O * J->K * J->L < GEMM_INLINE_MACS ? 1 : (J->N < threads ? (int)J->N : threads);
  J->partial = NULL;
  if (J->tasks > 1) {
    J->partial = malloc((size_t)((J->tasks - 1) * J->O * J->K) * 4);
    if (!J->partial) J->tasks = 1;
  }
  int done = conv_run(J, conv_weight_grad_task, J->tasks, 0);
  if (done) {
    int64_t ok = J->O * J->K;
    for (int t = 1; t < J->tasks; t++) {
      const float *p = J->partial + (int64_t)(t - 1) * ok;
      for (int64_t i = 0; i < ok; i++) J->out[i] += p[i];
    }
  }
  free(J->partial);
  return done;
}
