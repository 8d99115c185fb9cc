#!/bin/bash
# Case 1 (ECDSA): commits signed by `ostree-ima sign` with ECDSA keys run under
# an imasig policy.  One boot, three signed checkouts of the same commit:
#   ec256/     P-256 (openssl), sha256
#   ec384/     P-384 (openssl), sha384
#   keygen384/ P-384 key made by `ostree-ima keygen --ec --curve P-384`, sha512
# Negatives in the same boot: an unsigned checkout is denied
# (IMA-signature-required), and a P-256 and a P-384 signed program whose bytes
# changed after signing are denied (invalid-signature: the kernel really
# verified the ECDSA signature, it did not just see one).
# The kernel needs CONFIG_CRYPTO_ECDSA to load an EC cert into _ima and verify
# the signatures: Debian 13's 6.12 has it built in; Debian 12's 6.1 kernels are
# built without it, so there (and only there) this SKIPs.
. "$(dirname "$0")/lib-kernel.sh"
kt_init "case 1: programs signed by ostree-ima sign (ECDSA P-256 sha256, P-384 sha384, keygen P-384 sha512) run"
if ! kt_kernel_has CONFIG_CRYPTO_ECDSA; then
	reason="$(cat "$KT_KERNEL_DIR/deb-name") is built without CONFIG_CRYPTO_ECDSA: it cannot verify ECDSA IMA signatures"
	[ "$KT_KERNEL_SERIES" = 6.1 ] || kt_die "$reason (only Debian 12's 6.1 may lack it)"
	kt_skip "$reason"
fi

kt_keygen_ec ec256 P-256
kt_keygen_ec ec384 P-384
kt_keygen_tool keygen384 --ec --curve P-384
tree=$KT_TMP/tree
kt_build_programs "$tree" hello world tampered
kt_add_files "$tree"
kt_repo_init
kt_commit src "$tree"
kt_sign ec256 sha256 src signed-ec256
kt_sign ec384 sha384 src signed-ec384
kt_sign keygen384 sha512 src signed-keygen384
kt_checkout signed-ec256 ec256
kt_checkout signed-ec384 ec384
kt_checkout signed-keygen384 keygen384
kt_checkout src unsigned
for p in hello world tampered; do
	kt_require_ima_sig "$KT_IMGROOT/ec256/usr/bin/$p" 4
	kt_require_ima_sig "$KT_IMGROOT/ec384/usr/bin/$p" 5
	kt_require_ima_sig "$KT_IMGROOT/keygen384/usr/bin/$p" 6
done
# Bytes changed after signing, xattr kept (>> keeps the inode; the ELF runs).
for t in ec256 ec384; do
	printf '\0' >>"$KT_IMGROOT/$t/usr/bin/tampered"
	kt_require_ima_sig "$KT_IMGROOT/$t/usr/bin/tampered"
done

kt_guest_ima_cert ec256
kt_guest_ima_cert ec384
kt_guest_ima_cert keygen384
for t in ec256 ec384 keygen384; do
	kt_guest_program "$t-hello" "$t/usr/bin/hello"
	kt_guest_program "$t-world" "$t/usr/bin/world"
done
kt_guest_program ec256-tampered ec256/usr/bin/tampered
kt_guest_program ec384-tampered ec384/usr/bin/tampered
kt_guest_program control-unsigned unsigned/usr/bin/hello
kt_boot

for t in ec256 ec384 keygen384; do
	kt_expect_ran "$t-hello"
	kt_expect_ran "$t-world"
done
kt_expect_denied ec256-tampered invalid-signature
kt_expect_denied ec384-tampered invalid-signature
kt_expect_denied control-unsigned IMA-signature-required
kt_finish
