#!/usr/bin/env bash
# The README's main job on a fresh machine: fetch natives, build, show the backends, and run every kernel on the
# GPU (or, without one, on lavapipe) against its Java reference.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/rullama" backends
"$ROOT/scripts/rullama" selftest --backend=all
