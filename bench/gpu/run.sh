#!/usr/bin/env bash
# Runs the GPU benchmark from a packed folder (see pack.sh and README.md): PyTorch CUDA first
# (if python3 with CUDA torch is there), then neurite on WebGPU (Dawn on Vulkan), then the table
# of neurite/PyTorch ratios. Extra arguments go to both (e.g. --quick, --sizes 1024,4096).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

node_bin="$here/node"
[ -x "$node_bin" ] || node_bin="$(command -v node || true)"
[ -n "$node_bin" ] || { echo "run.sh: no Node binary (expected $here/node)" >&2; exit 1; }

# The Vulkan loader unpacked from Debian's libvulkan1 .deb, unless the system has one.
if [ -d "$here/vulkan" ]; then
  libdir=$(dirname "$(find "$here/vulkan" -name 'libvulkan.so.1*' | head -1)")
  export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# The NVIDIA ICD: the loader's default search paths, else the container runtime's location.
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -z "${VK_ICD_FILENAMES:-}" ]; then
  found=""
  for f in /etc/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /usr/local/share/vulkan/icd.d/nvidia_icd.json; do
    [ -f "$f" ] && found="$f" && break
  done
  if [ -z "$found" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  fi
fi
echo "# node $("$node_bin" --version), VK_DRIVER_FILES=${VK_DRIVER_FILES:-<default>}" >&2
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2

torch_out="$here/torch.jsonl"
: > "$torch_out"
py="${PYTHON:-python3}"
if command -v "$py" >/dev/null && "$py" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  "$py" "$here/bench_torch.py" "$@" | tee "$torch_out"
else
  echo "# PyTorch with CUDA not found ($py): neurite numbers only" >&2
fi
"$node_bin" "$here/bench-webgpu.mjs" --torch "$torch_out" --out "$here/neurite.jsonl" "$@"
