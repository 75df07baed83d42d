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
  local dir=/tmp/rullama-gpu
  if [ ! -x "$dir/jre/bin/java" ]; then
    mkdir -p "$dir" && tar -C "$dir" -xJf "$TARBALL"
    for f in "$dir"/gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  export VK_DRIVER_FILES="${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}"
  export __EGL_VENDOR_LIBRARY_FILENAMES="${__EGL_VENDOR_LIBRARY_FILENAMES:-/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json}"
  export RULLAMA_DAWN_LIBRARY="$dir/natives/libwebgpu_wrapper.so" RULLAMA_WGPU_LIBRARY="$dir/natives/libwgpu_native.so"
  exec "$dir/jre/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow ${RULLAMA_JAVA_OPTS:-} \
    -cp "$dir/lib/*" dev.rullama.cli.Main "$@"
}

FIXTURES="$ROOT/models-gemma4/src/test/resources/fixtures"
PARKED="$ROOT/.pack/parked-fixtures"
case "${1:-}" in
  pack) pack ;;
  park) [ -d "$FIXTURES" ] && mkdir -p "$PACK" && mv "$FIXTURES" "$PARKED" && echo "fixtures parked in $PARKED (not sent)";;
  unpark) [ -d "$PARKED" ] && mv "$PARKED" "$FIXTURES" && echo "fixtures restored";;
  remote) shift; remote "$@" ;;
  *) echo "usage: scripts/gpu.sh pack | park | unpark | remote RULLAMA-ARGS..." >&2; exit 2 ;;
esac
