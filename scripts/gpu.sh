#!/usr/bin/env bash
# Runs rullama on a lent GPU machine (H100/H200), which has no Java and no Vulkan loader.
#
#   scripts/gpu.sh pack                 here: build, then pack into .pack/rullama-gpu.tar.xz a jlink'd Java runtime,
#                                       the CLI's jars, Dawn and wgpu-native (stripped), and Debian's Vulkan/GL loader
#                                       .debs (the NVIDIA ICD needs libGLX/libEGL beside libvulkan1)
#   scripts/gpu.sh remote ARGS...       there (in the repo copy the device tool sends, with carry [".pack"]):
#                                       unpack, install the loaders, pin the NVIDIA ICD, run `rullama ARGS...`
#
# A device call then looks like:  command "scripts/gpu.sh remote backends && scripts/gpu.sh remote selftest --backend=all"
# with carry [".pack"]. Results land in docs/PERFORMANCE.md by hand, with card, driver, commit and date.
# The device call sends the whole working tree (64 MiB at most): the test fixtures of models-gemma4 (~43 MB) plus
# the pack do not fit together, so move models-gemma4/src/test/resources/fixtures aside for the call
# (`scripts/gpu.sh park` / `scripts/gpu.sh unpark`).
#
# The side-by-side anchor of the benchmark (llama.cpp built with CUDA on the same card):
#   scripts/gpu.sh pack-llamacpp        here: fetch PyPI llama-cpp-python's source distribution (pinned sha256, cached,
#                                       never committed) and pack only what llama-bench needs from its vendored
#                                       llama.cpp into .pack/llama.cpp-src.tar.xz (the whole sdist exceeds what a
#                                       device call carries)
#   scripts/gpu.sh remote-build-llamacpp   there: build llama-bench with CUDA for the card (sm_90) into
#                                       /tmp/llama.cpp-build (kept while the machine stays warm)
#   scripts/gpu.sh remote-bench KIND... there: for each synthetic real-shape KIND (e2b, e4b, 12b, 26b, 31b): generate it
#                                       (`rullama synth`), run `rullama bench` on both backends and llama-bench on the
#                                       same blob, write JSON into $OUT/bench, delete the model
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
PACK="$ROOT/.pack"
TARBALL="$PACK/rullama-gpu.tar.xz"

