/*
 * Runtime shared by every neurite wasm kernel: SIMD helpers, and a tiny fork/join thread pool.
 *
 * Every worker instantiates this same module over one shared WebAssembly.Memory and then parks
 * inside `worker_main`, so a parallel section costs one atomic notify and one wait, with no JS in
 * between. Work is split into chunks handed out by an atomic counter, which keeps both cores busy
 * on a noisy shared machine.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#ifdef __wasm__
#include <wasm_simd128.h>
#define EXPORT(name) __attribute__((export_name(#name)))
#else
/* Native builds (tools/build-native.sh) run the same kernels through SIMDe's wasm SIMD on SSE/AVX. */
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#define EXPORT(name) __attribute__((visibility("default")))
/* SIMDe 0.7 lacks the const_splat forms; a splat of a constant folds the same way. */
#define wasm_f32x4_const_splat(x) wasm_f32x4_splat(x)
#define wasm_i32x4_const_splat(x) wasm_i32x4_splat(x)
/* SIMDe 0.7 rounds f32x4.nearest lane by lane with a branchy scalar emulation (4.5 ns a vector
 * against 0.5 for an add: it made exp 2.4 ns an element); SSE4.1's roundps and NEON's frintn
 * round half to even, which is nearest's rounding, and quiet a NaN as nearest does. */
#undef wasm_f32x4_nearest
#if defined(__x86_64__)
#include <immintrin.h>
#define wasm_f32x4_nearest(x) ((v128_t)_mm_round_ps((__m128)(x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC))
#elif defined(__aarch64__)
#include <arm_neon.h>
#define wasm_f32x4_nearest(x) ((v128_t)vrndnq_f32((float32x4_t)(x)))
#else
#error "native builds are for x86-64 or aarch64"
#endif
#endif

typedef v128_t v4;
#define INLINE static inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#if !defined(__wasm__) && defined(__x86_64__)
/* A second copy compiled for AVX-512, chosen at load time (an ifunc) where the CPU has it: for
 * loops the compiler vectorises itself (16 lanes instead of 8). */
#define AVX512_CLONE __attribute__((target_clones("avx512f", "default")))
#else
#define AVX512_CLONE
#endif
#define SEQ __ATOMIC_SEQ_CST

#ifdef NEURITE_RELAXED
typedef float f4_t __attribute__((vector_size(16)));
/* a * b + c, fused where the hardware has FMA. */
#define VFMA(a, b, c) ((v4)__builtin_wasm_relaxed_madd_f32x4((f4_t)(a), (f4_t)(b), (f4_t)(c)))
#elif !defined(__wasm__) && defined(__FMA__)
/* Native x86-64 builds (-mfma): fused, as the relaxed wasm build is on FMA hardware. */
#include <immintrin.h>
#define VFMA(a, b, c) ((v4)_mm_fmadd_ps((__m128)(a), (__m128)(b), (__m128)(c)))
#elif !defined(__wasm__) && defined(__aarch64__)
/* Native aarch64 builds: NEON's fmla is always fused. */
#define VFMA(a, b, c) ((v4)vfmaq_f32((float32x4_t)(c), (float32x4_t)(a), (float32x4_t)(b)))
#else
#define VFMA(a, b, c) wasm_f32x4_add(wasm_f32x4_mul((a), (b)), (c))
#endif

#define VLOAD(p) wasm_v128_load(p)
#define VSTORE(p, v) wasm_v128_store((p), (v))
#define VSPLAT(x) wasm_f32x4_splat(x)

#ifdef __wasm__
/* clang lowers these to memory.copy / memory.fill (bulk-memory). */
void *memcpy(void *dst, const void *src, size_t n) {
  __builtin_memcpy(dst, src, n);
  return dst;
}
void *memset(void *dst, int c, size_t n) {
  __builtin_memset(dst, c, n);
  return dst;
}
void *memmove(void *dst, const void *src, size_t n) {
  __builtin_memmove(dst, src, n);
  return dst;
}
#endif

INLINE int imin(int a, int b) { return a < b ? a : b; }
INLINE int imax(int a, int b) { return a > b ? a : b; }

/* ---------------- thread pool ---------------- */

typedef void (*task_fn)(const void *args, int chunk, int tid);

#define MAX_THREADS 64

/*
 * Job protocol. A job is published in one of two slots (by sequence parity) and announced through
 * `ctl` = (sequence << 8) | participants. Chunks are claimed by compare-and-swap on `next` =
 * (sequence tag << 20) | chunk, so a worker that wakes up late (or reads a newer slot) can never
 * claim a chunk of the wrong job; the caller waits for `done` == chunks, not for every worker to
 * check in, so a worker that the OS has not scheduled yet costs nothing.
 */
