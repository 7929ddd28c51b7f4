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
#   toolchain/             unpacked host-tool packages, only if needed (below)
#   MANIFEST               version and SHA-256 of every input and output
#
# Only Debian's package archive is used, through the mirror this machine's own
# apt configuration names; the TF-A source comes from Debian trixie's
# `arm-trusted-firmware` source package, fetched with a private apt state so
# the system's apt setup is not touched. The AArch64 cross toolchain, dtc and
# OpenSSL's headers (for TF-A's fiptool) are taken from the system if it has
# them; otherwise the packages of this machine's own Debian suite are fetched
# with `apt-get download` through a second private apt state and unpacked
# (dpkg-deb -x, no root) into target/images/toolchain/.
#
# Every step records the inputs it was built from in target/images/.stamps/
# and is skipped when its output exists and those inputs are unchanged, so a
# second run takes seconds. Environment knobs:
#   IMAGES_REFRESH=1   re-read the archive (apt-get update) and take whatever
#                      arm-trusted-firmware version trixie now serves
#   DEBIAN_MIRROR=URI  use this mirror instead of the one apt is configured with
#   IMAGES_TOOLCHAIN=auto|local|system
#                      where the cross toolchain, dtc and OpenSSL headers come
#                      from: auto (default) the system's, unpacked packages for
#                      what it lacks; local always the unpacked packages;
#                      system never download them
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
# One run at a time: a second one (another test binary, another shell)
# waits here, then finds everything cached.
exec 9>"$IMG/.lock"
flock 9

# The Debian mirror is read from this machine's apt configuration (never
# hard-coded here): deb822 sources first, then the one-line format.
sys_mirror=
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    sys_mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
fi
if [[ -z "$sys_mirror" && -f /etc/apt/sources.list ]]; then
    sys_mirror=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
fi
mirror=${DEBIAN_MIRROR:-$sys_mirror}
[[ -n "$mirror" ]] || die "cannot find the Debian mirror in /etc/apt (set DEBIAN_MIRROR)"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# Options shared by both private apt states ($1 = the state's directory):
# its own sources.list, lists and cache, no lock on the system's state and
# no index targets but Packages/Sources (DEP-11, Contents, command-not-found
# that some hosts' apt.conf.d add would only cost download time).
private_apt_opts() {
    printf '%s\n' \
        -o "Dir::Etc::SourceList=$1/sources.list" \
        -o Dir::Etc::SourceParts=/dev/null \
        -o "Dir::State::Lists=$1/lists" \
        -o "Dir::Cache=$1/cache" \
        -o Debug::NoLocking=1 \
        -o APT::Sandbox::User=root \
        -o Acquire::Languages=none \
        -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false \
        -o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false \
        -o Acquire::IndexTargets::deb::CNF::DefaultEnabled=false
}   # (APT::Sandbox::User=root: files land in target/, which _apt may not reach)
# Write a private state's sources.list, only when it changes (its content is
# part of the download keys).
write_sources() {
    mkdir -p "$1/lists/partial" "$1/cache/archives/partial"
    if [[ ! -f "$1/sources.list" || "$(cat "$1/sources.list")" != "$2" ]]; then
        printf '%s\n' "$2" >"$1/sources.list"
    fi
}

# ---------------------------------------------------------------------------
# 1. Host tools. The basics (make, dpkg-dev, xz, a native C compiler) must be
#    there (installed with apt-get, as root, if not). The AArch64 cross
#    toolchain, dtc and OpenSSL's development files (for fiptool) are used
#    from the system when it has them; what is missing is taken from this
#    machine's own Debian suite with `apt-get download` through a second
#    private apt state (target/images/apt-host) and unpacked with dpkg-deb
#    into target/images/toolchain/: no root, no change to the system.
#    IMAGES_TOOLCHAIN=local takes all three from there even when the system
#    has them; IMAGES_TOOLCHAIN=system never downloads them.
# ---------------------------------------------------------------------------
need_pkgs=()
command -v make >/dev/null || need_pkgs+=(make)
command -v dpkg-source >/dev/null || need_pkgs+=(dpkg-dev)
command -v xz >/dev/null || need_pkgs+=(xz-utils)
command -v cc >/dev/null || need_pkgs+=(gcc libc6-dev)
if ((${#need_pkgs[@]})); then
    [[ $(id -u) -eq 0 ]] || die "missing host packages (${need_pkgs[*]}); run as root or install them"
    log "installing host packages: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${need_pkgs[@]}"
fi
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null) || die "dpkg-architecture failed"

tc_mode=${IMAGES_TOOLCHAIN:-auto}
case "$tc_mode" in auto | local | system) ;; *) die "IMAGES_TOOLCHAIN must be auto, local or system" ;; esac
have_cross() {
    local t
    for t in gcc as ld objcopy objdump; do command -v "${CROSS}$t" >/dev/null || return 1; done
}
have_dtc() { command -v dtc >/dev/null; }
# fiptool includes <openssl/sha.h> and links -lcrypto (the -dev symlink).
have_ssl() { [[ -f /usr/include/openssl/sha.h && (-e /usr/lib/$MA/libcrypto.so || -e /usr/lib/libcrypto.so) ]]; }
local_cross=0 local_dtc=0 local_ssl=0 tc_roots=() missing=()
if [[ $tc_mode == local ]] || ! have_cross; then
    local_cross=1 tc_roots+=("gcc-${CROSS%-}" "binutils-${CROSS%-}") missing+=("${CROSS}gcc/binutils")
