#!/usr/bin/env bash
# Regenerates the FFM bindings of both WebGPU backends from their pinned headers with the project's own generator,
# tools/bindgen/BindGen.java (see its header comment). The output is deterministic: the layout tests of
# backend-dawn and backend-wgpu regenerate into a temporary file and require it to equal the checked-in one, so keep
# the arguments below in sync with DawnHeaderLayoutTest and WgpuNativeHeaderLayoutTest.
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

"$JAVA" tools/bindgen/BindGen.java \
  --header backend-dawn/src/main/headers/dawn/webgpu.h \
  --functions backend-dawn/src/main/bindgen/functions.txt \
  --extra-structs WGPUShaderSourceWGSL \
  --package dev.rullama.backend.dawn.ffi --class DawnWebGpuHeader --implementation dawn \
  --out backend-dawn/src/main/java/dev/rullama/backend/dawn/ffi/DawnWebGpuHeader.java

"$JAVA" tools/bindgen/BindGen.java \
  --header backend-wgpu/src/main/headers/webgpu.h \
  --header backend-wgpu/src/main/headers/wgpu.h \
  --functions backend-wgpu/src/main/bindgen/functions.txt \
  --extra-structs WGPUShaderSourceWGSL \
  --extra-enums WGPUNativeSType \
  --package dev.rullama.backend.wgpu.ffi --class WgpuNativeHeader --implementation wgpu-native \
  --out backend-wgpu/src/main/java/dev/rullama/backend/wgpu/ffi/WgpuNativeHeader.java
