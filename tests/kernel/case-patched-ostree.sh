#!/bin/bash
# Case 5: the output of the patched ostree's `ostree commit --ima-sign
# --ima-key=K --ima-cert=C` runs under an imasig policy; a commit of
# the same tree without --ima-sign (control) is denied.
# SKIPs (77) unless OSTREE_IMA_PATCHED_OSTREE names a prefix with bin/ostree.
. "$(dirname "$0")/lib-kernel.sh"

prefix=${OSTREE_IMA_PATCHED_OSTREE:-}
[ -n "$prefix" ] || kt_skip "OSTREE_IMA_PATCHED_OSTREE is empty (configure with -Dpatched_ostree=PREFIX)"
[ -x "$prefix/bin/ostree" ] || kt_skip "no executable $prefix/bin/ostree (OSTREE_IMA_PATCHED_OSTREE=$prefix)"

kt_init "case 5: ostree commit --ima-sign (patched ostree) output runs"

KT_OSTREE=$(kt_patched_ostree) || kt_die "no patched ostree to run"
kt_log "patched ostree: $("$KT_OSTREE" --version | sed -n "s/^ *Version: *//p" | tr -d "'")"

kt_keygen_rsa rsa
tree=$KT_TMP/tree
kt_build_programs "$tree" hello world
kt_add_files "$tree"
kt_repo_init
kt_commit src "$tree"
kt_commit signed "$tree" --ima-sign --ima-key="$(kt_key rsa)" --ima-cert="$(kt_cert rsa)"
kt_checkout signed signed
kt_checkout src unsigned
for p in hello world; do kt_require_ima_sig "$KT_IMGROOT/signed/usr/bin/$p"; done

kt_guest_ima_cert rsa
kt_guest_program signed-hello signed/usr/bin/hello
kt_guest_program signed-world signed/usr/bin/world
kt_guest_program control-unsigned unsigned/usr/bin/hello
kt_boot

kt_expect_ran signed-hello
kt_expect_ran signed-world
kt_expect_denied control-unsigned IMA-signature-required
kt_finish
