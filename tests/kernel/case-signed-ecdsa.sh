#!/bin/bash
# Case 1 (ECDSA): a commit signed by `ostree-ima sign` with an ECDSA P-256 key
# (sha256) runs under an imasig policy; an unsigned checkout (control) is denied.
# The kernel needs CONFIG_CRYPTO_ECDSA to load an EC cert and verify the
# signature; Debian 12's 6.1 kernels do not have it, so there this SKIPs.
. "$(dirname "$0")/lib-kernel.sh"
kt_init "case 1: programs signed by ostree-ima sign (ECDSA P-256 sha256) run"
kt_kernel_has CONFIG_CRYPTO_ECDSA ||
	kt_skip "$(cat "$KT_KERNEL_DIR/deb-name") is built without CONFIG_CRYPTO_ECDSA: it cannot verify ECDSA IMA signatures (use KT_KERNEL_PKG=<a kernel with it>)"

kt_keygen_ec ec
tree=$KT_TMP/tree
kt_build_programs "$tree" hello world
kt_add_files "$tree"
kt_repo_init
kt_commit src "$tree"
kt_sign ec sha256 src signed-ec256
kt_checkout signed-ec256 ec256
kt_checkout src unsigned
for p in hello world; do kt_require_ima_sig "$KT_IMGROOT/ec256/usr/bin/$p" 4; done

kt_guest_ima_cert ec
kt_guest_program ec256-hello ec256/usr/bin/hello
kt_guest_program ec256-world ec256/usr/bin/world
kt_guest_program control-unsigned unsigned/usr/bin/hello
kt_boot

kt_expect_ran ec256-hello
kt_expect_ran ec256-world
kt_expect_denied control-unsigned IMA-signature-required
kt_finish
