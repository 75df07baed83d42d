#!/usr/bin/env bash
# The README's main job on a fresh machine: fetch natives and the Gemma 3 270M model, build, show the backends,
# check every kernel on the GPU against its Java reference, then generate text on the GPU: with your Ollama
# `gemma4` when you have one, else with gemma3:270m from rullama's own store. Without a GPU all of this runs on
# lavapipe (a CPU Vulkan driver): correct, and slow (a few tokens a minute for the generation).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
R="$ROOT/scripts/rullama"
"$ROOT/scripts/setup.sh"
"$R" backends
"$R" selftest --backend=auto
model=$("$R" list 2>/dev/null | awk 'NR > 1 && $1 ~ /^gemma4(:|$)/ {print $1; exit}')
model=${model:-gemma3:270m}
echo
echo "rullama: generating with $model (use scripts/rullama run $model for an interactive chat)"
"$R" --verbose run "$model" -n 24 --temperature 0 --raw "The three most useful things to know about the sea are"
