#!/usr/bin/env bash
# Regenerates the FFM bindings of both WebGPU backends from their pinned headers with the project's own generator,
# tools/bindgen/BindGen.java (see its header comment). The output is deterministic: the layout tests of
# backend-dawn and backend-wgpu regenerate into a temporary file and require it to equal the checked-in one.
set -euo pipefail

# JDK 25 or newer: keep JAVA_HOME if it already is one, else use the Temurin 25 install.
java_feature_version() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9.]*\).*/\1/p' | sed 's/^1\.//; s/\..*//'
}
if [[ -z "${JAVA_HOME:-}" || ! -x "${JAVA_HOME}/bin/java" || "$(java_feature_version "$JAVA_HOME")" -lt 25 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA="$JAVA_HOME/bin/java"

# The generator records header paths relative to the working directory: run from the repository root.
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Each backend's generator arguments (one per line) live in backend-*/src/main/bindgen/bindgen.args; the layout
# tests read the same file, so the script and the tests cannot drift apart.
for backend in backend-dawn backend-wgpu; do
  mapfile -t args < "$backend/src/main/bindgen/bindgen.args"
  "$JAVA" tools/bindgen/BindGen.java "${args[@]}"
done
