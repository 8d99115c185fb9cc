#!/bin/bash
# EVM in x509 mode (cert in _ima and _evm, `echo 2 > .../evm`) on checkouts
# of commits signed with `ostree-ima sign --evm`: programs with a portable
# EVM signature run (plain, setuid, with security.capability, a hash plus
# EVM signature), one signed without --evm is denied (missing-HMAC), one
# whose mode changed after signing is denied (invalid-fail-immutable), an
# unsigned one is denied.  The same deployment without --evm cannot run at
# all under EVM: that is the control.  Also an HMAC (0x02, which x509 mode
# cannot check: invalid-HMAC) and a portable signature by a key the _evm
# keyring lacks (invalid-fail-immutable).  `ostree-ima appraise --dir
# --evm` predicts every program's verdict before the boot; any
# disagreement with the kernel fails.
. "$(dirname "$0")/lib-kernel.sh"
kt_init "EVM: portable EVM signatures from ostree-ima sign --evm run under EVM x509 mode"

kt_keygen_rsa rsa
kt_keygen_rsa stranger
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
"$OSTREE_IMA" sign --repo="$KT_REPO" --key "$(kt_key stranger)" --cert "$(kt_cert stranger)" --evm \
	src evm-stranger >/dev/null || kt_die "ostree-ima sign --evm with the stranger key failed"
kt_checkout evm-stranger stranger
kt_checkout evm evm
kt_checkout imaonly ima
kt_checkout src plain
# A copy whose mode changed after signing (cp drops security.evm: set it).
cp -a --preserve=xattr "$KT_IMGROOT/evm/usr/bin/good" "$KT_IMGROOT/evm/usr/bin/moded"
setfattr -n security.evm -v "0x$(getfattr -h --absolute-names -n security.evm -e hex \
	"$KT_IMGROOT/evm/usr/bin/good" | sed -n 's/^security.evm=0x//p')" "$KT_IMGROOT/evm/usr/bin/moded"
chmod 0700 "$KT_IMGROOT/evm/usr/bin/moded"
cp -a --preserve=xattr "$KT_IMGROOT/evm/usr/bin/good" "$KT_IMGROOT/evm/usr/bin/hmac"
setfattr -n security.evm -v "0x02$(printf '%040d' 0)" "$KT_IMGROOT/evm/usr/bin/hmac"
x=$(getfattr -h --absolute-names -n security.evm -e hex "$KT_IMGROOT/evm/usr/bin/good" | sed -n 's/^security.evm=0x//p')
[ "${x:0:4}" = 0502 ] || kt_die "sign --evm wrote no portable EVM signature: ${x:0:16}"
x=$(kt_ima_xattr "$KT_IMGROOT/evm/usr/bin/hashed")
[ "${x:0:4}" = 0404 ] || kt_die "--hash-only wrote no hash: ${x:0:16}"

policy='appraise func=BPRM_CHECK fsuuid=@UUID@ appraise_type=imasig'
kt_guest_policy "$policy"
kt_guest_ima_cert rsa
kt_guest_evm_cert rsa
KT_EVM_MODE=2
programs="evm/usr/bin/good evm/usr/bin/setuid evm/usr/bin/capped evm/usr/bin/hashed
evm/usr/bin/moded evm/usr/bin/hmac ima/usr/bin/good plain/usr/bin/good stranger/usr/bin/good"
for p in $programs; do kt_guest_program "${p%%/*}-${p##*/}" "$p"; done
# The simulator's prediction, same policy (fsuuid= left to match the image).
series=${KT_KERNEL_SERIES:-$(basename "$KT_KERNEL_DIR" | sed -E 's/^linux-image-([0-9]+\.[0-9]+).*/\1/')}
"$OSTREE_IMA" appraise --dir="$KT_IMGROOT" --cert "$(kt_cert rsa)" --evm \
	--policy <(echo "${policy/ fsuuid=@UUID@/}") --kernel "$series" --fsmagic ext4 --json \
	>"$KT_TMP/predict.json" 2>"$KT_TMP/predict.err" || true
[ -s "$KT_TMP/predict.json" ] || kt_die "ostree-ima appraise --evm: $(cat "$KT_TMP/predict.err")"
kt_boot

kt_expect_ran evm-good
kt_expect_ran evm-setuid
kt_expect_ran evm-capped
kt_expect_ran evm-hashed
kt_expect_denied evm-moded invalid-fail-immutable
kt_expect_denied ima-good missing-HMAC
kt_expect_denied plain-good IMA-signature-required
kt_expect_denied evm-hmac invalid-HMAC
kt_expect_denied stranger-good invalid-fail-immutable

# Kernel and simulator agree on every program (BPRM_CHECK is the only hook
# the policy appraises).
for p in $programs; do
	name="${p%%/*}-${p##*/}"
	want=$(kt_sim_cause "$KT_TMP/predict.json" "/$p" BPRM_CHECK)
	got=$(kt_result "$name")
	[ "$got" = denied ] && got=$(kt_cause "$name")
	if [ "$want" = "$got" ]; then
		kt_pass "simulator: $p: kernel and simulator say $got"
	else
		kt_fail "simulator: $p: the simulator predicted '$want', the kernel did '$got'"
	fi
done
kt_finish
