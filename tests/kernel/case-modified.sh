#!/bin/bash
# Case 3: content changed after signing (security.ima kept) is denied with
# cause invalid-signature.  Two kinds of change on the signed checkout:
#   appended  one byte appended (the ELF still runs)
#   patched   one byte changed in place, same size (the printed name)
# Control: an untouched signed program runs.
. "$(dirname "$0")/lib-kernel.sh"
kt_init "case 3: content changed after signing is denied (invalid-signature)"

kt_keygen_rsa rsa
tree=$KT_TMP/tree
kt_build_programs "$tree" hello appended patched
kt_add_files "$tree"
kt_repo_init
kt_commit src "$tree"
kt_sign rsa sha256 src signed
kt_checkout signed signed
bin=$KT_IMGROOT/signed/usr/bin
for p in hello appended patched; do kt_require_ima_sig "$bin/$p" 4; done

before_a=$(kt_ima_xattr "$bin/appended")
before_p=$(kt_ima_xattr "$bin/patched")
sum_p=$(sha256sum <"$bin/patched")
# Append: >> keeps the inode and so the xattr.
printf '\0' >>"$bin/appended"
# Same-size in-place change: "OIMA-PROG-OK patched" -> "OIMA-PROG-OK Patched".
off=$(grep -obUa 'OIMA-PROG-OK patched' "$bin/patched" | head -n 1 | cut -d: -f1)
[ -n "$off" ] || kt_die "marker not found in the patched program"
printf 'P' | dd of="$bin/patched" bs=1 seek=$((off + 13)) conv=notrunc status=none
[ "$(sha256sum <"$bin/patched")" != "$sum_p" ] || kt_die "in-place change did not change the content"
[ "$(kt_ima_xattr "$bin/appended")" = "$before_a" ] || kt_die "security.ima of appended was lost"
[ "$(kt_ima_xattr "$bin/patched")" = "$before_p" ] || kt_die "security.ima of patched was lost"

kt_guest_ima_cert rsa
kt_guest_program appended signed/usr/bin/appended
kt_guest_program patched signed/usr/bin/patched
kt_guest_program control-signed signed/usr/bin/hello
kt_boot

kt_expect_denied appended invalid-signature
kt_expect_denied patched invalid-signature
kt_expect_ran control-signed
kt_finish
