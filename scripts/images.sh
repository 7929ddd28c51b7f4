#!/usr/bin/env bash
# scripts/images.sh - build the real firmware images rme-emu boots.
#
#   bash scripts/images.sh          build (or reuse) everything
#   bash scripts/images.sh clean    remove target/images/
#
# Produces, under target/images/ (relative to the repository root):
#   tf-a-fvp-rme/bl1.bin   TF-A 2.12 BL1 for FVP Base RevC with RME (DEBUG=1):
#                          the Trusted boot ROM image, reset vector at 0x0
#   tf-a-fvp-rme/fip.bin   FIP for NOR flash0 (0x08000000): BL2, BL31, the TRP
#                          (as the R-EL2 RMM), HW_CONFIG DTB, our BL33
#   tf-a-fvp-rme/elf/      the matching ELF files and DTB, for symbols
#   bl33/bl33.bin          the project's BL33 test payload (scripts/bl33_hello.S)
#   MANIFEST               version and SHA-256 of every input and output
#
# Only Debian's package archive is used, through the mirror this machine's own
# apt configuration names; the TF-A source comes from Debian trixie's
# `arm-trusted-firmware` source package, fetched with a private apt state so
# the system's apt setup is not touched. The cross toolchain is installed with
# apt-get (as root) only if it is missing.
#
# Every step records the inputs it was built from in target/images/.stamps/
# and is skipped when its output exists and those inputs are unchanged, so a
# second run takes seconds. Environment knobs:
#   IMAGES_REFRESH=1   re-read the archive (apt-get update) and take whatever
#                      arm-trusted-firmware version trixie now serves
#   DEBIAN_MIRROR=URI  use this mirror instead of the one apt is configured with
#   JOBS=N             parallel make jobs (default: number of CPUs)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMG="$ROOT/target/images"
STAMPS="$IMG/.stamps"
SCRIPTS="$ROOT/scripts"

SRC_PKG=arm-trusted-firmware   # Debian source package holding TF-A
SUITE=trixie                   # first Debian suite with TF-A 2.12
TFA_SERIES=2.12                # the version FVP-MAP.md was written against
CROSS=aarch64-linux-gnu-
BL33_BASE=0x88000000           # PLAT_ARM_NS_IMAGE_BASE on FVP
JOBS=${JOBS:-$(nproc)}

log() { printf '[images] %s\n' "$*" >&2; }
die() { printf '[images] error: %s\n' "$*" >&2; exit 1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }
sha256_str() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# Stamps: a step is done when its stamp file holds exactly the key made from
# its inputs (and the caller has checked that its outputs exist).
stamp_ok() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
stamp_set() { mkdir -p "$STAMPS"; printf '%s\n' "$2" >"$STAMPS/$1"; }

if [[ "${1:-}" == clean ]]; then
    log "removing $IMG"
    rm -rf "$IMG"
    exit 0
