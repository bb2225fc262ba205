#!/usr/bin/env bash
# Runs the CPU-bound and lifecycle benchmarks on a lent many-core Linux machine that has no
# Node.js. It expects, in the tree it receives (dist folders and node_modules are git-ignored,
# so they must be carried):
#   .device/node.xz                 this machine's node binary: xz -6 -T1 < "$(command -v node)" > .device/node.xz
#   bench/dist, packages/runtime/dist   built here with `npm run build` (or tspc -b)
#   node_modules/piscina, node_modules/tinypool, node_modules/@troupe   (the last is a workspace
#                                   link; it is recreated below if missing)
# and writes results.json, RESULTS.md and bench.log into "$OUT".
# Usage, from the repo root: OUT=/some/folder bash bench/device.sh
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "device.sh: $*" >&2
  exit 1
}

[[ -n "${OUT:-}" ]] || fail 'set OUT to the folder for the results'
mkdir -p "$OUT"

if [[ ! -x .device/node ]]; then
  [[ -f .device/node.xz ]] || fail '.device/node.xz is missing: carry it (see the header of this script)'
  if command -v xz >/dev/null; then
    xz -dc .device/node.xz >.device/node
  elif command -v python3 >/dev/null; then
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
      .device/node.xz .device/node
  else
    fail 'neither xz nor python3 is there to unpack .device/node.xz'
  fi
  chmod +x .device/node
fi
export PATH="$PWD/.device:$PATH"
node --version >/dev/null || fail 'the unpacked node does not run here (another architecture or libc?)'

missing=()
for path in bench/dist/run.js packages/runtime/dist/index.js node_modules/piscina/package.json \
  node_modules/tinypool/package.json; do
  [[ -e "$path" ]] || missing+=("$path")
done
((${#missing[@]} == 0)) || fail "missing ${missing[*]}: build here, then carry bench/dist, packages/runtime/dist, node_modules/piscina, node_modules/tinypool, node_modules/@troupe and .device/node.xz"
if [[ ! -e node_modules/@troupe/runtime/package.json ]]; then
  mkdir -p node_modules/@troupe
  ln -sfn ../../packages/runtime node_modules/@troupe/runtime
fi

# Cores this run may use: the affinity mask, capped by a cgroup CPU quota where one is set.
cores=$(nproc)
if [[ -r /sys/fs/cgroup/cpu.max ]]; then
  read -r quota period </sys/fs/cgroup/cpu.max
  if [[ "$quota" != max ]]; then
    cores=$((quota / period < cores ? quota / period : cores))
  fi
fi

{
  echo "device.sh: $(date -u +%FT%TZ), node $(node --version), nproc $(nproc), using $cores cores"
  grep -m1 'model name' /proc/cpuinfo || true
  free -g | head -2 || true
} | tee "$OUT/bench.log"

# About 3 minutes on 16 cores; the timeout keeps a hang from eating the lease.
timeout "${LIMIT_S:-420}" node bench/dist/run.js --only cpu,lifecycle --cores "$cores" --rounds "${ROUNDS:-5}" --actors 64 \
  --label "lent $cores-core machine" --out "$OUT" 2>&1 | tee -a "$OUT/bench.log"
