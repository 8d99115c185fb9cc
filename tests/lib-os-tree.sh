# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# lib-os-tree.sh: a real OS tree for tests and benchmarks, built once and
# cached outside the source tree.
#
#   . tests/libtest.sh         # FIRST: gen_bytes, info (used below)
#   . tests/lib-os-tree.sh
#   rootfs=$(oima_minbase_rootfs) || ...   # rc 77: no debootstrap
#
# Source order: libtest.sh before this file (it defines gen_bytes and info;
# this file checks and says so).  lib-kernel.sh may come before or after.
#
# oima_minbase_rootfs prints the path of `debootstrap --variant=minbase
# bookworm` (about 5,300 regular files, 214 MiB) with the ostree layout: no
# device nodes under /dev, /etc moved to /usr/etc, and an 8 MiB placeholder
# kernel in /usr/lib/modules/$OIMA_MINBASE_KVER/vmlinuz, so `ostree admin
# deploy` accepts a commit of it.  The cache entry is
# ${OSTREE_IMA_CACHE:-/var/cache/ostree-ima}/debootstrap-bookworm-minbase/
# <dpkg arch>-<UTC YYYYMM>-layout1, keyed by what the tree depends on: suite,
# variant, architecture, the month (the archive moves) and the version of
# the layout applied (bump layoutN when it changes).  It is built under a
# flock on .lock in that directory (parallel callers wait), entries of
# other months and layouts are removed when a new one is built, and the
# debootstrap log is kept next to it.  Needs root, debootstrap and the
# network the first time; afterwards only the cache.  Do not write into the
# tree: it is shared (commit it, check it out, copy it).
# Return codes: 0 (path on stdout), 77 (no debootstrap: skip), 1 (failed:
# the reason on stderr).

[ "$(type -t gen_bytes)" = function ] && [ "$(type -t info)" = function ] || {
	echo "lib-os-tree.sh: source tests/libtest.sh first (gen_bytes, info)" >&2
	return 1 2>/dev/null || exit 1
}

OIMA_MINBASE_SUITE=bookworm
OIMA_MINBASE_VARIANT=minbase
# The placeholder kernel's version (its directory under /usr/lib/modules).
OIMA_MINBASE_KVER=6.1.0-bench

oima_minbase_rootfs() { oima_debootstrap_rootfs "" ""; }

# oima_large_rootfs: the same with python3, perl, systemd, gcc and the
# kernel headers (25,865 regular files in 2026-12; the benchmarks' larger
# tree), cached in debootstrap-bookworm-minbase-large/.
OIMA_LARGE_INCLUDE=python3,perl,systemd,gcc,linux-headers-amd64
oima_large_rootfs() { oima_debootstrap_rootfs large "$OIMA_LARGE_INCLUDE"; }

# oima_debootstrap_rootfs NAME INCLUDE: the minbase tree plus the packages
# of INCLUDE (comma-separated, for debootstrap --include), cached under
# debootstrap-bookworm-minbase[-NAME], the key also naming INCLUDE.
oima_debootstrap_rootfs() {
	local name=$1 include=$2
	local suite=$OIMA_MINBASE_SUITE variant=$OIMA_MINBASE_VARIANT kver=$OIMA_MINBASE_KVER
	local dir key rootfs
	dir=${OSTREE_IMA_CACHE:-/var/cache/ostree-ima}/debootstrap-$suite-$variant${name:+-$name}
	key=$(dpkg --print-architecture)-$(date -u +%Y%m)-layout1${include:+-$(echo "$include" | sha256sum | cut -c1-8)}
	rootfs=$dir/$key
	mkdir -p "$dir" || return 1
	(
		flock 9 || exit 1
		[ -d "$rootfs" ] && exit 0
		command -v debootstrap >/dev/null 2>&1 || {
			info "no debootstrap (package debootstrap) to build $rootfs"
			exit 77
		}
		tmp=$rootfs.tmp
		info "debootstrap --variant=$variant${include:+ --include=$include} $suite into $rootfs (once)"
		rm -rf "$tmp"
		debootstrap --variant="$variant" ${include:+--include="$include"} "$suite" "$tmp" \
			http://deb.debian.org/debian >"$dir/debootstrap.log" 2>&1 || {
			info "debootstrap failed, see $dir/debootstrap.log"
			exit 1
		}
		# The ostree layout: no device nodes, /etc in /usr/etc, a kernel.
		find "$tmp/dev" -mindepth 1 -delete
		mv "$tmp/etc" "$tmp/usr/etc"
		mkdir -p "$tmp/usr/lib/modules/$kver"
		gen_bytes vmlinuz $((8 * 1024 * 1024)) >"$tmp/usr/lib/modules/$kver/vmlinuz"
		find "$dir" -mindepth 1 -maxdepth 1 -type d ! -name "$key.tmp" -exec rm -rf {} +
		mv "$tmp" "$rootfs"
	) 9>"$dir/.lock" >&2 || return $?
	echo "$rootfs"
}