fi
if [[ $tc_mode == local ]] || ! have_dtc; then
    local_dtc=1 tc_roots+=(device-tree-compiler) missing+=(dtc)
fi
if [[ $tc_mode == local ]] || ! have_ssl; then
    local_ssl=1 tc_roots+=(libssl-dev) missing+=(libssl-dev)
fi
[[ $tc_mode != system || ${#tc_roots[@]} -eq 0 ]] ||
    die "IMAGES_TOOLCHAIN=system but the system lacks: ${missing[*]}"

TC="$IMG/toolchain"         # the unpacked packages: a private /usr
TC_DEBS="$IMG/toolchain-debs"
HAPT="$IMG/apt-host"
# The .deb files of the local toolchain: "name version path" lines.
tc_debs() {
    local f b v
    for f in "$TC_DEBS"/*.deb; do
        [[ -e "$f" ]] || continue
        b=$(basename "$f" .deb); v=${b#*_}; v=${v%_*}
        printf '%s %s %s\n' "${b%%_*}" "${v//%3a/:}" "$f"
    done
}
if ((${#tc_roots[@]})); then
    # This machine's own suites (e.g. bookworm, bookworm-updates,
    # bookworm-security), as its apt configuration lists them, main only.
    arch=$(dpkg --print-architecture)
    host_sources=$({
        if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
            awk 'BEGIN{RS=""} {
                types=""; uris=""; suites=""; enabled="yes"
                n=split($0, L, "\n")
                for (i=1; i<=n; i++) {
                    if (L[i] ~ /^#/ || L[i] ~ /^[ \t]/) continue
                    k=L[i]; sub(/:.*/, "", k); v=L[i]; sub(/^[^:]*:[ \t]*/, "", v)
                    k=tolower(k)
                    if (k=="types") types=v; else if (k=="uris") uris=v
                    else if (k=="suites") suites=v; else if (k=="enabled") enabled=tolower(v)
                }
                if (enabled=="no" || (" " types " ") !~ / deb /) next
                nu=split(uris, U, /[ \t]+/); ns=split(suites, S, /[ \t]+/)
                for (u=1; u<=nu; u++) for (s=1; s<=ns; s++) print U[u], S[s]
            }' /etc/apt/sources.list.d/debian.sources
        fi
        if [[ -f /etc/apt/sources.list ]]; then
            awk '$1=="deb" { i=2
                if ($i ~ /^\[/) { while (i<=NF && $i !~ /\]$/) i++; i++ }
                if (i+1<=NF) print $i, $(i+1) }' /etc/apt/sources.list
        fi
    } | while read -r uri suite; do
        [[ "$uri" == "$sys_mirror" ]] && uri=$mirror
        printf 'deb [arch=%s signed-by=%s] %s %s main\n' "$arch" "$keyring" "$uri" "$suite"
    done | awk '!seen[$0]++')
    if [[ -z "$host_sources" ]]; then # e.g. only DEBIAN_MIRROR: the release's suite
        codename=$(awk -F= '$1=="VERSION_CODENAME" {gsub(/"/, "", $2); print $2}' /etc/os-release 2>/dev/null || true)
        [[ -n "$codename" ]] || die "cannot find this machine's Debian suite in /etc/apt or /etc/os-release"
        host_sources="deb [arch=$arch signed-by=$keyring] $mirror $codename main"
    fi
    write_sources "$HAPT" "$host_sources"
    mapfile -t hapt_opts < <(private_apt_opts "$HAPT")

    tcdl_key=$(sha256_str "$host_sources ${tc_roots[*]}")
    if [[ "${IMAGES_REFRESH:-0}" != 1 && -n "$(tc_debs)" ]] && stamp_ok toolchain-download "$tcdl_key"; then
        log "toolchain packages: cached (${missing[*]})"
    else
        log "apt-get update (private state in target/images/apt-host: $(awk '{printf "%s ", $(NF-1)}' <<<"$host_sources"))"
        apt-get "${hapt_opts[@]}" update -q
        # The roots' Depends/Pre-Depends closure, minus what every Debian
        # machine with the native compiler has (the closure of gcc, libc6-dev
        # and libssl3). The closure does not descend into the *-cross
        # packages (libgcc-N-dev-ARCH-cross's own dependencies are the
        # target's shared runtime libraries: TF-A is linked freestanding with
        # -nostdlib and needs only GCC's headers from that package).
        declare -A tc_base=() tc_seen=()
        while read -r p; do tc_base[$p]=1; done < <(
            apt-cache "${hapt_opts[@]}" depends --recurse --important gcc libc6-dev libssl3 | grep -v '^ ')
        todo=("${tc_roots[@]}")
        for p in "${todo[@]}"; do tc_seen[$p]=1; done
        while ((${#todo[@]})); do
            descend=()
            for p in "${todo[@]}"; do [[ $p == *-cross ]] || descend+=("$p"); done
            todo=()
            ((${#descend[@]})) || break
            while read -r p; do
                [[ -n "${tc_base[$p]:-}" || -n "${tc_seen[$p]:-}" ]] && continue
                tc_seen[$p]=1 todo+=("$p")
            done < <(apt-cache "${hapt_opts[@]}" depends --important "${descend[@]}" | awk '
                /^[^ ]/ { alt=0; next }               # a package header
                /^    / { next }                      # the providers of a virtual package
                /^ [ |](Pre)?Depends: / {
                    later=alt; alt=($0 ~ /^ \|/)
                    if (later) next                   # an alternative after the first
                    n=$2; sub(/:any$/, "", n)
                    if (n !~ /^</) print n            # <virtual>: not followed
                }')
        done
        mapfile -t tc_pkgs < <(printf '%s\n' "${!tc_seen[@]}" | sort)
        log "apt-get download ${tc_pkgs[*]}"
        rm -rf "$TC_DEBS"
        mkdir -p "$TC_DEBS"
        (cd "$TC_DEBS" && apt-get "${hapt_opts[@]}" download "${tc_pkgs[@]}")
        [[ -n "$(tc_debs)" ]] || die "apt-get download produced no .deb"
        stamp_set toolchain-download "$tcdl_key"
    fi

    # Unpack, keyed on the package versions (the .deb names carry them).
    tc_key=$(sha256_str "$(tc_debs | cut -d' ' -f1,2)")
    if [[ -d "$TC/usr" ]] && stamp_ok toolchain "$tc_key"; then
        log "toolchain: cached in target/images/toolchain"
    else
        log "unpacking $(tc_debs | wc -l) packages into target/images/toolchain"
        rm -rf "$TC"
        mkdir -p "$TC"
        while read -r _ _ f; do dpkg-deb -x "$f" "$TC"; done < <(tc_debs)
        stamp_set toolchain "$tc_key"
    fi

    # The cross binutils' libbfd/libopcodes and dtc's libyaml/libfdt live in
    # the unpacked multiarch library directory.
    for d in "$TC/usr/lib/$MA" "$TC/lib/$MA"; do
        [[ -d "$d" ]] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    done
    if ((local_cross)); then
        CROSS="$TC/usr/bin/$CROSS"
        [[ -x "${CROSS}gcc" ]] || die "no ${CROSS}gcc in the unpacked toolchain"
        # GCC is relocatable: it finds cc1 and the cross as/ld relative to
        # its own path. Make sure it does not fall back to the system's.
        tc_real=$(cd "$TC" && pwd -P)
        for t in as ld objcopy cc1; do
            p=$("${CROSS}gcc" -print-prog-name="$t")
            [[ "$(readlink -f "$p")" == "$tc_real"/* ]] || die "${CROSS}gcc uses $p, not the unpacked $t"
        done
    fi
    if ((local_dtc)); then
        [[ -x "$TC/usr/bin/dtc" ]] || die "no dtc in the unpacked toolchain"
        export PATH="$TC/usr/bin:$PATH"
    fi
    if ((local_ssl)); then
        # TF-A's fiptool Makefile uses OPENSSL_DIR as -I$OPENSSL_DIR/include
        # and -L$OPENSSL_DIR/lib -lcrypto (and runs $OPENSSL_DIR/bin/openssl
        # version to pick the API). Debian splits the headers between
        # /usr/include/openssl and /usr/include/$MA/openssl
        # (configuration.h, opensslconf.h), so gather both into one
        # include/openssl; the runtime libcrypto.so.N comes from the
        # system's libssl3 (on every Debian machine).
        OSSL="$TC/openssl"
        rm -rf "$OSSL"
        mkdir -p "$OSSL/include/openssl" "$OSSL/lib"
        ln -s "$TC"/usr/include/openssl/* "$OSSL/include/openssl/"
        ln -sf "$TC/usr/include/$MA"/openssl/* "$OSSL/include/openssl/"
        soname=$(readlink "$TC/usr/lib/$MA/libcrypto.so") || die "libssl-dev has no libcrypto.so"
        rt=
        for d in "/usr/lib/$MA" "/lib/$MA"; do [[ -e "$d/$soname" ]] && { rt="$d/$soname"; break; }; done
        [[ -n "$rt" ]] || die "$soname is missing (package libssl3)"
        ln -s "$rt" "$OSSL/lib/libcrypto.so"
        if command -v openssl >/dev/null; then
            mkdir -p "$OSSL/bin"
            ln -s "$(readlink -f "$(command -v openssl)")" "$OSSL/bin/openssl"
        fi
    fi
    log "using the unpacked toolchain for: ${missing[*]}"
fi

# ---------------------------------------------------------------------------
# 2. A private apt state that reads the machine's own Debian mirror, with a
#    deb-src line for trixie, and the TF-A source package downloaded into it.
# ---------------------------------------------------------------------------
APT="$IMG/apt"
DL="$IMG/dl"
mkdir -p "$DL"
sources="deb-src [signed-by=$keyring] $mirror $SUITE main"
write_sources "$APT" "$sources"
mapfile -t apt_opts < <(private_apt_opts "$APT")

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
# fiptool (a host tool) with the unpacked OpenSSL headers, if those are used.
if ((local_ssl)); then tfa_make+=(OPENSSL_DIR="$OSSL"); fi
gcc_version=$("${CROSS}gcc" --version | head -n1)
dtc_version=$(dtc --version | head -n1)
tfa_key=$(sha256_str "$dsc_sha $bl33_sha ${tfa_make[*]:4} $TF_CFLAGS $gcc_version $as_version $dtc_version")
D="$BUILD/fvp/debug"
if [[ -f "$OUT/bl1.bin" && -f "$OUT/fip.bin" ]] && stamp_ok tf-a "$tfa_key"; then
    log "tf-a: cached"
else
    # Any input change rebuilds from scratch: TF-A's make does not notice
    # changed flags, and a clean build takes ~10-20 s.
    log "building TF-A $tfa_version (PLAT=fvp ENABLE_RME=1 DEBUG=1), log in target/images/build/tf-a.log"
    rm -rf "$BUILD" "$OUT"
    # fiptool is built inside the source tree, and its make would keep a
    # fiptool built against another OpenSSL_DIR.
    rm -f "$SRC"/tools/fiptool/{fiptool,*.o,*.d}
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
# The system package that owns a file (resolving symlinks), or "unknown".
pkg_owner() {
    local o
    o=$(dpkg-query -S "$(readlink -f "$1")" 2>/dev/null | grep -v '^diversion' | head -n1 | cut -d: -f1) || true
    echo "${o:-unknown}"
}
# The tools used: the system's packages (version from dpkg, sha256 "-"), and
# every unpacked .deb (version and sha256 of the .deb) if any was needed.
tool_lines() {
    local p v f
    {
        if ((!local_cross)); then
            echo gcc-aarch64-linux-gnu
            pkg_owner "$(command -v "${CROSS}gcc")"
            pkg_owner "$(command -v "${CROSS}as")"
        fi
        ((local_dtc)) || pkg_owner "$(command -v dtc)"
        ((local_ssl)) || pkg_owner /usr/include/openssl/sha.h
    } | awk '!seen[$0]++' | while read -r p; do
        echo "tool   $p  $(pkg_version "$p")  -"
    done
    if ((local_cross || local_dtc || local_ssl)); then
        tc_debs | while read -r p v f; do
            echo "tool   $p  $v  $(cache_sha "$f")"
        done
    fi
}
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
    tool_lines
    echo "output bl33/bl33.bin  -  $bl33_sha"
    echo "output tf-a-fvp-rme/bl1.bin  $tfa_version  $(sha256 "$OUT/bl1.bin")"
    echo "output tf-a-fvp-rme/fip.bin  $tfa_version  $(sha256 "$OUT/fip.bin")"
} >"$IMG/MANIFEST.tmp"
mv "$IMG/MANIFEST.tmp" "$IMG/MANIFEST"

log "done: target/images/tf-a-fvp-rme/{bl1.bin,fip.bin} (TF-A $tfa_version), MANIFEST:"
cat "$IMG/MANIFEST" >&2
