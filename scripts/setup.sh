#!/usr/bin/env bash
# Fetches and caches everything rullama needs outside Maven, sha256-checked, never inside the git tree:
#   - Dawn:         npm package bun-webgpu-linux-x64@0.1.7        -> $CACHE/dawn/libwebgpu_wrapper.so
#   - wgpu-native:  PyPI wheel wgpu==0.32.0 (manylinux x86_64)    -> $CACHE/wgpu/libwgpu_native.so
#   - lavapipe:     Debian bookworm-backports mesa-vulkan-drivers  -> $CACHE/lavapipe/ (+ an ICD json)
#                   (bookworm's own Mesa 22 is rejected by Dawn; Mesa 25 works)
#   - libvulkan.so.1 from Debian libvulkan1, only where the system has no Vulkan loader.
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

fetch_dawn
fetch_wgpu
fetch_vulkan_loader
fetch_lavapipe
say "natives ready in $CACHE"