typedef struct {
  task_fn fn;
  const void *args;
  int nchunks;
} job_slot;

static struct {
  int ctl;
  int shutdown;
  int seq;
  int pad0[13];
  int next;
  int pad1[15];
  int done;
  int pad2[15];
  job_slot slot[2];
} P __attribute__((aligned(64)));

static int g_threads = 1;                /* participants requested (main thread included) */
static int g_ready[MAX_THREADS];         /* worker tid is parked in worker_main */
/*
 * Busy-wait iterations before sleeping; the native addon sets its own count (its iterations pause).
 * A wasm iteration is one atomic load, about 0.3 ns, so 2000000 span about 0.6 ms: longer than
 * the JS between two products of a training step (its elementwise ops, the optimizer, the
 * frontend), so the workers are still awake for the next parallel kernel. At 20000 (6 us) they
 * slept in between and every product paid their wake-up: the BENCH MLP's eight products took
 * 3.0-3.4 ms of a wasm step on 2 threads against 2.4-2.5 ms (scratch A/B, medians of 60 steps),
 * the whole step 4.94 / 4.12 ms against 4.52 / 3.82 ms (two runs of 16 alternating rounds).
 */
static int g_spin = 2000000;

EXPORT(set_threads) void set_threads(int n) { g_threads = n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : n); }
EXPORT(set_spin) void set_spin(int n) { g_spin = n; }

INLINE int ld(int *p) { return __atomic_load_n(p, SEQ); }

#if defined(__wasm_atomics__) || defined(NEURITE_NATIVE_THREADS)
#ifdef __wasm_atomics__
#define POOL_WAIT(p, v) __builtin_wasm_memory_atomic_wait32((p), (v), -1)
#define POOL_NOTIFY(p, n) __builtin_wasm_memory_atomic_notify((p), (n))
#define POOL_RELAX()
#else
/*
 * Native threads (tools/build-native.sh, -DNEURITE_NATIVE_THREADS): the same protocol, with Linux
 * futexes in place of wasm's memory.atomic.wait32/notify, and pthreads as the workers
 * (native_pool_start below). Several JS threads (worker_threads) may share one process and so
 * this one pool: a caller that finds it busy runs its job inline (pool_owner).
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
static inline void POOL_WAIT(int *p, int v) { syscall(SYS_futex, p, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0); }
static inline void POOL_NOTIFY(int *p, unsigned n) { syscall(SYS_futex, p, FUTEX_WAKE_PRIVATE, n > 0x7fffffffu ? 0x7fffffff : (int)n, NULL, NULL, 0); }
#if defined(__aarch64__)
#define POOL_RELAX() __asm__ __volatile__("yield")
#else
#define POOL_RELAX() __builtin_ia32_pause()
#endif
static int pool_owner; /* 1 while a parallel_for runs on the pool */
#endif
#define TAG_BITS 12
#define CHUNK_BITS 20
#define CHUNK_MASK ((1 << CHUNK_BITS) - 1)

/* Claims and runs chunks of job `seq` until none are left. */
static void run_job(unsigned seq, int tid) {
  const job_slot *J = &P.slot[seq & 1];
  task_fn fn = J->fn;
  const void *args = J->args;
  int n = J->nchunks;
  unsigned tag = seq & ((1u << TAG_BITS) - 1);
  for (;;) {
    int v = ld(&P.next);
    if (((unsigned)v >> CHUNK_BITS) != tag) return;
    int c = v & CHUNK_MASK;
    if (c >= n) return;
    if (!__atomic_compare_exchange_n(&P.next, &v, v + 1, 0, SEQ, SEQ)) continue;
    fn(args, c, tid);
    if (__atomic_add_fetch(&P.done, 1, SEQ) == n) POOL_NOTIFY(&P.done, 1);
  }
}

/* Number of threads a job may use now: requested count, limited to the workers already parked. */
static int usable_threads(void) {
  int p = 1;
  while (p < g_threads && ld(&g_ready[p])) p++;
  return p;
}

EXPORT(usable_threads) int usable_threads_export(void) { return usable_threads(); }

