#!/usr/bin/env bash
# GPU benchmark: `uma doctor`, then bench/gpu.ts (demo and CIFAR scans) on whatever GPU path works:
# tfjs-node-gpu where CUDA 11 libraries load, else WebGPU (Dawn) where a Vulkan/Metal/D3D12 driver
# exists. Writes bench/results/gpu.json. Arguments after the mode go to bench/gpu.ts
# (--cifar-per-class N, --demo-per-class N, --backend B, --cifar PATH|synthetic, --out FILE).
#
#   bench/gpu.sh [ARGS]               in a checkout with node_modules
#   bench/gpu.sh --bundle DIR         here (with node_modules): pack a self-contained copy into DIR
#                                     (one .mjs, Dawn's dawn.node for linux-x64, the demo model, the demo
#                                     and CIFAR subsets as IDX files); copy DIR to the GPU machine, then
#   DIR/run.sh [ARGS]                 there (needs only node >= 20): writes DIR/results/gpu.json
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == --bundle ]]; then
  dir=${2:?usage: bench/gpu.sh --bundle DIR}
  shift 2
  platform=${UMA_DAWN_PLATFORM:-linux-x64}
  mkdir -p "$dir/node_modules/webgpu/dist/$platform" "$dir/demo-model" "$dir/data" "$dir/results"
  # Native and optional packages stay outside the bundle: Dawn is loaded from node_modules/webgpu
  # beside it; the tfjs-node ones and WASM are absent there, and initBackend says so.
  npx esbuild bench/gpu.ts --bundle --platform=node --format=esm --target=node20 \
    --outfile="$dir/gpu.mjs" --log-level=warning \
    --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
    --external:@tensorflow/tfjs-backend-wasm --external:better-sqlite3 \
    --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$dir/node_modules/webgpu/"
  cp "node_modules/webgpu/dist/$platform/"* "$dir/node_modules/webgpu/dist/$platform/"
  cp resources/demo-model/* "$dir/demo-model/"
  node bin/run-ts.mjs bench/gpu.ts --prepare "$dir/data" "$@"
  cat > "$dir/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the packed GPU benchmark (made by bench/gpu.sh --bundle); writes results/gpu.json beside this file.
set -euo pipefail
cd "$(dirname "$0")"
command -v nvidia-smi >/dev/null && nvidia-smi -L || true
node gpu.mjs --demo-model demo-model/model.json --demo-data data/demo-images-idx3-ubyte.gz \
  --cifar data/cifar-images-idx4-ubyte.gz --out results/gpu.json "$@"
RUN
  chmod +x "$dir/run.sh"
  echo "packed into $dir ($(du -sh "$dir" | cut -f1)); run $dir/run.sh on the GPU machine"
  exit 0
fi

mkdir -p bench/results
node bin/uma.mjs doctor "$@" 2>&1 | tee bench/results/gpu-doctor.txt || true
node bin/run-ts.mjs bench/gpu.ts "$@"
