#!/bin/bash
# What IMA does with a composefs-style mount: the layout ostree's composefs
# backend (and mount.composefs) builds, made here by hand because Debian
# has no libcomposefs.  An EROFS image holds, for each regular file, an
# empty metacopy entry of the file's size whose xattrs are the object's
# own (security.ima) plus trusted.overlay.metacopy and
# trusted.overlay.redirect=/OBJECT; an overlayfs mount stacks it on a
# data-only lower layer that holds the objects' bytes
# (lowerdir=EROFS::OBJECTS, metacopy=on; kernels >= 6.5: 6.12, not 6.1).
# Under `appraise func=BPRM_CHECK fsmagic=OVERLAYFS appraise_type=imasig`:
#   usr/bin/good      metacopy entry with good's signature, redirected to
#                     good's bytes: runs (IMA reads security.ima through
#                     overlayfs from the EROFS entry and hashes the bytes
#                     the data layer serves, not the empty entry)
#   usr/bin/swapped   good's signature, redirected to other's bytes:
#                     denied invalid-signature
#   usr/bin/plain     a whole signed file in the EROFS image (no
#                     redirect), and plain-unsigned without security.ima:
#                     controls for IMA on overlayfs itself
. "$(dirname "$0")/lib-kernel.sh"
kt_init "composefs layout: IMA appraisal through an EROFS metacopy image on overlayfs"
[ "$KT_KERNEL_SERIES" != 6.1 ] || kt_skip "overlayfs data-only lower layers need Linux 6.5 (this is 6.1)"
kt_need_cmd mkfs.erofs
[ -n "$(kt_module_file erofs)" ] || kt_kernel_has CONFIG_EROFS_FS || kt_skip "no EROFS in this kernel"

kt_keygen_rsa rsa
tree=$KT_TMP/tree
kt_build_programs "$tree" good other plain plain-unsigned
kt_repo_init
kt_commit src "$tree"
kt_sign rsa sha256 src signed
signed=$KT_TMP/signed
"$KT_OSTREE" --repo="$KT_REPO" checkout --force-copy signed "$signed" || kt_die "checkout of signed failed"
for p in good other plain; do kt_require_ima_sig "$signed/usr/bin/$p" 4; done

# The data-only layer (objects by content digest) goes on the ext4 image,
# next to the EROFS image of the metadata.
src=$KT_TMP/cfs-src
mkdir -p "$KT_IMGROOT/objects" "$src/usr/bin"
object() {  # FILE: store FILE's bytes in the data layer, print its /NAME
	local d
	d=$(sha256sum "$1" | cut -c1-64)
	mkdir -p "$KT_IMGROOT/objects/${d:0:2}"
	cp "$1" "$KT_IMGROOT/objects/${d:0:2}/${d:2}"
	echo "/${d:0:2}/${d:2}"
}
metacopy() {  # NAME CONTENT-FILE SIGNATURE-FILE
	local e=$src/usr/bin/$1
	truncate -s "$(stat -c %s "$2")" "$e"
	chmod 0755 "$e"
	setfattr -n trusted.overlay.metacopy "$e"
	setfattr -n trusted.overlay.redirect -v "$(object "$2")" "$e"
	setfattr -n security.ima -v "0x$(kt_ima_xattr "$3")" "$e"
}
metacopy good "$signed/usr/bin/good" "$signed/usr/bin/good"
metacopy swapped "$signed/usr/bin/other" "$signed/usr/bin/good"
cp -a --preserve=xattr "$signed/usr/bin/plain" "$src/usr/bin/plain"
cp "$tree/usr/bin/plain-unsigned" "$src/usr/bin/plain-unsigned"
kt_require_ima_sig "$src/usr/bin/plain" 4
mkfs.erofs -x1 --quiet "$KT_IMGROOT/cfs.erofs" "$src" >"$KT_TMP/mkfs.erofs.log" 2>&1 ||
	kt_die "mkfs.erofs failed: $(cat "$KT_TMP/mkfs.erofs.log")"

cat >"$KT_TMP/composefs-hook.sh" <<'HOOK'
mkdir -p /cfs /cmp
if losetup /dev/loop1 /mnt/cfs.erofs && mount -t erofs -o ro /dev/loop1 /cfs &&
	mount -t overlay overlay -o ro,metacopy=on,redirect_dir=follow,lowerdir=/cfs::/mnt/objects /cmp; then
	echo "KT-COMPOSEFS mounted"
else
	echo "KT-COMPOSEFS failed"
fi
HOOK
kt_guest_hook pre-policy "$KT_TMP/composefs-hook.sh"
KT_EXTRA_MODULES="erofs overlay"
kt_guest_ima_cert rsa
# 0x794c7630: OVERLAYFS_SUPER_MAGIC
kt_guest_policy 'appraise func=BPRM_CHECK fsmagic=0x794c7630 appraise_type=imasig'
for p in good swapped plain plain-unsigned; do
	kt_guest_command "cfs-$p" "/cmp/usr/bin/$p"
done
kt_boot

grep -q '^KT-COMPOSEFS mounted' "$KT_SERIAL_LOG" ||
	kt_die "the guest could not mount the EROFS + overlayfs stack: $(grep -E 'KT-COMPOSEFS|overlay|erofs' "$KT_SERIAL_LOG" | head -n 8)"
kt_expect_command() {  # NAME ran|denied [CAUSE]
	local r c
	r=$(kt_result "$1")
	c=$(grep -m1 "name=\"/cmp/usr/bin/${1#cfs-}\"" "$KT_SERIAL_LOG" | grep -o 'cause=[^ ]*' | cut -d= -f2 || true)
	if [ "$r" = "$2" ] && [ "${3:-}" = "$c" ]; then
		kt_pass "$1 $r${c:+ (cause=$c)}"
	else
		kt_fail "$1: '$r'${c:+ cause=$c}, expected $2${3:+ cause=$3}"
	fi
}
# The signature in the EROFS entry is checked against the data layer's bytes.
kt_expect_command cfs-good ran
kt_expect_command cfs-swapped denied invalid-signature
# IMA on overlayfs itself, in the same boot.
kt_expect_command cfs-plain ran
kt_expect_command cfs-plain-unsigned denied IMA-signature-required
kt_finish