/* Runs fn(args, c, tid) for c in [0, nchunks) on up to g_threads threads; returns when all done. */
static void parallel_for(task_fn fn, const void *args, int nchunks) {
  int p = usable_threads();
  if (p > nchunks) p = nchunks;
  if (p <= 1 || nchunks > CHUNK_MASK) {
    for (int c = 0; c < nchunks; c++) fn(args, c, 0);
    return;
  }
#ifndef __wasm_atomics__
  if (__atomic_exchange_n(&pool_owner, 1, SEQ)) {
    for (int c = 0; c < nchunks; c++) fn(args, c, 0);
    return;
  }
#endif
  unsigned seq = (unsigned)P.seq + 1;
  P.seq = (int)seq;
  job_slot *J = &P.slot[seq & 1];
  J->fn = fn;
  J->args = args;
  J->nchunks = nchunks;
  __atomic_store_n(&P.done, 0, SEQ);
  __atomic_store_n(&P.next, (int)((seq & ((1u << TAG_BITS) - 1)) << CHUNK_BITS), SEQ);
  __atomic_store_n(&P.ctl, (int)((seq << 8) | (unsigned)p), SEQ);
  POOL_NOTIFY(&P.ctl, 0xffffffffu);
  run_job(seq, 0);
  for (int spin = 0;; spin++) {
    int d = ld(&P.done);
    if (d >= nchunks) break;
    if (spin > g_spin) POOL_WAIT(&P.done, d);
    else POOL_RELAX();
  }
#ifndef __wasm_atomics__
  __atomic_store_n(&pool_owner, 0, SEQ);
#endif
}

/* Entered once by each worker; returns only at shutdown. */
EXPORT(worker_main) void worker_main(int tid) {
  int my = ld(&P.ctl);
  __atomic_store_n(&g_ready[tid], 1, SEQ);
  for (;;) {
    int c, spin = 0;
    while ((c = ld(&P.ctl)) == my) {
      if (++spin > g_spin) POOL_WAIT(&P.ctl, my);
      else POOL_RELAX();
    }
    my = c;
    if (ld(&P.shutdown)) break;
    if (tid < (c & 255)) run_job((unsigned)c >> 8, tid);
  }
  __atomic_store_n(&g_ready[tid], 0, SEQ);
}

EXPORT(shutdown_workers) void shutdown_workers(void) {
  __atomic_store_n(&P.shutdown, 1, SEQ);
  unsigned seq = (unsigned)P.seq + 1;
  P.seq = (int)seq;
  __atomic_store_n(&P.ctl, (int)(seq << 8), SEQ);
  POOL_NOTIFY(&P.ctl, 0xffffffffu);
}

#ifndef __wasm_atomics__
static void *native_worker(void *tid) {
  worker_main((int)(intptr_t)tid);
  return NULL;
}

/*
 * Sets the participant count (main thread included) and starts the pthreads it still lacks, as
 * the wasm backend's JS starts Workers; each parks in worker_main. Returns the threads started.
 */
static int native_pool_start(int n) {
  static int started = 1;
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&lock);
  set_threads(n);
  while (started < g_threads) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int err = pthread_create(&t, &attr, native_worker, (void *)(intptr_t)started);
    pthread_attr_destroy(&attr);
    if (err) break;
    started++;
  }
  int r = started;
  pthread_mutex_unlock(&lock);
  return r;
}
#endif

#else
/* Single-threaded build (no shared memory): every parallel section runs inline. */
static int usable_threads(void) { return 1; }
EXPORT(usable_threads) int usable_threads_export(void) { return 1; }
static void parallel_for(task_fn fn, const void *args, int nchunks) {
  for (int c = 0; c < nchunks; c++) fn(args, c, 0);
}
#endif

/* Splits n items into chunks of at least `grain`, about 4 per thread (for load balance). */
static int chunk_count(long long n, long long grain) {
  if (n <= grain) return 1;
  long long c = n / grain;
  long long want = (long long)g_threads * 4;
  if (c > want) c = want;
  return c < 1 ? 1 : (int)c;
}

/* parallel_items's chunk: a run of consecutive items. */
typedef struct {
  task_fn fn;
  const void *args;
  int items, per_chunk;
} item_run;

static void item_run_task(const void *args, int chunk, int tid) {
  const item_run *R = args;
  int lo = chunk * R->per_chunk, hi = imin(lo + R->per_chunk, R->items);
  for (int i = lo; i < hi; i++) R->fn(R->args, i, tid);
}

/*
 * Runs fn(args, i, tid) for i in [0, items), `work` units in all, in runs of consecutive items
 * (chunk_count's: about 4 a thread, each at least `grain`; inline when the total is under it).
 * One claim per item would cost a compare-and-swap on the shared counter for each: with thousands
 * of small items (a max-pooling's 14x14 planes) the threads spend their time passing its cache
 * line back and forth, and two are no faster than one.
 */
static void parallel_items(task_fn fn, const void *args, int items, long long work, long long grain) {
  if (items <= 0) return;
  int chunks = chunk_count(work, grain);
  if (chunks > items) chunks = items;
  if (chunks <= 1) {
    for (int i = 0; i < items; i++) fn(args, i, 0);
    return;
  }
  item_run R = {fn, args, items, (items + chunks - 1) / chunks};
  parallel_for(item_run_task, &R, (items + R.per_chunk - 1) / R.per_chunk);
}
