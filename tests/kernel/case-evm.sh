#!/bin/bash
# EVM in x509 mode (cert in _ima and _evm, `echo 2 > .../evm`) on checkouts
# of commits signed with `ostree-ima sign --evm`: programs with a portable
# EVM signature run (plain, setuid, with security.capability, a hash plus
# EVM signature), one signed without --evm is denied (missing-HMAC), one
# whose mode changed after signing is denied (invalid-fail-immutable), an
# unsigned one is denied.  The same deployment without --evm cannot run at
# all under EVM: that is the control.
. "$(dirname "$0")/lib-kernel.sh"
kt_init "EVM: portable EVM signatures from ostree-ima sign --evm run under EVM x509 mode"

kt_keygen_rsa rsa
tree=$KT_TMP/tree
kt_build_programs "$tree" good setuid capped hashed
chmod 4755 "$tree/usr/bin/setuid"
setfattr -n security.capability -v 0x0100000200200000000000000000000000000000 "$tree/usr/bin/capped"
kt_add_files "$tree"
kt_repo_init
kt_commit src "$tree"
"$OSTREE_IMA" sign --repo="$KT_REPO" --key "$(kt_key rsa)" --cert "$(kt_cert rsa)" --evm \
	--hash-only=/usr/bin/hashed src evm >/dev/null || kt_die "ostree-ima sign --evm failed"
kt_sign rsa sha256 src imaonly
kt_checkout evm evm
kt_checkout imaonly ima
kt_checkout src plain
# A copy whose mode changed after signing (cp drops security.evm: set it).
cp -a --preserve=xattr "$KT_IMGROOT/evm/usr/bin/good" "$KT_IMGROOT/evm/usr/bin/moded"
setfattr -n security.evm -v "0x$(getfattr -h --absolute-names -n security.evm -e hex \
	"$KT_IMGROOT/evm/usr/bin/good" | sed -n 's/^security.evm=0x//p')" "$KT_IMGROOT/evm/usr/bin/moded"
chmod 0700 "$KT_IMGROOT/evm/usr/bin/moded"
x=$(getfattr -h --absolute-names -n security.evm -e hex "$KT_IMGROOT/evm/usr/bin/good" | sed -n 's/^security.evm=0x//p')
[ "${x:0:4}" = 0502 ] || kt_die "sign --evm wrote no portable EVM signature: ${x:0:16}"
x=$(kt_ima_xattr "$KT_IMGROOT/evm/usr/bin/hashed")
[ "${x:0:4}" = 0404 ] || kt_die "--hash-only wrote no hash: ${x:0:16}"

kt_guest_policy 'appraise func=BPRM_CHECK fsuuid=@UUID@ appraise_type=imasig'
kt_guest_ima_cert rsa
kt_guest_evm_cert rsa
KT_EVM_MODE=2
for p in good setuid capped hashed moded; do kt_guest_program "evm-$p" "evm/usr/bin/$p"; done
kt_guest_program ima-good ima/usr/bin/good
kt_guest_program plain-good plain/usr/bin/good
kt_boot

kt_expect_ran evm-good
kt_expect_ran evm-setuid
kt_expect_ran evm-capped
kt_expect_ran evm-hashed
kt_expect_denied evm-moded invalid-fail-immutable
kt_expect_denied ima-good missing-HMAC
kt_expect_denied plain-good IMA-signature-required
kt_finish
