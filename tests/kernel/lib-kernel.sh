# shellcheck shell=bash
# lib-kernel.sh: end-to-end IMA/EVM tests against Debian's real kernel in qemu.
#
# Sourced by the tests/kernel/case-*.sh scripts.  A case looks like:
#
#   . "$(dirname "$0")/lib-kernel.sh"
#   kt_init "short description"         # root/tools/kernel checks, temp dir
#   kt_keygen_rsa main                  # $KT_KEYS/main.{key.pem,cert.pem,cert.der}
#   kt_build_programs "$KT_TMP/tree" a b  # gcc -static -> tree/usr/bin/{a,b}
#   kt_add_files "$KT_TMP/tree"          # a few ordinary files
#   kt_repo_init; kt_commit src "$KT_TMP/tree"
#   kt_sign main sha256 src signed       # our `ostree-ima sign`
#   kt_checkout signed signed            # -> $KT_IMGROOT/signed
#   kt_guest_ima_cert main
#   kt_guest_program a signed/usr/bin/a
#   kt_boot                              # image, initramfs, qemu, parse
#   kt_expect_ran a
#   kt_finish
#
# A whole OS tree (case-deployment.sh): KT_IMGROOT=TREE; kt_make_disk (a
# read-only virtio disk for every boot); kt_guest_command NAME 'chroot /mnt
# PROGRAM ...'; kt_path_cause PATH; the simulator: kt_sim_cause JSON PATH.
#
# Exit codes: 0 pass, 77 skip (reason on stderr), anything else fail.
#
# Environment:
#   OSTREE_IMA             our CLI (ostree-ima), required by kt_sign
#   OSTREE_IMA_PATCHED_OSTREE  prefix of the patched ostree (case 5)
#   OSTREE_IMA_CACHE       cache root (default /var/cache/ostree-ima); the kernel
#                          and the initramfs base live in $OSTREE_IMA_CACHE/kernel
#   OSTREE_IMA_KERNEL      the kernel under test: 6.1 (Debian 12's cloud kernel,
#                          from the system's apt sources; the default) or 6.12
#                          (Debian 13's, from trixie through a private apt
#                          configuration in $OSTREE_IMA_CACHE/kernel/apt-trixie)
#   KT_KERNEL_PKG          force a kernel package (default: what that suite's
#                          linux-image-cloud-amd64 depends on)
#   KT_QEMU_TIMEOUT        seconds before a hung guest is killed (default 120)
#   KT_STRICT=1            infrastructure problems (no kernel, no qemu) fail
#                          instead of skipping
#   KT_KEEP=1              keep the temp dir (path printed at exit)
#   KT_VERBOSE=1           print the whole serial log even on success
#   KT_TPM=1               (set by a case after kt_init) boot with a software
#                          TPM 2.0 (swtpm + qemu tpm-tis); see kt_boot
#   KT_DISK                (set by kt_make_disk) the image is a read-only virtio
#                          disk instead of a loop file in the initramfs

set -euo pipefail

# meson passes --strict with -Dkernel_tests=enabled.
if [ "${1:-}" = --strict ]; then
	KT_STRICT=1
	shift
fi

KT_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KT_CACHE_ROOT=${OSTREE_IMA_CACHE:-/var/cache/ostree-ima}
KT_KERNEL_CACHE=$KT_CACHE_ROOT/kernel
KT_QEMU_TIMEOUT=${KT_QEMU_TIMEOUT:-120}
KT_MARKER=OIMA-PROG-OK

# The kernel under test, and the Debian suite it comes from ("" = the
# system's own apt sources, which are Debian 12's).
KT_KERNEL_SERIES=${OSTREE_IMA_KERNEL:-6.1}
case $KT_KERNEL_SERIES in
6.1) KT_APT_SUITE= ;;
6.12) KT_APT_SUITE=trixie ;;
*)
	echo "OSTREE_IMA_KERNEL=$KT_KERNEL_SERIES: must be 6.1 (Debian 12) or 6.12 (Debian 13)" >&2
	exit 1
	;;
esac

KT_NAME=${KT_NAME:-$(basename "$0" .sh)@$KT_KERNEL_SERIES}
KT_TMP=
KT_FAILS=0
KT_CHECKS=0
KT_BOOTED=0
# Filled by kt_init / kt_fetch_kernel.
KT_KERNEL_DIR=
KT_VMLINUZ=
KT_INITRD_BASE=
# Per boot configuration (KT_UUID, KT_POLICY, KT_PROGRAMS, ...): set by
# kt_boot_reset, which kt_init calls before any boot function can run.
KT_SERIAL_LOG=
KT_DISK=

# ---------------------------------------------------------------------------
# messages and exits

KT_T0=${EPOCHREALTIME:-0}
kt__elapsed() { awk -v a="$KT_T0" -v b="${EPOCHREALTIME:-0}" 'BEGIN { printf "%5.1f", b - a }'; }
kt_log() { printf '%s [%ss]: %s\n' "$KT_NAME" "$(kt__elapsed)" "$*"; }
kt_err() { printf '%s: %s\n' "$KT_NAME" "$*" >&2; }

kt_die() {
	kt_err "ERROR: $*"
	exit 1
}

# Skip the whole test (exit 77).  Reason goes to stderr.
kt_skip() {
	kt_err "SKIP: $*"
	echo "SKIP: $*"
	exit 77
}

# Skip for a missing piece of the test infrastructure (kernel, qemu, ...):
# with KT_STRICT=1 this is a failure instead.
kt_skip_infra() {
	if [ "${KT_STRICT:-0}" = 1 ]; then
		kt_die "$* (KT_STRICT=1: not skipping)"
	fi
	kt_skip "$*"
}

kt_cleanup() {
	local rc=$?
	kt_tpm_stop
	if [ -n "$KT_TMP" ] && [ -d "$KT_TMP" ]; then
		if [ "${KT_KEEP:-0}" = 1 ]; then
			kt_err "keeping $KT_TMP"
		else
			rm -rf "$KT_TMP"
		fi
	fi
	return $rc
}

# ---------------------------------------------------------------------------
# setup

kt_need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || kt_skip_infra "'$c' not found (see ci/packages.d/kernel.txt)"
	done
}

