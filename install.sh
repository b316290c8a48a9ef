#!/bin/sh
# Installs the subgate release binary for this machine.
#
#   curl -fsSL https://github.com/subgate-dev/subgate/releases/latest/download/install.sh | sh
#
# Environment:
#   SUBGATE_VERSION        release tag to install (e.g. v0.1.0); default: latest release
#   SUBGATE_INSTALL_DIR    where to put the binary; default: ~/.local/bin
#   SUBGATE_DOWNLOAD_BASE  URL the asset and SHA256SUMS are fetched from (mirrors, tests)
#
# Everything lives in functions and the only top-level command is the final
# `main` call: when piped into sh, a truncated download then defines
# functions but runs nothing.

set -eu

REPO_URL="https://github.com/subgate-dev/subgate"

say() {
  printf '%s\n' "$*"
}

err() {
  printf 'subgate-install: error: %s\n' "$*" >&2
}

warn() {
  printf 'subgate-install: warning: %s\n' "$*" >&2
}

die() {
  err "$@"
  exit 1
}

has() {
  command -v "$1" >/dev/null 2>&1
}

cleanup() {
  rc=$?
  # Runs on every exit path, so a failed or interrupted install leaves
  # neither temp files nor a half-copied binary behind.
  if [ -n "${staged:-}" ]; then
    rm -f "$staged"
  fi
  if [ -n "${tmp_dir:-}" ]; then
    rm -rf "$tmp_dir"
  fi
  exit "$rc"
}

releases_page() {
  if [ -n "${SUBGATE_VERSION:-}" ]; then
    printf '%s/releases/tag/%s\n' "$REPO_URL" "$(normalize_version "$SUBGATE_VERSION")"
  else
    printf '%s/releases/latest\n' "$REPO_URL"
  fi
}

# Release tags are "v"-prefixed; accept "0.1.0" too since people type that.
normalize_version() {
  case "$1" in
    [0-9]*) printf 'v%s\n' "$1" ;;
    *) printf '%s\n' "$1" ;;
  esac
}

detect_asset() {
  os=$(uname -s)
  arch=$(uname -m)

  case "$os" in
    Linux) os_part="unknown-linux-gnu" ;;
    Darwin) os_part="apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT)
      err "this installer does not support Windows."
      err "Windows users: download subgate-x86_64-pc-windows-msvc.exe from $(releases_page)"
      exit 1
      ;;
    *) die "unsupported operating system: $os (prebuilt binaries exist for Linux and macOS; see $(releases_page))" ;;
  esac

  case "$arch" in
    x86_64 | amd64) arch_part="x86_64" ;;
    aarch64 | arm64) arch_part="aarch64" ;;
    *) die "unsupported CPU architecture on $os: $arch (prebuilt binaries exist for x86_64 and aarch64)" ;;
  esac

  # A shell running under Rosetta reports x86_64 on Apple silicon; the
  # native binary is the better choice there.
  if [ "$os" = "Darwin" ] && [ "$arch_part" = "x86_64" ]; then
    if [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = "1" ]; then
      arch_part="aarch64"
    fi
  fi

  # The Linux binaries link against glibc; on musl (Alpine) they fail with a
  # confusing "not found", so warn up front. The final --version run is the
  # real test.
  if [ "$os" = "Linux" ] && has ldd; then
    if ldd --version 2>&1 | grep -qi musl; then
      warn "this system uses musl libc; the subgate Linux binaries need glibc"
    fi
  fi

  printf 'subgate-%s-%s\n' "$arch_part" "$os_part"
}

# Checked before any download so a missing tool is reported straight away
# rather than after fetching the binary.
require_tools() {
  has curl || has wget ||
    die "neither curl nor wget is installed; install one of them and re-run"
  has sha256sum || has shasum ||
    die "neither sha256sum nor shasum is installed; cannot verify the download"
}

download() {
  url=$1
  out=$2
  if has curl; then
    curl --fail --silent --show-error --location --retry 3 --output "$out" "$url" ||
      die "failed to download $url"
  else
    wget -q -O "$out" "$url" || die "failed to download $url"
  fi
}

sha256_of() {
  if has sha256sum; then
    sha256sum "$1" | awk '{ print $1 }'
  else
    shasum -a 256 "$1" | awk '{ print $1 }'
  fi
}

# Prints the checksum listed for $2 in the SHA256SUMS file $1. Accepts the
# "*name" binary-mode marker that some tools write.
expected_sha256() {
  awk -v want="$2" '{ name = $2; sub(/^\*/, "", name); if (name == want) { print $1; exit } }' "$1" |
    tr 'A-F' 'a-f'
}

