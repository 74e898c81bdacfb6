/* Unity build of the neurite wasm kernels (see tools/build-wasm.sh). */
#include "rt.h"
#include "gemm.c"
#include "ew.c"
#include "reduce.c"
#include "move.c"
#include "conv.c"
#include "pool.c"
#include "optim.c"

/* Version of the kernel ABI; the JS loader checks it. */
EXPORT(abi_version) int abi_version(void) { return 5; }
