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
#endif

typedef v128_t v4;
#define INLINE static inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#define SEQ __ATOMIC_SEQ_CST

#ifdef NEURITE_RELAXED
typedef float f4_t __attribute__((vector_size(16)));
/* a * b + c, fused where the hardware has FMA. */
#define VFMA(a, b, c) ((v4)__builtin_wasm_relaxed_madd_f32x4((f4_t)(a), (f4_t)(b), (f4_t)(c)))
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
static int g_spin = 20000;               /* busy-wait iterations before sleeping */

EXPORT(set_threads) void set_threads(int n) { g_threads = n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : n); }
EXPORT(set_spin) void set_spin(int n) { g_spin = n; }

INLINE int ld(int *p) { return __atomic_load_n(p, SEQ); }

#ifdef __wasm_atomics__
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
    if (__atomic_add_fetch(&P.done, 1, SEQ) == n) __builtin_wasm_memory_atomic_notify(&P.done, 1);
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
  unsigned seq = (unsigned)P.seq + 1;
  P.seq = (int)seq;
  job_slot *J = &P.slot[seq & 1];
  J->fn = fn;
  J->args = args;
  J->nchunks = nchunks;
  __atomic_store_n(&P.done, 0, SEQ);
  __atomic_store_n(&P.next, (int)((seq & ((1u << TAG_BITS) - 1)) << CHUNK_BITS), SEQ);
  __atomic_store_n(&P.ctl, (int)((seq << 8) | (unsigned)p), SEQ);
  __builtin_wasm_memory_atomic_notify(&P.ctl, 0xffffffffu);
  run_job(seq, 0);
  for (int spin = 0;; spin++) {
    int d = ld(&P.done);
    if (d >= nchunks) break;
    if (spin > g_spin) __builtin_wasm_memory_atomic_wait32(&P.done, d, -1);
  }
}

/* Entered once by each worker; returns only at shutdown. */
EXPORT(worker_main) void worker_main(int tid) {
  int my = ld(&P.ctl);
  __atomic_store_n(&g_ready[tid], 1, SEQ);
  for (;;) {
    int c, spin = 0;
    while ((c = ld(&P.ctl)) == my) {
      if (++spin > g_spin) __builtin_wasm_memory_atomic_wait32(&P.ctl, my, -1);
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
  __builtin_wasm_memory_atomic_notify(&P.ctl, 0xffffffffu);
}

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
