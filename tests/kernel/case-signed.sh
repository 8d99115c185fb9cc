#!/bin/bash
# Case 1 (RSA): a commit signed with `ostree-ima sign` runs under an imasig
# policy.  One boot, three signed checkouts of the same source commit:
#   rsa256/  RSA-2048, sha256      rsa512/  RSA-2048, sha512
#   keygen/  RSA-3072 key made by `ostree-ima keygen`, sha256
# Every program of them (and a symlink to one) must run, with no audit cause.
# Control: the unsigned source checkout must be denied, which proves that the
# policy was really enforced on the image (otherwise "ran" proves nothing).
# The keygen/ tree also proves the kernel accepts keygen's certificate in _ima.
# ECDSA P-256 is case-signed-ecdsa.sh (needs CONFIG_CRYPTO_ECDSA).
. "$(dirname "$0")/lib-kernel.sh"
kt_init "case 1: programs signed by ostree-ima sign (RSA-2048 sha256, sha512; keygen RSA-3072) run"

kt_keygen_rsa rsa
kt_keygen_tool tool
tree=$KT_TMP/tree
kt_build_programs "$tree" hello world
ln -s hello "$tree/usr/bin/hello-link"
kt_add_files "$tree"
kt_repo_init
kt_commit src "$tree"

kt_sign rsa sha256 src signed-rsa256
kt_sign rsa sha512 src signed-rsa512
kt_sign tool sha256 src signed-keygen
kt_checkout signed-rsa256 rsa256
kt_checkout signed-rsa512 rsa512
kt_checkout signed-keygen keygen
kt_checkout src unsigned

# Host side: the checkouts carry v2 signatures with the requested hash algo.
for p in hello world; do
	kt_require_ima_sig "$KT_IMGROOT/rsa256/usr/bin/$p" 4
	kt_require_ima_sig "$KT_IMGROOT/rsa512/usr/bin/$p" 6
	kt_require_ima_sig "$KT_IMGROOT/keygen/usr/bin/$p" 4
done

kt_guest_ima_cert rsa
kt_guest_ima_cert tool
for t in rsa256 rsa512; do
	kt_guest_program "$t-hello" "$t/usr/bin/hello"
	kt_guest_program "$t-world" "$t/usr/bin/world"
done
kt_guest_program keygen-hello keygen/usr/bin/hello
kt_guest_program rsa256-link rsa256/usr/bin/hello-link
kt_guest_program control-unsigned unsigned/usr/bin/hello
kt_boot

for t in rsa256 rsa512; do
	kt_expect_ran "$t-hello"
	kt_expect_ran "$t-world"
done
kt_expect_ran keygen-hello
kt_expect_ran rsa256-link
kt_expect_denied control-unsigned IMA-signature-required
kt_finish