elif [[ $# -gt 0 ]]; then
    die "usage: bash scripts/images.sh [clean]"
fi

# Host environment variables that TF-A's makefiles or the assembler would
# pick up and that would make the build differ from one machine to another.
unset CFLAGS CPPFLAGS LDFLAGS ASFLAGS MAKEFLAGS MFLAGS MAKELEVEL
export LC_ALL=C

mkdir -p "$IMG"

# ---------------------------------------------------------------------------
# 1. Host tools. Install only what is missing (apt-get update first then).
# ---------------------------------------------------------------------------
need_pkgs=()
for t in gcc as ld objcopy objdump; do
    command -v "${CROSS}$t" >/dev/null || { need_pkgs+=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu); break; }
done
command -v dtc >/dev/null || need_pkgs+=(device-tree-compiler)
command -v make >/dev/null || need_pkgs+=(make)
command -v dpkg-source >/dev/null || need_pkgs+=(dpkg-dev)
command -v xz >/dev/null || need_pkgs+=(xz-utils)
# fiptool (built for the host by TF-A's make) needs a host C compiler and
# OpenSSL's libcrypto headers.
command -v cc >/dev/null || need_pkgs+=(gcc libc6-dev)
[[ -f /usr/include/openssl/sha.h ]] || need_pkgs+=(libssl-dev)
if ((${#need_pkgs[@]})); then
    [[ $(id -u) -eq 0 ]] || die "missing host packages (${need_pkgs[*]}); run as root or install them"
    log "installing host packages: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${need_pkgs[@]}"
fi

# ---------------------------------------------------------------------------
# 2. A private apt state that reads the machine's own Debian mirror, with a
#    deb-src line for trixie, and the TF-A source package downloaded into it.
# ---------------------------------------------------------------------------
# The mirror is read from this machine's apt configuration (never hard-coded
# here): deb822 sources first, then the one-line format.
mirror=${DEBIAN_MIRROR:-}
if [[ -z "$mirror" && -f /etc/apt/sources.list.d/debian.sources ]]; then
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
fi
if [[ -z "$mirror" && -f /etc/apt/sources.list ]]; then
    mirror=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
fi
[[ -n "$mirror" ]] || die "cannot find the Debian mirror in /etc/apt (set DEBIAN_MIRROR)"

APT="$IMG/apt"
DL="$IMG/dl"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$DL"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
sources="deb-src [signed-by=$keyring] $mirror $SUITE main"
# Rewrite the list only when it changes (its content is part of the key).
if [[ ! -f "$APT/sources.list" || "$(cat "$APT/sources.list")" != "$sources" ]]; then
    printf '%s\n' "$sources" >"$APT/sources.list"
fi
apt_opts=(
    -o "Dir::Etc::SourceList=$APT/sources.list"
    -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$APT/lists"
    -o "Dir::Cache=$APT/cache"
    -o Debug::NoLocking=1
    -o APT::Sandbox::User=root   # files land in target/, which _apt may not reach
)

dl_key=$(sha256_str "$sources $SRC_PKG")
dsc=$(ls "$DL"/"${SRC_PKG}"_*.dsc 2>/dev/null | head -n1 || true)
if [[ "${IMAGES_REFRESH:-0}" != 1 && -n "$dsc" ]] && stamp_ok download "$dl_key"; then
    log "source package: cached $(basename "$dsc")"
else
    log "apt-get update (private state in target/images/apt, suite $SUITE, deb-src)"
    apt-get "${apt_opts[@]}" update -q
    rm -f "$DL"/*
    log "apt-get source --download-only $SRC_PKG"
    (cd "$DL" && apt-get "${apt_opts[@]}" source --download-only "$SRC_PKG")
    dsc=$(ls "$DL"/"${SRC_PKG}"_*.dsc 2>/dev/null | head -n1 || true)
    [[ -n "$dsc" ]] || die "apt-get source did not produce a .dsc"
    stamp_set download "$dl_key"
fi

# Version from the .dsc itself (e.g. 2.12.1+dfsg-1); upstream part for checks.
tfa_version=$(awk '/^Version:/{print $2; exit}' "$dsc")
tfa_upstream=${tfa_version%%+*}; tfa_upstream=${tfa_upstream%%-*}
[[ "$tfa_upstream" == "$TFA_SERIES".* || "$tfa_upstream" == "$TFA_SERIES" ]] ||
    log "warning: $SRC_PKG $tfa_version is not TF-A $TFA_SERIES.x; FVP-MAP.md describes $TFA_SERIES"
dsc_sha=$(sha256 "$dsc")

# ---------------------------------------------------------------------------
# 3. Unpack with dpkg-source (applies Debian's patches: none of them touches
#    the FVP platform) into target/images/src/.
# ---------------------------------------------------------------------------
SRC="$IMG/src/$SRC_PKG"
if [[ -f "$SRC/Makefile" ]] && stamp_ok unpack "$dsc_sha"; then
    log "source tree: cached $SRC_PKG $tfa_version"
else
    log "dpkg-source -x $(basename "$dsc")"
    rm -rf "$SRC"
    mkdir -p "$IMG/src"
    # apt verified the files against the signed Release/Sources; dpkg-source
    # re-checks the tarballs against the .dsc's checksums.
    dpkg-source -x "$dsc" "$SRC" >/dev/null
    [[ -f "$SRC/Makefile" ]] || die "unpacked tree has no Makefile"
    stamp_set unpack "$dsc_sha"
fi

# ---------------------------------------------------------------------------
# 4. The project's BL33 payload, assembled from scripts/bl33_hello.S.
# ---------------------------------------------------------------------------
B33="$IMG/bl33"
BL33_BIN="$B33/bl33.bin"
as_version=$("${CROSS}as" --version | head -n1)
bl33_ld=(-nostdlib -static --build-id=none -e _start -Ttext="$BL33_BASE")
bl33_key=$(sha256_str "$(sha256 "$SCRIPTS/bl33_hello.S") ${bl33_ld[*]} $as_version")
if [[ -f "$BL33_BIN" ]] && stamp_ok bl33 "$bl33_key"; then
    log "bl33: cached"
else
    log "assembling bl33/bl33.bin (linked at $BL33_BASE)"
    mkdir -p "$B33"
    "${CROSS}as" -o "$B33/bl33.o" "$SCRIPTS/bl33_hello.S"
    "${CROSS}ld" "${bl33_ld[@]}" -o "$B33/bl33.elf" "$B33/bl33.o"
    "${CROSS}objcopy" -O binary "$B33/bl33.elf" "$BL33_BIN"
    [[ -s "$BL33_BIN" ]] || die "empty bl33.bin"
    stamp_set bl33 "$bl33_key"
fi
bl33_sha=$(sha256 "$BL33_BIN")

# ---------------------------------------------------------------------------
# 5. TF-A: BL1 + FIP for FVP Base RevC with RME. No TRUSTED_BOARD_BOOT, so no
#    mbedTLS and no keys are needed (Debian's +dfsg tarball only drops the
#    ROTPK blobs that TBB uses). Without RMM= TF-A packs its own Test Realm
#    Payload (TRP) as the RMM. LOG_LEVEL keeps DEBUG=1's default (40, INFO).
# ---------------------------------------------------------------------------
OUT="$IMG/tf-a-fvp-rme"
BUILD="$IMG/build/tf-a"
# Fixed build message timestamp, build string and relative file names make the images the
# same on every machine with the same source and toolchain (so MANIFEST's
# hashes mean something); -ffile-prefix-map is what Debian's rules use.
export TF_CFLAGS="-ffile-prefix-map=$SRC=. -ffile-prefix-map=$BUILD=build"
tfa_make=(
    make -C "$SRC" -j"$JOBS"
    CROSS_COMPILE="$CROSS" PLAT=fvp ENABLE_RME=1 DEBUG=1
    FVP_HW_CONFIG_DTS=fdts/fvp-base-gicv3-psci-1t.dts
    BL33="$BL33_BIN"
    BUILD_BASE="$BUILD"
    BUILD_MESSAGE_TIMESTAMP="\"$tfa_version\""
    # Else TF-A runs `git describe` and, finding rme-emu's own repository
    # around target/, bakes our commit (and "-dirty") into its banner.
    BUILD_STRING="debian-$tfa_version"
)
gcc_version=$("${CROSS}gcc" --version | head -n1)
tfa_key=$(sha256_str "$dsc_sha $bl33_sha ${tfa_make[*]:4} $TF_CFLAGS $gcc_version $as_version")
D="$BUILD/fvp/debug"
if [[ -f "$OUT/bl1.bin" && -f "$OUT/fip.bin" ]] && stamp_ok tf-a "$tfa_key"; then
    log "tf-a: cached"
else
    # Any input change rebuilds from scratch: TF-A's make does not notice
    # changed flags, and a clean build takes ~10-20 s.
    log "building TF-A $tfa_version (PLAT=fvp ENABLE_RME=1 DEBUG=1), log in target/images/build/tf-a.log"
    rm -rf "$BUILD" "$OUT"
    mkdir -p "$BUILD"
    if ! "${tfa_make[@]}" all fip >"$IMG/build/tf-a.log" 2>&1; then
        tail -n 40 "$IMG/build/tf-a.log" >&2
        die "TF-A build failed (full log: target/images/build/tf-a.log)"
    fi
    mkdir -p "$OUT/elf"
    cp "$D/bl1.bin" "$D/fip.bin" "$OUT/"
    for e in bl1/bl1.elf bl2/bl2.elf bl31/bl31.elf rmm/rmm.elf; do
        [[ -f "$D/$e" ]] && cp "$D/$e" "$OUT/elf/"
    done
    cp "$D"/fdts/*.dtb "$OUT/elf/" 2>/dev/null || true
    stamp_set tf-a "$tfa_key"
fi

# ---------------------------------------------------------------------------
# 6. MANIFEST: one line per input and output: name, version, SHA-256.
#    (Rewritten every run; hashing ~10 MB takes a fraction of a second.)
# ---------------------------------------------------------------------------
pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
cache_sha() { # hash of a big file, cached next to the stamps by its mtime+size
    local f=$1 k; k=$(stat -c '%s %Y' "$f")
    local c="$STAMPS/sha-$(basename "$f")"
    if [[ -f "$c" && "$(head -n1 "$c")" == "$k" ]]; then tail -n1 "$c"
    else local h; h=$(sha256 "$f"); printf '%s\n%s\n' "$k" "$h" >"$c"; echo "$h"; fi
}
{
    echo "# rme-emu target/images MANIFEST (scripts/images.sh)"
    echo "# kind   name   version   sha256"
    for f in "$DL"/*; do
        echo "input  $(basename "$f")  $tfa_version  $(cache_sha "$f")"
    done
    echo "input  scripts/bl33_hello.S  -  $(sha256 "$SCRIPTS/bl33_hello.S")"
    echo "tool   gcc-aarch64-linux-gnu  $(pkg_version gcc-aarch64-linux-gnu)  -"
    echo "tool   binutils-aarch64-linux-gnu  $(pkg_version binutils-aarch64-linux-gnu)  -"
    echo "tool   device-tree-compiler  $(pkg_version device-tree-compiler)  -"
    echo "output bl33/bl33.bin  -  $bl33_sha"
    echo "output tf-a-fvp-rme/bl1.bin  $tfa_version  $(sha256 "$OUT/bl1.bin")"
    echo "output tf-a-fvp-rme/fip.bin  $tfa_version  $(sha256 "$OUT/fip.bin")"
} >"$IMG/MANIFEST.tmp"
mv "$IMG/MANIFEST.tmp" "$IMG/MANIFEST"

log "done: target/images/tf-a-fvp-rme/{bl1.bin,fip.bin} (TF-A $tfa_version), MANIFEST:"
cat "$IMG/MANIFEST" >&2
