#!/usr/bin/env bash
# The README's test command (and all that .ci/run calls): fetch natives, then build and run every test of every
# module with Maven. GPU tests run on Mesa's lavapipe, pinned with VK_DRIVER_FILES, on both Dawn and wgpu-native.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
. "$ROOT/scripts/java-env.sh"
"$ROOT/scripts/setup.sh"
CACHE="${RULLAMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rullama}"
export VK_DRIVER_FILES="$CACHE/lavapipe/lvp_icd.json" RULLAMA_VULKAN_DRIVER=lavapipe
cd "$ROOT"
exec mvn -B -Drullama.cache="$CACHE" "$@" verify