# kt_init DESCRIPTION: checks, temp dir, kernel + initramfs base from the cache.
kt_init() {
	kt_log "${1:-kernel test}"
	[ "$(id -u)" = 0 ] || kt_skip_infra "needs root (bare ostree repo, security.* xattrs, mkfs -d)"
	[ "$(uname -m)" = x86_64 ] || kt_skip_infra "needs an x86_64 host (static test programs, amd64 kernel)"
	kt_need_cmd qemu-system-x86_64 timeout flock cpio gzip mkfs.ext4 debugfs gcc keyctl \
		ostree openssl getfattr setfattr apt-get apt-cache dpkg-deb sha256sum
	[ -x /usr/bin/busybox ] || [ -x /bin/busybox ] || kt_skip_infra "busybox not found (busybox-static)"
	case "$(gcc -print-file-name=libc.a)" in
	/*) ;;
	*) kt_skip_infra "no static libc for gcc -static (install libc6-dev)" ;;
	esac
	KT_BUSYBOX=$(command -v busybox)
	if ldd "$KT_BUSYBOX" >/dev/null 2>&1; then
		kt_skip_infra "$KT_BUSYBOX is not static (install busybox-static)"
	fi
	KT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/oima-kt.XXXXXX")
	trap kt_cleanup EXIT
	KT_IMGROOT=$KT_TMP/imgroot
	KT_KEYS=$KT_TMP/keys
	KT_REPO=$KT_TMP/repo
	mkdir -p "$KT_IMGROOT" "$KT_KEYS" "$KT_TMP/boot"
	kt_fetch_kernel
	kt_build_initrd_base
	kt_boot_reset
}

# kt_apt apt-get|apt-cache ARGS...: apt for the suite of the kernel under test.
# 6.1: the system's configuration.  6.12: a private one in the cache (a deb822
# sources file for trixie, its own lists, package cache and preferences), so the
# system's apt sources and state are never touched.
KT_APT_DIR=$KT_KERNEL_CACHE/apt-$KT_APT_SUITE
kt_apt() {
	local cmd=$1
	shift
	if [ -z "$KT_APT_SUITE" ]; then
		"$cmd" "$@"
		return
	fi
	"$cmd" -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$KT_APT_DIR/sources.list.d" \
		-o Dir::State::Lists="$KT_APT_DIR/lists" -o Dir::Cache="$KT_APT_DIR/cache" \
		-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts="$KT_APT_DIR/preferences.d" \
		"$@"
}

# kt__suite_keyring: the keyring that holds the suite's archive keys (Debian
# 12's debian-archive-keyring has trixie's in debian-archive-keyring.gpg and in
# debian-archive-trixie-*.gpg; newer ones ship .pgp files).
kt__suite_keyring() {
	local k
	for k in /usr/share/keyrings/debian-archive-keyring.{gpg,pgp} \
		/usr/share/keyrings/debian-archive-"$KT_APT_SUITE"-automatic.{gpg,pgp}; do
		[ -s "$k" ] || continue
		# Without gpg to look inside, take the first that exists.
		if ! command -v gpg >/dev/null 2>&1 ||
			gpg --show-keys "$k" 2>/dev/null | grep -q "/$KT_APT_SUITE)"; then
			echo "$k"
			return 0
		fi
	done
	return 1
}

# kt__apt_update: (private suite only) write the sources file and fetch the
# suite's package lists when they are missing or older than KT_APT_TTL minutes
# (1440).  A failed update keeps the old lists.
kt__apt_update() {
	[ -n "$KT_APT_SUITE" ] || return 0
	local keyring d=$KT_APT_DIR
	keyring=$(kt__suite_keyring) || {
		kt_log "no keyring in /usr/share/keyrings has the $KT_APT_SUITE archive key (package debian-archive-keyring)"
		return 0
	}
	mkdir -p "$d/sources.list.d" "$d/lists/partial" "$d/cache" "$d/preferences.d"
	cat >"$d/sources.list.d/$KT_APT_SUITE.sources.$$" <<-EOF
		Types: deb
		URIs: http://deb.debian.org/debian
		Suites: $KT_APT_SUITE
		Components: main
		Signed-By: $keyring
	EOF
	mv "$d/sources.list.d/$KT_APT_SUITE.sources.$$" "$d/sources.list.d/$KT_APT_SUITE.sources"
	# (apt leaves unchanged lists untouched: the stamp says when it last succeeded.)
	if [ -z "$(find "$d/updated" -mmin "-${KT_APT_TTL:-1440}" 2>/dev/null)" ]; then
		kt_log "apt-get update of $KT_APT_SUITE (private lists in $d)"
		if kt_apt apt-get -q update >"$d/update.log" 2>&1; then
			touch "$d/updated"
		else
			kt_log "apt-get update of $KT_APT_SUITE failed:"
			sed 's/^/    /' "$d/update.log"
		fi
	fi
}

# The kernel package to test and its candidate version ("PKG VERSION"):
# KT_KERNEL_PKG, or what the suite's linux-image-cloud-amd64 depends on.  apt is
# slow (seconds), so the answer is remembered for KT_RESOLVE_TTL minutes (60).
kt_kernel_pkg_ver() {
	local pkg ver memo=$KT_KERNEL_CACHE/.resolved-$KT_KERNEL_SERIES-${KT_KERNEL_PKG:-default}
	if [ -s "$memo" ] && [ -n "$(find "$memo" -mmin "-${KT_RESOLVE_TTL:-60}" 2>/dev/null)" ]; then
		cat "$memo"
		return 0
	fi
	if [ -n "$KT_APT_SUITE" ]; then
		{ flock -w 900 9 && kt__apt_update; } 9>"$KT_KERNEL_CACHE/.lock" >&2 || true
	fi
	pkg=${KT_KERNEL_PKG:-}
	if [ -z "$pkg" ]; then
		pkg=$(kt_apt apt-cache depends linux-image-cloud-amd64 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }' || true)
		[ -n "$pkg" ] || return 0
	fi
	case $pkg in
	linux-image-"$KT_KERNEL_SERIES".*) ;;
	*)
		kt_log "linux-image-cloud-amd64${KT_APT_SUITE:+ in $KT_APT_SUITE} depends on $pkg, not a $KT_KERNEL_SERIES kernel" >&2
		return 0
		;;
	esac
	ver=$(kt_apt apt-cache policy "$pkg" 2>/dev/null | awk '$1 == "Candidate:" { print $2; exit }' || true)
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || return 0
	echo "$pkg $ver" >"$memo.$$" && mv "$memo.$$" "$memo" || true
	echo "$pkg $ver"
}

# Bump when the layout of a cached kernel dir changes (3: virtio modules).
KT_CACHE_FORMAT=4

# Newest complete kernel of the series under test in the cache (offline
# fallback).
kt_cached_kernel() {
	local d
	for d in "$KT_KERNEL_CACHE/linux-image-$KT_KERNEL_SERIES".*; do
		[ -f "$d/.complete-v$KT_CACHE_FORMAT" ] && echo "$d"
	done | sort -V | tail -n 1 | grep .
}

# kt__unpack_kernel DEB DIR: vmlinuz, config and the modules the guest may need
# (loop, crypto, virtio for kt_make_disk) from the package, uncompressed, into
# DIR.
kt__unpack_kernel() {
	local deb=$1 dir=$2 x=$1.x moddir sub f
	mkdir -p "$x"
	dpkg-deb -x "$deb" "$x" || return 4
	mkdir -p "$dir/modules"
	cp "$x"/boot/vmlinuz-* "$dir/vmlinuz" || return 4
	cp "$x"/boot/config-* "$dir/config" 2>/dev/null || true
	# /lib/modules (Debian 12) or /usr/lib/modules (Debian 13, merged /usr).
	moddir=$(ls -d "$x"/lib/modules/* "$x"/usr/lib/modules/* 2>/dev/null | head -n 1)
	if [ -n "$moddir" ]; then
		for sub in kernel/crypto kernel/arch/x86/crypto kernel/lib kernel/fs/erofs kernel/fs/overlayfs \
			kernel/drivers/block/loop.ko \
			kernel/drivers/block/loop.ko.xz kernel/drivers/block/loop.ko.zst kernel/drivers/virtio \
			kernel/drivers/block/virtio_blk.ko kernel/drivers/block/virtio_blk.ko.xz \
			kernel/drivers/block/virtio_blk.ko.zst; do
			[ -e "$moddir/$sub" ] || continue
			mkdir -p "$dir/modules/$(dirname "$sub")"
			cp -r "$moddir/$sub" "$dir/modules/$(dirname "$sub")/"
		done
		# Uncompress, so the guest's busybox insmod and our dependency scan work.
		find "$dir/modules" -name '*.ko.*' | while read -r f; do
			case "$f" in
			*.ko.xz) xz -dc "$f" >"${f%.xz}" ;;
			*.ko.zst) zstd -qdc "$f" >"${f%.zst}" ;;
			*.ko.gz) gzip -dc "$f" >"${f%.gz}" ;;
			*) continue ;;
			esac
			rm -f "$f"
		done
		basename "$moddir" >"$dir/release"
	fi
	basename "$deb" >"$dir/deb-name"
}

# Fetch + unpack Debian's cloud kernel into the cache (once, under a lock).
# Sets KT_KERNEL_DIR and KT_VMLINUZ.  Skips the test when it cannot.
kt_fetch_kernel() {
	mkdir -p "$KT_KERNEL_CACHE" 2>/dev/null || kt_skip_infra "cannot create cache dir $KT_KERNEL_CACHE"
	local pkg ver dir rc=0
	case ${KT_KERNEL_PKG:-} in
	'' | linux-image-"$KT_KERNEL_SERIES".*) ;;
	*) kt_die "KT_KERNEL_PKG=$KT_KERNEL_PKG is not a $KT_KERNEL_SERIES kernel (OSTREE_IMA_KERNEL=$KT_KERNEL_SERIES)" ;;
	esac
	read -r pkg ver <<<"$(kt_kernel_pkg_ver)" || true
	if [ -z "$pkg" ]; then
		dir=$(kt_cached_kernel || true)
		[ -n "$dir" ] || kt_skip_infra "apt cannot resolve ${KT_KERNEL_PKG:-linux-image-cloud-amd64}${KT_APT_SUITE:+ in $KT_APT_SUITE} (run apt-get update?) and $KT_KERNEL_CACHE has no $KT_KERNEL_SERIES kernel"
		kt_log "apt cannot resolve the kernel; using cached $(basename "$dir")"
	else
		dir=$KT_KERNEL_CACHE/${pkg}_${ver}
		(
			flock -w 900 9 || exit 5
			[ -f "$dir/.complete-v$KT_CACHE_FORMAT" ] && exit 0
			kt_log "fetching $pkg $ver into $dir"
			work=$(mktemp -d "$KT_KERNEL_CACHE/.fetch.XXXXXX")
			# shellcheck disable=SC2064
			trap "rm -rf '$work'" EXIT
			if ! (cd "$work" && kt_apt apt-get download -q "$pkg" >"$work/apt.log" 2>&1); then
				cat "$work/apt.log" >&2 || true
				exit 3
			fi
			deb=$(ls "$work"/*.deb 2>/dev/null | head -n 1)
			[ -n "$deb" ] || exit 3
			rm -rf "$dir"
			kt__unpack_kernel "$deb" "$dir" || exit 4
			touch "$dir/.complete-v$KT_CACHE_FORMAT"
		) 9>"$KT_KERNEL_CACHE/.lock" || rc=$?
		if [ $rc != 0 ]; then
			local cached
			cached=$(kt_cached_kernel || true)
			if [ -n "$cached" ]; then
				kt_log "could not fetch $pkg $ver (rc $rc); using cached $(basename "$cached")"
				dir=$cached
			else
				kt_skip_infra "could not fetch the kernel package $pkg $ver with apt-get download (rc $rc)"
			fi
		fi
	fi
	KT_KERNEL_DIR=$dir
	KT_VMLINUZ=$dir/vmlinuz
	[ -s "$KT_VMLINUZ" ] || kt_skip_infra "no vmlinuz in $dir"
	if [ -f "$dir/config" ]; then
		local opt
		for opt in CONFIG_IMA CONFIG_IMA_APPRAISE CONFIG_INTEGRITY_SIGNATURE CONFIG_INTEGRITY_ASYMMETRIC_KEYS CONFIG_EXT4_FS; do
			grep -q "^$opt=y" "$dir/config" || kt_skip_infra "$(basename "$dir") lacks $opt=y"
		done
		grep -q '^CONFIG_INTEGRITY_TRUSTED_KEYRING=y' "$dir/config" &&
			kt_skip_infra "$(basename "$dir") has CONFIG_INTEGRITY_TRUSTED_KEYRING=y: test certs cannot be loaded"
		if [ -z "$(kt_module_file loop)" ] && ! grep -q '^CONFIG_BLK_DEV_LOOP=y' "$dir/config"; then
			kt_skip_infra "$(basename "$dir") has neither loop.ko nor a built-in loop driver"
		fi
	fi
	kt_log "kernel: $(cat "$dir/deb-name" 2>/dev/null || basename "$dir")"
}

# kt_kernel_has CONFIG_X: built in or as a module in the kernel under test.
kt_kernel_has() { grep -Eq "^$1=(y|m)$" "$KT_KERNEL_DIR/config"; }

# kt_module_file NAME: path of NAME.ko in the cached kernel ("" if none).
kt_module_file() {
	[ -d "$KT_KERNEL_DIR/modules" ] || return 0
	find "$KT_KERNEL_DIR/modules" -name "$1.ko" -print -quit
}

# kt__module_order NAME...: the .ko files to insmod, dependencies first
# (read from each module's .modinfo "depends=").  Missing modules are left out.
kt__module_order() {
	local -A seen=()
	local out=()
	kt__mod_visit() {
		local m=$1 f deps d
		[ -n "${seen[$m]:-}" ] && return 0
		seen[$m]=1
		f=$(kt_module_file "$m")
		[ -n "$f" ] || return 0
		deps=$(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | head -n 1)
		for d in ${deps//,/ }; do kt__mod_visit "$d"; done
		out+=("$f")
	}
	local m
	for m in "$@"; do kt__mod_visit "$m"; done
	[ ${#out[@]} -eq 0 ] || printf '%s\n' "${out[@]}"
}

# Modules every guest loads at boot (those the kernel has as modules):
# loop for the image; hash and signature algorithms IMA may need that are not
# built in (sha384/sha512 are modules in Debian's 6.1; ECDSA would be too).
KT_BASE_MODULES=${KT_BASE_MODULES:-loop sha512_generic sha3_generic ecdsa_generic}

# Busybox + keyctl (+ the shared libs ldd lists) + modules, as a gzip'd newc
# cpio cached next to the kernel; keyed by a hash of its inputs.
kt_build_initrd_base() {
	local keyctl setfattr libs mods key
	keyctl=$(command -v keyctl)
	# setfattr: a boot with ima_policy=secure_boot signs the modules it loads
	# from the initramfs (tmpfs, security.* xattrs) before insmod.
	setfattr=$(command -v setfattr)
	libs=$( (ldd "$keyctl"; ldd "$setfattr") | awk '/=>/ && $3 ~ /^\// { print $3 } /^[[:space:]]*\// { print $1 }' | sort -u)
	# shellcheck disable=SC2086
	mods=$(kt__module_order $KT_BASE_MODULES)
	key=$(
		{
			echo "initrd-base v3"
			# shellcheck disable=SC2086
			sha256sum "$KT_BUSYBOX" "$keyctl" "$setfattr" $libs $mods
		} | sha256sum | cut -c1-16
	)
	KT_INITRD_BASE=$KT_KERNEL_DIR/initrd-base-$key.cpio.gz
	[ -s "$KT_INITRD_BASE" ] && return 0
	(
		flock -w 900 9 || exit 1
		[ -s "$KT_INITRD_BASE" ] && exit 0
		root=$(mktemp -d "$KT_KERNEL_DIR/.base.XXXXXX")
		# shellcheck disable=SC2064
		trap "rm -rf '$root'" EXIT
		mkdir -p "$root"/{bin,sbin,dev,proc,sys,mnt,tmp,test,lib/modules}
		cp "$KT_BUSYBOX" "$root/bin/busybox"
		ln -s busybox "$root/bin/sh"
		cp "$keyctl" "$root/bin/keyctl"
		cp "$setfattr" "$root/bin/setfattr"
		for f in $libs; do
			mkdir -p "$root$(dirname "$f")"
			cp -L "$f" "$root$f"
		done
		: >"$root/lib/modules/load-order"
		for f in $mods; do
			cp "$f" "$root/lib/modules/"
			basename "$f" >>"$root/lib/modules/load-order"
		done
		mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
		mknod -m 666 "$root/dev/null" c 1 3 2>/dev/null || true
		(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
			gzip -6 >"$KT_INITRD_BASE.tmp"
		mv "$KT_INITRD_BASE.tmp" "$KT_INITRD_BASE"
	) 9>"$KT_KERNEL_CACHE/.lock" || kt_die "building the initramfs base failed"
}

# ---------------------------------------------------------------------------
# keys

# kt_keygen_rsa NAME [BITS] / kt_keygen_ec NAME [CURVE]
# -> $KT_KEYS/NAME.key.pem, NAME.cert.pem, NAME.cert.der
kt__cert() {
	local name=$1
	cat >"$KT_KEYS/$name.cnf" <<-EOF
		[req]
		distinguished_name = dn
		prompt = no
		x509_extensions = v3
		[dn]
		CN = ostree-ima kernel test $name
		O = ostree-ima tests
		[v3]
		basicConstraints = critical,CA:FALSE
		keyUsage = digitalSignature
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
	EOF
	openssl req -new -x509 -key "$KT_KEYS/$name.key.pem" -out "$KT_KEYS/$name.cert.pem" \
		-days 3650 -config "$KT_KEYS/$name.cnf" -sha256 2>/dev/null ||
		kt_die "openssl req for $name failed"
	openssl x509 -in "$KT_KEYS/$name.cert.pem" -outform DER -out "$KT_KEYS/$name.cert.der"
}

kt_keygen_rsa() {
	openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2:-2048}" \
		-out "$KT_KEYS/$1.key.pem" 2>/dev/null || kt_die "RSA keygen failed"
	kt__cert "$1"
}

kt_keygen_ec() {
	openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${2:-P-256}" \
		-pkeyopt ec_param_enc:named_curve -out "$KT_KEYS/$1.key.pem" 2>/dev/null ||
		kt_die "EC keygen failed"
	kt__cert "$1"
}

# kt_keygen_tool NAME [ostree-ima keygen options...]: a key made by our own
# `ostree-ima keygen` (DIR/ima-key.pem, ima-cert.pem, ima-cert.der).
kt_keygen_tool() {
	local name=$1
	shift
	[ -n "${OSTREE_IMA:-}" ] && [ -x "$OSTREE_IMA" ] || kt_die "OSTREE_IMA is not set or not executable"
	"$OSTREE_IMA" keygen --out "$KT_KEYS/$name.d" "$@" >/dev/null || kt_die "ostree-ima keygen $* failed"
	local f
	for f in key.pem cert.pem cert.der; do
		[ -s "$KT_KEYS/$name.d/ima-$f" ] || kt_die "ostree-ima keygen wrote no ima-$f"
		ln -sf "$name.d/ima-$f" "$KT_KEYS/$name.$f"
	done
}

kt_key() { echo "$KT_KEYS/$1.key.pem"; }
kt_cert() { echo "$KT_KEYS/$1.cert.pem"; }
kt_cert_der() { echo "$KT_KEYS/$1.cert.der"; }

# ---------------------------------------------------------------------------
# deployment content

# kt_build_programs DIR NAME...: DIR/usr/bin/NAME, tiny static C programs.
kt_build_programs() {
	local dir=$1 n
	shift
	mkdir -p "$dir/usr/bin"
	for n in "$@"; do
		gcc -static -O2 -s -DPROG_NAME="\"$n\"" -o "$dir/usr/bin/$n" "$KT_LIBDIR/prog.c" ||
			kt_die "gcc -static failed for $n (libc6-dev installed?)"
		chmod 0755 "$dir/usr/bin/$n"
	done
}

# kt_add_files DIR: a few ordinary (non-executable) files, a symlink, a dir.
kt_add_files() {
	local dir=$1
	mkdir -p "$dir/usr/share/oima-test" "$dir/etc"
	mkdir -p "$dir/usr/lib"
	printf 'NAME="ostree-ima kernel test"\nID=oima-test\n' >"$dir/usr/lib/os-release"
	printf 'hello from %s\n' "$KT_NAME" >"$dir/usr/share/oima-test/readme.txt"
	head -c 4096 /dev/urandom >"$dir/usr/share/oima-test/data.bin"
	: >"$dir/usr/share/oima-test/empty"
	ln -sf ../usr/lib/os-release "$dir/etc/os-release"
	chmod 0644 "$dir/usr/lib/os-release" "$dir/usr/share/oima-test/"*
}

# ---------------------------------------------------------------------------
# ostree

KT_OSTREE=${KT_OSTREE:-ostree}

kt_repo_init() {
	"$KT_OSTREE" --repo="$KT_REPO" init --mode=bare >/dev/null || kt_die "ostree init failed"
}

# kt_commit REF DIR [extra ostree commit args...]
kt_commit() {
	local ref=$1 dir=$2
	shift 2
	"$KT_OSTREE" --repo="$KT_REPO" commit -b "$ref" --tree=dir="$dir" \
		--no-bindings -s "kernel test $ref" "$@" >/dev/null || kt_die "ostree commit of $ref failed"
}

# kt_patched_ostree: prints the path of a wrapper (in $KT_TMP) that runs the
# patched ostree, $OSTREE_IMA_PATCHED_OSTREE/bin/ostree, against its own
# libostree (without leaking LD_LIBRARY_PATH into qemu, gcc, ...) and with this
# build tree's ima plugin ($OSTREE_IMA_PLUGIN_DIR, not whatever is installed).
# Returns 1, the reason on stderr, when there is none.
kt_patched_ostree() {
	local prefix=${OSTREE_IMA_PATCHED_OSTREE:-} libpath= d w=$KT_TMP/patched-ostree
	[ -n "$prefix" ] || { kt_err "OSTREE_IMA_PATCHED_OSTREE is empty (configure with -Dpatched_ostree=PREFIX)"; return 1; }
	[ -x "$prefix/bin/ostree" ] || { kt_err "no executable $prefix/bin/ostree (OSTREE_IMA_PATCHED_OSTREE=$prefix)"; return 1; }
	[ -n "${OSTREE_IMA_PLUGIN_DIR:-}" ] && [ -f "$OSTREE_IMA_PLUGIN_DIR/ostree-ima-plugin.so" ] || {
		kt_err "OSTREE_IMA_PLUGIN_DIR does not hold the built ostree-ima-plugin.so"
		return 1
	}
	for d in "$prefix/lib" "$prefix/lib64" "$prefix/lib/x86_64-linux-gnu"; do
		[ -d "$d" ] && libpath=${libpath:+$libpath:}$d
	done
	cat >"$w" <<-WRAP
		#!/bin/sh
		${libpath:+LD_LIBRARY_PATH="$libpath\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"; export LD_LIBRARY_PATH}
		OSTREE_PLUGIN_PATH="$OSTREE_IMA_PLUGIN_DIR"; export OSTREE_PLUGIN_PATH
		exec "$prefix/bin/ostree" "\$@"
	WRAP
	chmod +x "$w"
	echo "$w"
}

# kt_sign KEYNAME HASH SRC_REF TARGET_REF: our CLI.
kt_sign() {
	local keyname=$1 alg=$2 src=$3 dst=$4
	[ -n "${OSTREE_IMA:-}" ] || kt_die "OSTREE_IMA is not set (path to the ostree-ima binary)"
	[ -x "$OSTREE_IMA" ] || kt_die "OSTREE_IMA=$OSTREE_IMA is not executable"
	kt_log "ostree-ima sign --hash $alg with $keyname: $src -> $dst"
	"$OSTREE_IMA" sign --repo="$KT_REPO" --key "$(kt_key "$keyname")" --cert "$(kt_cert "$keyname")" \
		--hash "$alg" "$src" "$dst" || kt_die "ostree-ima sign $src -> $dst failed"
}

# kt_checkout REF SUBDIR: check out (copies, so the repo objects stay intact) into
# $KT_IMGROOT/SUBDIR.
kt_checkout() {
	local ref=$1 sub=$2
	"$KT_OSTREE" --repo="$KT_REPO" checkout --force-copy "$ref" "$KT_IMGROOT/$sub" ||
		kt_die "ostree checkout of $ref failed"
}

# kt_ima_xattr FILE: hex value of security.ima ("" if none).
kt_ima_xattr() {
	{ getfattr -h --absolute-names -n security.ima -e hex "$1" 2>/dev/null || true; } |
		sed -n 's/^security.ima=0x//p'
}

# kt_require_ima_sig FILE [ALGNUM]: check (host side) that FILE carries an IMA v2
# signature (03 02 ALG ...), e.g. that signing + checkout really set it.
kt_require_ima_sig() {
	local f=$1 alg=${2:-} x
	x=$(kt_ima_xattr "$f")
	[ -n "$x" ] || kt_die "$f has no security.ima after checkout"
	case "$x" in
	0302*) ;;
	*) kt_die "$f: security.ima is not a v2 signature: ${x:0:24}..." ;;
	esac
	if [ -n "$alg" ] && [ "${x:4:2}" != "$(printf '%02x' "$alg")" ]; then
		kt_die "$f: signature hash_algo is 0x${x:4:2}, expected $(printf '0x%02x' "$alg")"
	fi
}

# kt_program_variants [SHA512]: keys rsa and stranger; one static program
# `good` (plus kt_add_files) committed and checked out as $KT_IMGROOT/plain
# (unsigned), signed (rsa, sha256), stranger (a key the guest lacks) and,
# with SHA512=1, signed512; and in plain/usr/bin the variants hashed (a
# good sha256 hash), wronghash (the hash of other bytes), tampered (signed,
# then a byte appended) and userowned (uid 1000, unsigned).  Sets
# KT_VARIANT_PROGRAMS to their image paths.
kt_program_variants() {
	local bin
	kt_keygen_rsa rsa
	kt_keygen_rsa stranger
	kt_build_programs "$KT_TMP/tree" good
	kt_add_files "$KT_TMP/tree"
	kt_repo_init
	kt_commit src "$KT_TMP/tree"
	kt_sign rsa sha256 src signed
	kt_sign stranger sha256 src stranger
	kt_checkout src plain
	kt_checkout signed signed
	kt_checkout stranger stranger
	KT_VARIANT_PROGRAMS="plain/usr/bin/good signed/usr/bin/good stranger/usr/bin/good"
	if [ "${1:-0}" = 1 ]; then
		kt_sign rsa sha512 src signed512
		kt_checkout signed512 signed512
		KT_VARIANT_PROGRAMS="$KT_VARIANT_PROGRAMS signed512/usr/bin/good"
	fi
	bin=$KT_IMGROOT/plain/usr/bin
	cp -a "$bin/good" "$bin/hashed"
	evmctl ima_hash -a sha256 "$bin/hashed" >/dev/null 2>&1 || kt_die "evmctl ima_hash"
	cp -a "$bin/good" "$bin/wronghash"
	setfattr -n security.ima -v "0x0404$(printf other | sha256sum | cut -c1-64)" "$bin/wronghash"
	cp -a --preserve=xattr "$KT_IMGROOT/signed/usr/bin/good" "$bin/tampered"
	printf '\0' >>"$bin/tampered"
	cp -a "$bin/good" "$bin/userowned"
	chown 1000:1000 "$bin/userowned"
	KT_VARIANT_PROGRAMS="$KT_VARIANT_PROGRAMS plain/usr/bin/hashed plain/usr/bin/wronghash plain/usr/bin/tampered plain/usr/bin/userowned"
}

# ---------------------------------------------------------------------------
# what the guest does

kt_boot_reset() {
	# A disk (kt_make_disk) keeps its fsuuid for every boot that uses it.
	[ -n "$KT_DISK" ] || KT_UUID=$(cat /proc/sys/kernel/random/uuid)
	KT_POLICY=()
	KT_PROGRAMS=()
	KT_COMMANDS=()
	KT_IMA_CERTS=()
	KT_EVM_CERTS=()
	KT_HOOKS=()
	KT_EVM_MODE=
	KT_MOUNT_OPTS=rw
	KT_DUMP_MEASUREMENTS=0
	KT_DUMP_BINARY_MEASUREMENTS=0
	KT_TPM=0
	KT_TPM_SKIP=
	KT_BUILTIN_POLICY=
	KT_MODULE_KEY=
}

# kt_guest_ima_cert KEYNAME|DERFILE / kt_guest_evm_cert ...
kt__der() { if [ -f "$1" ]; then echo "$1"; else kt_cert_der "$1"; fi; }
kt_guest_ima_cert() { KT_IMA_CERTS+=("$(kt__der "$1")"); }
kt_guest_evm_cert() { KT_EVM_CERTS+=("$(kt__der "$1")"); }

# kt_guest_policy RULE: append a policy rule; @UUID@ is the image's fsuuid.
# Without any rule, kt_boot uses the signature-appraisal rule below.
kt_guest_policy() { KT_POLICY+=("${1//@UUID@/$KT_UUID}"); }
KT_POLICY_IMASIG='appraise func=BPRM_CHECK fsuuid=@UUID@ appraise_type=imasig'
# Signatures on everything executed or mapped for execution (one rule a line).
KT_POLICY_EXEC="$KT_POLICY_IMASIG
appraise func=MMAP_CHECK mask=MAY_EXEC fsuuid=@UUID@ appraise_type=imasig"

# kt_guest_builtin_policy NAME[|NAME...]: boot with ima_policy=NAME (tcb,
# appraise_tcb, secure_boot, ...) on the kernel command line and load no
# policy file: the kernel's builtin rules apply from the start.  Under
# secure_boot every module needs a signature, those of the initramfs too:
# see kt_guest_sign_modules.
kt_guest_builtin_policy() { KT_BUILTIN_POLICY=$1; }

# kt_guest_sign_modules KEYNAME: the modules the guest loads from its
# initramfs get a security.ima signature by KEYNAME (evmctl on the host,
# setfattr on the guest's tmpfs), and the keys are loaded before them.
kt_guest_sign_modules() { KT_MODULE_KEY=$1; }

# kt_guest_program NAME PATH: run /mnt/PATH in the guest, report as NAME.
kt_guest_program() {
	[ -f "$KT_IMGROOT/$2" ] || kt_die "kt_guest_program: $KT_IMGROOT/$2 does not exist"
	KT_PROGRAMS+=("$1 $2")
}

# kt_guest_hook STAGE FILE: source FILE in the guest at STAGE (pre-policy:
# after keys and mount, before EVM/policy; post-run: after the programs).
kt_guest_hook() { KT_HOOKS+=("$1 $2"); }

kt_program_path() {
	local p
	for p in "${KT_PROGRAMS[@]}"; do
		[ "${p%% *}" = "$1" ] && { echo "${p#* }"; return 0; }
	done
	return 1
}

# kt_guest_command NAME COMMAND: run COMMAND with the guest's (busybox) sh
# after the programs, e.g. `chroot /mnt /bin/ls /` to run a deployment's own
# programs with its own libraries.  RESULT NAME is "ran" for exit status 0,
# "denied" for another status with "Permission denied" (exec or open
# refused) or glibc's "failed to map segment from shared object" (a
# library's mmap refused) in the output, else "error rc=N".  Its audit causes:
# kt_path_cause with the paths it touches.
kt_guest_command() {
	case $1 in *[!A-Za-z0-9_.+-]* | '') kt_die "kt_guest_command: bad name '$1'" ;; esac
	KT_COMMANDS+=("$1 $2")
}

# ---------------------------------------------------------------------------
# software TPM (opt-in: KT_TPM=1 after kt_init)
#
# kt_boot starts `swtpm socket --tpm2` for the boot and gives qemu a tpm-tis
# device on it.  The guest then prints PCR 10 of each bank after the programs
# ran, right before the measurement lists (lines "PCR10 <bank> <hex>"); read
# them with kt_tpm_pcr10 BANK.  When no TPM can be had, KT_TPM drops to 0 and
# KT_TPM_SKIP says why (the boot itself still happens): no swtpm (a failure
# with KT_STRICT=1); a kernel whose TPM TIS driver is not built in (IMA
# initialises at late_initcall and only uses a TPM that was probed by then:
# with tpm_tis as a module it runs in TPM-bypass mode whatever the guest loads
# later); at run time, a guest with no /sys/class/tpm/tpm0 or whose IMA logged
# "No TPM chip found".

KT_SWTPM_PID=
KT_TPM_SOCK=

# kt_tpm_check: KT_TPM=1 -> 0 with KT_TPM_SKIP set when no TPM is possible.
kt_tpm_check() {
	[ "$KT_TPM" = 1 ] || return 0
	if ! command -v swtpm >/dev/null 2>&1; then
		KT_TPM_SKIP="swtpm not found (Debian package swtpm, see ci/packages.d/kernel.txt)"
		# Missing infrastructure: with --strict a failure, as for qemu.
		if [ "${KT_STRICT:-0}" = 1 ]; then
			kt_die "$KT_TPM_SKIP (KT_STRICT=1: not skipping the TPM part)"
		fi
	elif [ -f "$KT_KERNEL_DIR/config" ] && ! grep -q '^CONFIG_TCG_TIS=y' "$KT_KERNEL_DIR/config"; then
		KT_TPM_SKIP="$(basename "$KT_KERNEL_DIR") has no built-in TPM TIS driver ($(grep -E '^(# )?CONFIG_TCG_TIS[= ]' "$KT_KERNEL_DIR/config" || echo 'CONFIG_TCG_TIS unset')): IMA would run in TPM-bypass mode"
	elif [ -f "$KT_KERNEL_DIR/config" ] && ! grep -q '^CONFIG_TCG_TPM=y' "$KT_KERNEL_DIR/config"; then
		KT_TPM_SKIP="$(basename "$KT_KERNEL_DIR") lacks CONFIG_TCG_TPM=y: IMA would run in TPM-bypass mode"
	fi
	if [ -n "$KT_TPM_SKIP" ]; then
		kt_log "TPM: $KT_TPM_SKIP; booting without a TPM"
		KT_TPM=0
	fi
}

kt_tpm_start() {
	local dir=$KT_TMP/tpm i=0
	rm -rf "$dir"
	mkdir -p "$dir"
	KT_TPM_SOCK=$dir/sock
	swtpm socket --tpm2 --tpmstate "dir=$dir" --ctrl "type=unixio,path=$KT_TPM_SOCK" \
		--flags startup-clear --log "file=$dir/swtpm.log" >"$dir/swtpm.out" 2>&1 &
	KT_SWTPM_PID=$!
	while [ ! -S "$KT_TPM_SOCK" ]; do
		if ! kill -0 "$KT_SWTPM_PID" 2>/dev/null || [ $i -ge 100 ]; then
			cat "$dir/swtpm.out" "$dir/swtpm.log" >&2 2>/dev/null || true
			kt_die "swtpm did not come up (no socket $KT_TPM_SOCK)"
		fi
		sleep 0.1
		i=$((i + 1))
	done
	kt_log "swtpm (pid $KT_SWTPM_PID) on $KT_TPM_SOCK"
}

kt_tpm_stop() {
	[ -n "${KT_SWTPM_PID:-}" ] || return 0
	kill "$KT_SWTPM_PID" 2>/dev/null || true
	wait "$KT_SWTPM_PID" 2>/dev/null || true
	KT_SWTPM_PID=
}

# kt_tpm_pcr10 BANK: the guest's PCR 10 of BANK (sha1, sha256, ...), lower-case
# hex, as read from sysfs after the programs ran ("" if not reported).
kt_tpm_pcr10() {
	awk -v b="$1" '$1 == "PCR10" && $2 == b { print tolower($3); exit }' "$KT_SERIAL_LOG"
}

# ---------------------------------------------------------------------------
# image, initramfs, boot

# kt_make_image IMG [PATH...]: $KT_IMGROOT as an ext4 image (fsuuid KT_UUID);
# checks that the security.ima of every program and PATH (relative to the
# image root) made it into the image.  KT_IMAGE_VERITY=1: with the verity
# feature and 4096-byte blocks (6.1's ext4 wants the page size), so the guest
# can enable fs-verity on its files.
kt_make_image() {
	local img=$1 kb features=^has_journal block=()
	shift
	kb=$(du -sk "$KT_IMGROOT" | cut -f1)
	kb=$((kb * 13 / 10 + 4096))
	if [ "${KT_IMAGE_VERITY:-0}" = 1 ]; then
		features+=,verity
		block=(-b 4096)
	fi
	mkfs.ext4 -q -F -U "$KT_UUID" -I 256 "${block[@]}" -O "$features" -L oima-test \
		-d "$KT_IMGROOT" "$img" "${kb}k" >"$KT_TMP/mkfs.log" 2>&1 || {
		cat "$KT_TMP/mkfs.log" >&2
		kt_die "mkfs.ext4 -d failed"
	}
	# mkfs -d must have carried the security.ima xattrs over.
	local p path want got
	for path in "$@" ${KT_PROGRAMS[@]+"${KT_PROGRAMS[@]#* }"}; do
		[ -L "$KT_IMGROOT/$path" ] && continue
		want=$(kt_ima_xattr "$KT_IMGROOT/$path")
		[ -n "$want" ] || continue
		got=$(debugfs -R "ea_get -x /$path security.ima" "$img" 2>/dev/null | tr -d ' \n' |
			sed 's/^security\.ima([0-9]*)=//' || true)
		if [ "${got,,}" != "${want,,}" ]; then
			kt_die "security.ima of /$path differs in the image (mkfs.ext4 -d lost it?): '$got'"
		fi
	done
}

# kt_make_disk [PATH...]: $KT_IMGROOT as an ext4 image (see kt_make_image)
# that every later boot attaches as a read-only virtio disk (/dev/vda, mounted
# ro on /mnt) instead of copying it into the initramfs: for a whole OS tree.
# Keeps KT_UUID over kt_boot_reset.  The guest loads virtio_blk and, where
# they are modules (6.1), the virtio core and PCI transport first.
kt_make_disk() {
	kt_make_image "$KT_TMP/disk.ext4" "$@"
	KT_DISK=$KT_TMP/disk.ext4
	kt_log "disk: $(du -h "$KT_DISK" | cut -f1) used of $(du -h --apparent-size "$KT_DISK" | cut -f1) (sparse)"
}

# kt_boot: build the image + per-test initramfs part, run qemu, collect the log.
kt_boot() {
	local boot=$KT_TMP/boot p name path
	rm -rf "$boot"
	mkdir -p "$boot/root/test/keys/ima" "$boot/root/test/keys/evm" \
		"$boot/root/test/hooks/pre-policy" "$boot/root/test/hooks/post-run"
	[ ${#KT_PROGRAMS[@]} -gt 0 ] || [ ${#KT_COMMANDS[@]} -gt 0 ] || kt_die "kt_boot: no programs registered"
	[ ${#KT_POLICY[@]} -gt 0 ] || [ -n "$KT_BUILTIN_POLICY" ] || kt_guest_policy "$KT_POLICY_IMASIG"
	[ ${#KT_POLICY[@]} = 0 ] || [ -z "$KT_BUILTIN_POLICY" ] ||
		kt_die "kt_boot: a policy file and ima_policy=$KT_BUILTIN_POLICY in one boot"
	kt_tpm_check

	# Every program must work as such (the host has no IMA appraisal): a denial in
	# the guest is then IMA's doing, not a broken binary.
	for p in "${KT_PROGRAMS[@]}"; do
		name=${p%% *}
		path=${p#* }
		"$KT_IMGROOT/$path" 2>&1 | grep -q "^$KT_MARKER " ||
			kt_die "program $name ($path) does not run on the host"
	done

	local i=0 c disk_args=()
	mkdir -p "$boot/root/test/modules"
	: >"$boot/root/test/modules/load-order"
	if [ -n "$KT_DISK" ]; then
		KT_MOUNT_OPTS=ro
		disk_args=(-drive "if=virtio,format=raw,readonly=on,file=$KT_DISK")
		for c in $(kt__module_order virtio_pci virtio_blk); do
			cp "$c" "$boot/root/test/modules/"
			basename "$c" >>"$boot/root/test/modules/load-order"
		done
	else
		kt_make_image "$boot/root/test/img.ext4"
	fi
	# KT_EXTRA_MODULES: more modules of the kernel package, loaded at boot.
	for c in $(kt__module_order ${KT_EXTRA_MODULES:-}); do
		cp "$c" "$boot/root/test/modules/"
		basename "$c" >>"$boot/root/test/modules/load-order"
	done
	for c in ${KT_IMA_CERTS[@]+"${KT_IMA_CERTS[@]}"}; do
		i=$((i + 1))
		cp "$c" "$boot/root/test/keys/ima/$i-$(basename "$c")"
	done
	for c in ${KT_EVM_CERTS[@]+"${KT_EVM_CERTS[@]}"}; do
		i=$((i + 1))
		cp "$c" "$boot/root/test/keys/evm/$i-$(basename "$c")"
	done
	for c in ${KT_HOOKS[@]+"${KT_HOOKS[@]}"}; do
		i=$((i + 1))
		cp "${c#* }" "$boot/root/test/hooks/${c%% *}/$(printf '%02d' $i)-$(basename "${c#* }" .sh).sh"
	done
	: >"$boot/root/test/policy"
	[ ${#KT_POLICY[@]} = 0 ] || printf '%s\n' "${KT_POLICY[@]}" >"$boot/root/test/policy"
	: >"$boot/root/test/modsigs"
	if [ -n "$KT_MODULE_KEY" ]; then
		# shellcheck disable=SC2086
		kt__module_sigs /lib/modules $(kt__module_order $KT_BASE_MODULES) >>"$boot/root/test/modsigs"
		while read -r c; do
			[ -n "$c" ] || continue
			kt__module_sigs /test/modules "$boot/root/test/modules/$c" >>"$boot/root/test/modsigs"
		done <"$boot/root/test/modules/load-order"
	fi
	printf '%s\n' ${KT_PROGRAMS[@]+"${KT_PROGRAMS[@]}"} >"$boot/root/test/programs"
	printf '%s\n' ${KT_COMMANDS[@]+"${KT_COMMANDS[@]}"} >"$boot/root/test/commands"
	cat >"$boot/root/test/config" <<-EOF
		KT_UUID=$KT_UUID
		KT_DISK=${KT_DISK:+1}
		KT_EVM_MODE=$KT_EVM_MODE
		KT_MOUNT_OPTS=$KT_MOUNT_OPTS
		KT_DUMP_MEASUREMENTS=$KT_DUMP_MEASUREMENTS
		KT_DUMP_BINARY_MEASUREMENTS=$KT_DUMP_BINARY_MEASUREMENTS
		KT_TPM=$KT_TPM
	EOF
	install -m 0755 "$KT_LIBDIR/guest-init.sh" "$boot/root/init"
	# Second cpio archive appended to the cached base: the kernel unpacks both.
	(cd "$boot/root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
		gzip -1 >"$boot/test.cpio.gz"
	cat "$KT_INITRD_BASE" "$boot/test.cpio.gz" >"$boot/initrd.gz"

	local cmdline="console=ttyS0 panic=-1 quiet rdinit=/init"
	if [ -n "$KT_BUILTIN_POLICY" ]; then
		cmdline="$cmdline ima_policy=$KT_BUILTIN_POLICY"
		kt_log "policy: builtin, ima_policy=$KT_BUILTIN_POLICY"
	else
		kt_log "policy:"
		sed 's/^/    /' "$boot/root/test/policy"
	fi
	KT_SERIAL_LOG=$boot/serial.log
	local start end rc=0 tpm_args=()
	if [ "$KT_TPM" = 1 ]; then
		kt_tpm_start
		tpm_args=(-chardev "socket,id=chrtpm,path=$KT_TPM_SOCK"
			-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0)
	fi
	start=$(date +%s.%N)
	timeout -k 10 "$KT_QEMU_TIMEOUT" qemu-system-x86_64 -accel tcg -m 768 -smp 1 \
		-nodefaults -display none -no-reboot \
		-serial "file:$KT_SERIAL_LOG" \
		${tpm_args[@]+"${tpm_args[@]}"} ${disk_args[@]+"${disk_args[@]}"} \
		-kernel "$KT_VMLINUZ" -initrd "$boot/initrd.gz" \
		-append "$cmdline" \
		</dev/null >"$boot/qemu.out" 2>&1 || rc=$?
	end=$(date +%s.%N)
	kt_tpm_stop
	kt_log "qemu finished (rc $rc) in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
	KT_BOOTED=1
	# Normalise the serial log: no CRs.
	[ -f "$KT_SERIAL_LOG" ] || : >"$KT_SERIAL_LOG"
	sed -i 's/\r$//' "$KT_SERIAL_LOG"
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		kt_dump_log
		kt_die "qemu timed out after ${KT_QEMU_TIMEOUT}s (hung guest)"
	fi
	if [ $rc != 0 ]; then
		cat "$boot/qemu.out" >&2
		kt_dump_log
		kt_die "qemu failed with rc $rc"
	fi
	if grep -q '^KT-ERROR' "$KT_SERIAL_LOG"; then
		kt_dump_log
		kt_die "guest: $(grep '^KT-ERROR' "$KT_SERIAL_LOG" | head -n 1)"
	fi
	grep -q '^KT-DONE' "$KT_SERIAL_LOG" || {
		kt_dump_log
		kt_die "guest did not finish (no KT-DONE on the console)"
	}
	grep -Eq '^KT-POLICY (loaded|builtin)' "$KT_SERIAL_LOG" || {
		kt_dump_log
		kt_die "guest did not load the policy"
	}
	for p in ${KT_PROGRAMS[@]+"${KT_PROGRAMS[@]}"} ${KT_COMMANDS[@]+"${KT_COMMANDS[@]}"}; do
		name=${p%% *}
		[ -n "$(kt_result "$name")" ] || {
			kt_dump_log
			kt_die "no RESULT line for $name"
		}
	done
	grep -E '^(KT-BOOTED|KT-MODULE|KT-KEY|KT-EVM|KT-HOOK|KT-TPM|PCR10|RESULT|OUTPUT|AUDIT)' "$KT_SERIAL_LOG" | sed 's/^/  guest| /'
	if [ "$KT_TPM" = 1 ] && [ -z "$(kt_tpm_pcr10 sha256)" ]; then
		KT_TPM_SKIP="the guest reported no TPM PCR 10 ($(grep '^KT-TPM' "$KT_SERIAL_LOG" | head -n 1))"
		KT_TPM=0
		kt_log "TPM: $KT_TPM_SKIP"
	fi
}

# kt__module_sigs GUESTDIR FILE...: "GUESTDIR/NAME HEX" per module FILE, HEX
# its security.ima signed by KT_MODULE_KEY (evmctl, sha256, on a copy).
kt__module_sigs() {
	local dir=$1 f copy=$KT_TMP/modsig.ko
	shift
	for f in "$@"; do
		cp "$f" "$copy"
		evmctl ima_sign -a sha256 --key "$(kt_key "$KT_MODULE_KEY")" "$copy" >/dev/null 2>&1 ||
			kt_die "evmctl ima_sign of module $(basename "$f") failed"
		echo "$dir/$(basename "$f") $(kt_ima_xattr "$copy")"
	done
	rm -f "$copy"
}

kt_dump_log() {
	kt_err "----- serial log -----"
	sed 's/^/  serial| /' "${KT_SERIAL_LOG:-/dev/null}" >&2 || true
	kt_err "----- end of serial log -----"
}

# ---------------------------------------------------------------------------
# results

# kt_result NAME: "ran", "denied" or "error rc=N" (empty if missing).
kt_result() {
	awk -v n="$1" '$1 == "RESULT" && $2 == n { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' \
		"$KT_SERIAL_LOG"
}

# kt_cause NAME: the cause= of the audit line(s) for that program's path.
kt_cause() {
	local path
	path=$(kt_program_path "$1") || return 0
	kt_path_cause "$path"
}

# kt_path_cause PATH: the cause= of the audit line(s) for /mnt/PATH (PATH
# relative to the image root, as the kernel names it: symlinks resolved).
kt_path_cause() {
	awk -v n="name=\"/mnt/${1#/}\"" '$1 == "AUDIT" && index($0, n) && match($0, / cause=[^ ]+/) {
		print substr($0, RSTART + 7, RLENGTH - 7) }' "$KT_SERIAL_LOG" | sort -u | paste -sd, -
}

# kt_measurements [BANK]: the guest's ascii measurement list (needs
# KT_DUMP_MEASUREMENTS=1); with BANK, the per-bank list
# ascii_runtime_measurements_BANK (empty where the kernel has none: see
# kt_measurement_banks).
kt_measurements() {
	if [ $# = 0 ]; then
		sed -n 's/^MEASURE //p' "$KT_SERIAL_LOG"
	else
		awk -v b="$1" '$1 == "BANKMEASURE" && $2 == b { sub(/^BANKMEASURE [^ ]+ /, ""); print }' "$KT_SERIAL_LOG"
	fi
}
# kt_measurement_banks: the banks the guest had per-bank lists for (sha1 sha256 ...).
kt_measurement_banks() { awk '$1 == "KT-MEASURE-BANK" { print $2 }' "$KT_SERIAL_LOG"; }
# kt_binary_measurements FILE: the decoded binary list (KT_DUMP_BINARY_MEASUREMENTS=1).
kt_binary_measurements() { sed -n 's/^BINMEASURE //p' "$KT_SERIAL_LOG" | base64 -d >"$1"; }

# The simulator's predictions, from `ostree-ima appraise --json` output:
# kt_sim_denials JSON prints "PATH HOOK CAUSE" per predicted denial;
# kt_sim_cause JSON PATH [HOOK...] the cause at the first of HOOKs (default:
# the order an exec meets them, FILE_CHECK BPRM_CHECK MMAP_CHECK) that denies
# PATH (absolute in the appraised tree), or "ran".
kt_sim_denials() {
	# (parsed once: JSON.tsv, kept while newer than JSON)
	[ "$1.tsv" -nt "$1" ] || python3 -c 'import json, sys
for x in json.load(open(sys.argv[1]))["denials"]:
    print(x["path"], x["hook"], x["cause"])' "$1" >"$1.tsv" || return 1
	cat "$1.tsv"
}
kt_sim_cause() {
	local json=$1 path=$2
	shift 2
	[ $# -gt 0 ] || set -- FILE_CHECK BPRM_CHECK MMAP_CHECK
	kt_sim_denials "$json" | awk -v p="$path" -v hooks="$*" '
		BEGIN { n = split(hooks, h, " "); for (i = 1; i <= n; i++) rank[h[i]] = i }
		$1 == p && ($2 in rank) && (best == "" || rank[$2] < r) { best = $3; r = rank[$2] }
		END { print best == "" ? "ran" : best }'
}

# kt_sim_agree LABEL NAME PATH JSON [HOOK...]: the kernel's verdict on
# the program or command NAME (ran, or denied with the audit cause of
# /mnt/PATH) must be what the simulator's JSON predicts for /PATH at the
# first denying HOOK (kt_sim_cause).  Counts KT_SIM_RUNS / KT_SIM_DENIALS
# (reset them before a boot).  A denial the simulator predicted but whose
# audit line never reached the console (printk's rate limit) passes.
KT_SIM_RUNS=0
KT_SIM_DENIALS=0
kt_sim_agree() {
	local label=$1 name=$2 path=$3 json=$4 want got r c
	shift 4
	want=$(kt_sim_cause "$json" "/$path" "$@")
	r=$(kt_result "$name")
	c=$(kt_path_cause "$path")
	if [ "$r" = ran ] && [ -z "$c" ]; then got=ran; KT_SIM_RUNS=$((KT_SIM_RUNS + 1))
	elif [ "$r" = denied ]; then got=$c; KT_SIM_DENIALS=$((KT_SIM_DENIALS + 1))
	else got="$r${c:+ cause=$c}"; fi
	if [ "$want" = "$got" ]; then
		kt_pass "$label: $name: kernel and simulator say $got"
	elif [ "$r" = denied ] && [ -z "$c" ] && [ "$want" != ran ]; then
		kt_pass "$label: $name: denied as predicted ($want); the kernel logged no cause"
	else
		kt_fail "$label: $name (/$path): the simulator predicted '$want', the kernel did '$got' ($(grep -m1 "^OUTPUT $name " "$KT_SERIAL_LOG"))"
	fi
}

kt_pass() { KT_CHECKS=$((KT_CHECKS + 1)); kt_log "ok: $*"; }
kt_fail() {
	KT_CHECKS=$((KT_CHECKS + 1))
	KT_FAILS=$((KT_FAILS + 1))
	kt_log "FAIL: $*"
	kt_err "FAIL: $*"
}

# kt_expect_ran NAME
kt_expect_ran() {
	local r c
	r=$(kt_result "$1")
	c=$(kt_cause "$1")
	if [ "$r" = ran ] && [ -z "$c" ]; then
		kt_pass "$1 ran"
	else
		kt_fail "$1 expected to run, got '$r'${c:+ (audit cause=$c)}"
	fi
}

# kt_expect_denied NAME [CAUSE]: denied, and (if given) with exactly that cause.
# Without CAUSE, some cause must still have been audited for that file.
kt_expect_denied() {
	local r c
	r=$(kt_result "$1")
	c=$(kt_cause "$1")
	if [ "$r" != denied ]; then
		kt_fail "$1 expected to be denied${2:+ ($2)}, got '$r'"
	elif [ -z "$c" ]; then
		kt_fail "$1 denied but no audit cause was logged for /mnt/$(kt_program_path "$1")"
	elif [ -n "${2:-}" ] && [ "$c" != "$2" ]; then
		kt_fail "$1 denied with cause=$c, expected cause=$2"
	else
		kt_pass "$1 denied (cause=$c)"
	fi
}

kt_finish() {
	[ "$KT_BOOTED" = 1 ] || kt_die "kt_finish without a boot"
	[ "$KT_CHECKS" -gt 0 ] || kt_die "no assertions were made"
	if [ "$KT_FAILS" -gt 0 ]; then
		kt_dump_log
		kt_err "$KT_FAILS of $KT_CHECKS checks failed"
		exit 1
	fi
	[ "${KT_VERBOSE:-0}" = 1 ] && kt_dump_log
	kt_log "all $KT_CHECKS checks passed"
	exit 0
}
