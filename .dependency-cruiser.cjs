// dependency-cruiser (https://github.com/sverweij/dependency-cruiser): `npm run check:cycles`
// fails on an import cycle outside the tensor core, between folders or between files.
//
// The tensor core is src/tensor, src/ops, src/autograd, src/memory and src/backend. Cycles among
// them are allowed on purpose: a Tensor's methods are the ops (x.add(y) calls ops/), every op
// records its backward node for autograd and registers its result with the memory scope (tidy),
// autograd's engine runs the ops' gradients and makes tensors, and the backends allocate the
// storage tensors wrap and run their kernels. They are one unit split into files; those cycles
// are resolved at call time, never while the modules are evaluated. Everything else (nn, optim,
// train, data, io, onnx, diffusion, cli, platform, models/, ...) must form a DAG: a cycle there
// is a layering mistake, like the CLI's entry point importing the diffusion CLI that imported
// the CLI's helpers back, or the diffusion trainer importing models/ddpm, which imports
// src/diffusion.
//
// Between folders every import counts. Between files, type-only imports (`import type`) do not:
// they are erased when compiling and cannot change what is evaluated first, so two files whose
// interfaces mention each other (a module and its hook types, trace events and their converters)
// are fine.

/** Folders of the tensor core (see above): paths of folders, or of files in them, from the repo root. */
const TENSOR_CORE_FOLDER = "^src/(tensor|ops|autograd|memory|backend)/?$";
const TENSOR_CORE_FILE = "^src/(tensor|ops|autograd|memory|backend)/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-folder-cycles-outside-tensor-core",
      severity: "error",
      comment:
        "Folders import each other in a cycle that leaves the tensor core. Move what both need into a module " +
        "of the lower layer (or a new folder both import), so that imports only go down.",
      scope: "folder",
      from: { pathNot: TENSOR_CORE_FOLDER },
      to: { circular: true },
    },
    {
      name: "no-file-cycles-outside-tensor-core",
      severity: "error",
      comment:
        "Files import each other in a cycle (at run time) through a file outside the tensor core. " +
        "Move what both sides need into a third file that imports neither.",
      from: { pathNot: TENSOR_CORE_FILE },
      to: {
        circular: true,
        dependencyTypesNot: ["type-only"],
        viaOnly: { dependencyTypesNot: ["type-only"] },
      },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist)/" },
    tsConfig: { fileName: "tsconfig.json" },
    // Type-only imports stay in the graph, so that the rules above can tell them apart.
    tsPreCompilationDeps: true,
  },
};