path_hint() {
  dir=$1
  case ":${PATH:-}:" in
    *":$dir:"*) return 0 ;;
  esac
  # The tilde is meant literally: it is printed for the user to paste.
  # shellcheck disable=SC2088
  case "$(basename "${SHELL:-sh}")" in
    zsh) rc_file="~/.zshrc" ;;
    bash)
      # macOS terminals start login shells, which read ~/.bash_profile.
      if [ "$(uname -s)" = "Darwin" ]; then rc_file="~/.bash_profile"; else rc_file="~/.bashrc"; fi
      ;;
    fish) rc_file="" ;;
    *) rc_file="~/.profile" ;;
  esac
  say ""
  say "$dir is not on your PATH. To run subgate by name, add it:"
  if [ -z "$rc_file" ]; then
    say "  fish_add_path \"$dir\""
  else
    say "  echo 'export PATH=\"$dir:\$PATH\"' >> $rc_file"
    say "then open a new shell (or run: export PATH=\"$dir:\$PATH\")."
  fi
  say ""
}

main() {
  # Declared before the trap is armed so cleanup never sees stale values.
  tmp_dir=""
  staged=""
  trap cleanup EXIT
  # dash does not run the EXIT trap when killed by a signal; exiting from
  # the signal trap routes those through cleanup as well.
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM

  asset=$(detect_asset)
  require_tools

  if [ -n "${SUBGATE_DOWNLOAD_BASE:-}" ]; then
    base=${SUBGATE_DOWNLOAD_BASE%/}
  elif [ -n "${SUBGATE_VERSION:-}" ]; then
    base="$REPO_URL/releases/download/$(normalize_version "$SUBGATE_VERSION")"
  else
    base="$REPO_URL/releases/latest/download"
  fi

  if [ -n "${SUBGATE_INSTALL_DIR:-}" ]; then
    install_dir=$SUBGATE_INSTALL_DIR
  elif [ -n "${HOME:-}" ]; then
    install_dir="$HOME/.local/bin"
  else
    die "HOME is not set; set SUBGATE_INSTALL_DIR to choose where to install subgate"
  fi
  # An absolute path without a trailing slash keeps the PATH check and the
  # printed hint meaningful.
  while [ "${install_dir%/}" != "$install_dir" ] && [ "$install_dir" != "/" ]; do
    install_dir=${install_dir%/}
  done
  case "$install_dir" in
    /*) ;;
    *) install_dir="$(pwd)/$install_dir" ;;
  esac
  target="$install_dir/subgate"

  tmp_dir=$(mktemp -d "${TMPDIR:-/tmp}/subgate-install.XXXXXX") ||
    die "could not create a temporary directory"

  # The checksum list is small, so fetching it first fails fast (bad tag,
  # missing entry) before the large binary download.
  say "downloading $base/SHA256SUMS"
  download "$base/SHA256SUMS" "$tmp_dir/SHA256SUMS"
  expected=$(expected_sha256 "$tmp_dir/SHA256SUMS" "$asset")
  [ -n "$expected" ] || die "SHA256SUMS has no entry for $asset"

  say "downloading $base/$asset"
  download "$base/$asset" "$tmp_dir/$asset"

  actual=$(sha256_of "$tmp_dir/$asset")
  if [ "$actual" != "$expected" ]; then
    err "sha256 checksum mismatch: $asset did not match SHA256SUMS; refusing to install"
    err "  expected: $expected"
    err "  actual:   $actual"
    exit 1
  fi
  say "verified sha256 $actual"

  mkdir -p "$install_dir" || die "could not create $install_dir"
  # /tmp is often a different filesystem, where mv degrades to copy+delete
  # and another process could see a partial binary. Staging a copy next to
  # the target makes the final mv a same-filesystem rename: the old binary
  # is replaced in one step, and a running one is not disturbed.
  staged="$install_dir/.subgate.install.$$"
  cp "$tmp_dir/$asset" "$staged" || die "could not write to $install_dir"
  chmod 755 "$staged"
  mv -f "$staged" "$target" || die "could not move subgate into $install_dir"
  staged=""
  say "installed subgate to $target"

  path_hint "$install_dir"

  # stdin is redirected because under `curl | sh` it is the rest of this
  # script, which the binary must not consume.
  if ! version=$("$target" --version </dev/null 2>&1); then
    err "subgate was installed to $target, but '$target --version' failed:"
    printf '%s\n' "$version" >&2
    exit 1
  fi
  say "$version"
}

main "$@"
