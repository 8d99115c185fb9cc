#!/bin/bash
# Case 2: an unsigned program (checkout of the unsigned source commit) is
# denied with cause IMA-signature-required; a signed one (control) runs.
. "$(dirname "$0")/lib-kernel.sh"
kt_init "case 2: unsigned program is denied (IMA-signature-required)"

kt_keygen_rsa rsa
tree=$KT_TMP/tree
kt_build_programs "$tree" hello world
kt_add_files "$tree"
kt_repo_init
kt_commit src "$tree"
kt_sign rsa sha256 src signed
kt_checkout src unsigned
kt_checkout signed signed
kt_require_ima_sig "$KT_IMGROOT/signed/usr/bin/hello" 4
[ -z "$(kt_ima_xattr "$KT_IMGROOT/unsigned/usr/bin/hello")" ] ||
	kt_die "the unsigned checkout unexpectedly has security.ima"

kt_guest_ima_cert rsa
kt_guest_program unsigned-hello unsigned/usr/bin/hello
kt_guest_program unsigned-world unsigned/usr/bin/world
kt_guest_program control-signed signed/usr/bin/hello
kt_boot

kt_expect_denied unsigned-hello IMA-signature-required
kt_expect_denied unsigned-world IMA-signature-required
kt_expect_ran control-signed
kt_finish