pack() {
  . "$ROOT/scripts/java-env.sh"
  "$ROOT/scripts/setup.sh"
  (cd "$ROOT" && mvn -B -q -Dstyle.color=never -DskipTests install)
  local stage; stage=$(mktemp -d)
  # java.base for FFM, java.logging for Guice, java.sql for Jackson's date handlers, jdk.unsupported for Guava
  # uncompressed modules: xz over the whole tarball packs them better than jlink's own zip (15 MB vs 30 MB)
  "$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.sql,jdk.unsupported --strip-debug --no-man-pages \
    --no-header-files --output "$stage/jre"
  mkdir -p "$stage/lib" "$stage/natives" "$stage/gl"
  cp "$ROOT"/cli/target/rullama-cli-*.jar "$ROOT"/cli/target/lib/*.jar "$stage/lib/"
  local cache="${RULLAMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rullama}"
  strip --strip-unneeded -o "$stage/natives/libwebgpu_wrapper.so" "$cache/dawn/libwebgpu_wrapper.so"
  strip --strip-unneeded -o "$stage/natives/libwgpu_native.so" "$cache/wgpu/libwgpu_native.so"
  local lists; lists=$(mktemp -d); mkdir -p "$lists/partial"
  local o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists" -oAPT::Sandbox::User=root)
  apt-get "${o[@]}" -qq update >/dev/null
  (cd "$stage/gl" && apt-get "${o[@]}" -qq download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null 2>&1)
  (cd "$ROOT" && git rev-parse --short HEAD) > "$stage/COMMIT"
  mkdir -p "$PACK"
  tar -C "$stage" -cf - . | xz -9 -T2 > "$TARBALL"
  rm -rf "$stage" "$lists"
  echo "packed $(du -h "$TARBALL" | cut -f1) into $TARBALL (commit $(tar -xOJf "$TARBALL" ./COMMIT))"
}

remote() {
  java_env
  exec "$RJAVA" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow ${RULLAMA_JAVA_OPTS:-} \
    -cp "$RDIR/lib/*" dev.rullama.cli.Main "$@"
}

# Unpacks the pack once, installs the GL/Vulkan loaders, pins the NVIDIA ICD; sets RJAVA and RDIR.
java_env() {
  local dir=/tmp/rullama-gpu
  if [ ! -x "$dir/jre/bin/java" ]; then
    mkdir -p "$dir" && tar -C "$dir" -xJf "$TARBALL"
    for f in "$dir"/gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  export VK_DRIVER_FILES="${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}"
  export __EGL_VENDOR_LIBRARY_FILENAMES="${__EGL_VENDOR_LIBRARY_FILENAMES:-/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json}"
  export RULLAMA_DAWN_LIBRARY="$dir/natives/libwebgpu_wrapper.so" RULLAMA_WGPU_LIBRARY="$dir/natives/libwgpu_native.so"
  RJAVA="$dir/jre/bin/java" RDIR="$dir"
}

rullama_there() {
  "$RJAVA" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow ${RULLAMA_JAVA_OPTS:-} -cp "$RDIR/lib/*" dev.rullama.cli.Main "$@"
}

# The benchmark matrix for each KIND: a synthetic real-shape model (rullama synth) in a scratch store, `rullama bench`
# on both backends, llama-bench (CUDA) on the same blob; JSON and logs into $OUT/bench. BENCH_ARGS overrides the
# common llama-bench-style arguments (default -p 512 -n 128 -r 5); LLAMACPP=0 skips llama-bench; RULLAMA_JAVA_OPTS
# passes JVM options (e.g. -Drullama.gpu.submitEvery=64); BENCH_BACKENDS (default dawn,wgpu); BENCH_VARIANTS runs the
# bench once per 'label:JVM options' entry, '|'-separated, on the same blob (KIND-rullama-LABEL.json; 'default:' is the
# plain run, KIND-rullama.json), e.g. 'default:|by-id:-Drullama.gpu.experts=by-id'.
remote_bench() {
  java_env
  local out="${OUT:-/tmp/out}/bench" store=/tmp/rullama-synth-store kind name blob args
  args=${BENCH_ARGS:--p 512 -n 128 -r 5}
  mkdir -p "$out"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv > "$out/gpu.csv" 2>&1 || true
  cat "$RDIR/COMMIT" > "$out/commit.txt" # the commit the pack's jars were built from: what ran
  for kind in "$@"; do
    rm -rf "$store"
    name="synth-gemma4:$kind-q4_K_M"
    echo "== $kind: generating $name" >&2
    rullama_there synth "$kind" --name "$name" --models "$store" > "$out/$kind-synth.log" 2>&1 || { tail -20 "$out/$kind-synth.log"; continue; }
    blob=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print([l["digest"] for l in m["layers"] if l["mediaType"].endswith(".model")][0].replace(":","-"))' \
      "$store/manifests/registry.ollama.ai/library/synth-gemma4/$kind-q4_K_M")
    blob="$store/blobs/$blob"
    local variant label opts file base_opts="${RULLAMA_JAVA_OPTS:-}"
    IFS='|' read -r -a variants <<< "${BENCH_VARIANTS:-default:}"
    for variant in "${variants[@]}"; do
      label=${variant%%:*}; opts=${variant#*:}
      file="$kind-rullama"; [ "$label" = default ] || file="$kind-rullama-$label"
      echo "== $kind: rullama bench $label ($(du -h "$blob" | cut -f1))" >&2
      # shellcheck disable=SC2086
      RULLAMA_JAVA_OPTS="$base_opts $opts" rullama_there bench "$name" --models "$store" $args --backend "${BENCH_BACKENDS:-dawn,wgpu}" \
        -o json > "$out/$file.json" 2> "$out/$file.log" || tail -20 "$out/$file.log"
    done
    if [ "${LLAMACPP:-1}" = 1 ] && [ -x "$LLAMACPP_BUILD/build/bin/llama-bench" ]; then
      echo "== $kind: llama-bench (CUDA)" >&2
      # shellcheck disable=SC2086
      "$LLAMACPP_BUILD/build/bin/llama-bench" -m "$blob" $args -ngl 99 -o json > "$out/$kind-llamacpp.json" 2> "$out/$kind-llamacpp.log" \
        || tail -20 "$out/$kind-llamacpp.log"
    fi
    rm -rf "$store"
  done
}

LLAMACPP_SDIST=llama_cpp_python-0.3.36.tar.gz
LLAMACPP_SHA=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
LLAMACPP_TARBALL="$PACK/llama.cpp-src.tar.xz"
LLAMACPP_BUILD=/tmp/llama.cpp-build

pack_llamacpp() {
  local cache="${RULLAMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rullama}" dl sdist stage src
  dl="$cache/downloads"; sdist="$dl/$LLAMACPP_SDIST"; mkdir -p "$dl"
  if [ ! -f "$sdist" ] || [ "$(sha256sum "$sdist" | cut -d' ' -f1)" != "$LLAMACPP_SHA" ]; then
    rm -f "$sdist"
    python3 -m pip download --quiet --no-deps --no-binary :all: -d "$dl" "llama-cpp-python==0.3.36"
  fi
  [ "$(sha256sum "$sdist" | cut -d' ' -f1)" = "$LLAMACPP_SHA" ] || { rm -f "$sdist"; echo "gpu.sh: $sdist: sha256 mismatch" >&2; exit 1; }
  stage=$(mktemp -d)
  tar -C "$stage" -xzf "$sdist"
  src="$stage/llama_cpp_python-0.3.36/vendor/llama.cpp"
  mkdir -p "$stage/llama.cpp/tools" "$stage/llama.cpp/ggml/src"
  local d
  for d in CMakeLists.txt LICENSE licenses cmake include src common vendor tools/llama-bench; do
    cp -r "$src/$d" "$stage/llama.cpp/$d"
  done
  # ggml: its build files and headers, the base library, and the CPU and CUDA backends only
  cp -r "$src/ggml/CMakeLists.txt" "$src/ggml/cmake" "$src/ggml/include" "$stage/llama.cpp/ggml/"
  find "$src/ggml/src" -maxdepth 1 -type f -exec cp {} "$stage/llama.cpp/ggml/src/" \;
  cp -r "$src/ggml/src/ggml-cpu" "$src/ggml/src/ggml-cuda" "$stage/llama.cpp/ggml/src/"
  # tools/: llama-bench alone
  echo 'add_subdirectory(llama-bench)' > "$stage/llama.cpp/tools/CMakeLists.txt"
  mkdir -p "$PACK"
  tar -C "$stage" -cf - llama.cpp | xz -9 -T2 > "$LLAMACPP_TARBALL"
  rm -rf "$stage"
  echo "packed $(du -h "$LLAMACPP_TARBALL" | cut -f1) of llama.cpp's source (llama-cpp-python 0.3.36) into $LLAMACPP_TARBALL"
}

remote_build_llamacpp() {
  [ -f "$LLAMACPP_TARBALL" ] || { echo "gpu.sh: $LLAMACPP_TARBALL missing (run pack-llamacpp here, carry .pack)" >&2; exit 1; }
  if [ -x "$LLAMACPP_BUILD/build/bin/llama-bench" ]; then echo "llama-bench already built"; return; fi
  rm -rf "$LLAMACPP_BUILD" && mkdir -p "$LLAMACPP_BUILD" && tar -C "$LLAMACPP_BUILD" -xJf "$LLAMACPP_TARBALL"
  cmake -S "$LLAMACPP_BUILD/llama.cpp" -B "$LLAMACPP_BUILD/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF \
    -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON > "$LLAMACPP_BUILD/configure.log" 2>&1 \
    || { tail -40 "$LLAMACPP_BUILD/configure.log"; exit 1; }
  cmake --build "$LLAMACPP_BUILD/build" --target llama-bench -j "$(nproc)" > "$LLAMACPP_BUILD/build.log" 2>&1 \
    || { tail -60 "$LLAMACPP_BUILD/build.log"; exit 1; }
  echo "built $LLAMACPP_BUILD/build/bin/llama-bench"
}

FIXTURES="$ROOT/models-gemma4/src/test/resources/fixtures"
PARKED="$ROOT/.pack/parked-fixtures"
case "${1:-}" in
  pack) pack ;;
  # skip-worktree while parked, so that a `git add -A` in between does not stage the fixtures' deletion
  park) [ -d "$FIXTURES" ] && mkdir -p "$PACK" && mv "$FIXTURES" "$PARKED" \
          && git -C "$ROOT" ls-files -z -- "$FIXTURES" | xargs -0 -r git -C "$ROOT" update-index --skip-worktree \
          && echo "fixtures parked in $PARKED (not sent; scripts/gpu.sh unpark brings them back)";;
  unpark) [ -d "$PARKED" ] && mv "$PARKED" "$FIXTURES" \
          && git -C "$ROOT" ls-files -z -- "$FIXTURES" | xargs -0 -r git -C "$ROOT" update-index --no-skip-worktree \
          && echo "fixtures restored";;
  remote) shift; remote "$@" ;;
  pack-llamacpp) pack_llamacpp ;;
  remote-build-llamacpp) remote_build_llamacpp ;;
  remote-bench) shift; remote_bench "$@" ;;
  *) echo "usage: scripts/gpu.sh pack | pack-llamacpp | park | unpark | remote RULLAMA-ARGS... | remote-build-llamacpp | remote-bench KIND..." >&2; exit 2 ;;
esac
