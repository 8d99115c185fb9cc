#!/bin/bash
# The device hooks with EVM on ([policy] evm=x509): a commit signed without
# --evm is refused at pull (missing-HMAC) and one signed with --evm is
# pulled and deployed; the /etc story under EVM: a device-changed and a
# device-added /etc file are refused at the next deploy, and with the
# device key the deploy hook signs them with IMA and a portable EVM
# signature that evmctl verifies and `ostree ima appraise --evm` accepts.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init
patched_ostree_with_plugin || skip "needs the patched ostree and this tree's ima plugin"

gen_key rsa2048 vendor
gen_key rsa2048 device
device_os_tree tree sh ls

make_repo archive build
src=$(commit_tree build src tree)
run_ok sign-ima oima sign --repo=build --key vendor.key.pem "$src" testos/ima
run_ok sign-evm oima sign --repo=build --key vendor.key.pem --evm "$src" testos/evm

device_sysroot sysroot testos
repo=sysroot/ostree/repo
cp vendor.cert.der sysroot/etc/keys/ima/
# Executables and root-owned reads need a signature, as appraise_tcb does.
cat > sysroot/etc/ima/ima-policy <<'POL'
appraise func=BPRM_CHECK appraise_type=imasig
appraise func=FILE_CHECK mask=^MAY_READ fowner=0 appraise_type=imasig
POL
conf() {  # [deploy lines]
  printf '[policy]\nfile=/etc/ima/ima-policy\nkernel=6.1\nevm=x509\n[pull]\nmode=enforce\n[deploy]\nmode=enforce\n%s' \
    "${1:-}" > sysroot/etc/ostree/ima.conf
}
conf

# Pull: without --evm every appraised file lacks security.evm.
run_fail pull-ima iostree --repo=$repo pull-local build testos/ima
assert_error_matches pull-ima 'ima: refusing commit .* for testos/ima: 5 of 5 files .* /usr/bin/sh \(BPRM_CHECK: missing-HMAC\)'
assert_streq "$(iostree --repo=$repo refs)" "" "a refused pull must not create the ref"
run_ok pull-evm iostree --repo=$repo pull-local build testos/evm
run_ok deploy-evm iostree admin deploy --sysroot=sysroot --os=testos --karg-none testos/evm

# /etc under EVM: the device changes a file and adds one.
dep=sysroot/ostree/deploy/testos/deploy/$(iostree admin --sysroot=sysroot status | awk '/testos/ {print $2; exit}')
device_change_etc "$dep"
status=$(iostree admin status --sysroot=sysroot)
run_fail etc-refused iostree admin deploy --sysroot=sysroot --os=testos --karg-none testos/evm
assert_error_matches etc-refused '/etc/foo.conf \(FILE_CHECK: IMA-signature-required\)'
# cp keeps security.ima but not security.evm (Debian's /etc/xattr.conf):
# EVM fails first, as in the kernel.
assert_error_matches etc-refused '/etc/hostname \(FILE_CHECK: missing-HMAC\)'
assert_streq "$(iostree admin status --sysroot=sysroot)" "$status" "a refused deploy changed the deployments"

# The device key signs the merged /etc: IMA and a portable EVM signature.
device_install_etc_key sysroot
conf 'etc-signing-key=/etc/keys/ima-device/key.pem
'
run_ok etc-signed iostree admin deploy --sysroot=sysroot --os=testos --karg-none testos/evm
assert_file_has_content "$TEST_TMPDIR/etc-signed.err" 'ima: signed 2 files of the merged /etc with the device key'
newdep=sysroot/ostree/deploy/testos/deploy/$(iostree admin --sysroot=sysroot status | awk '/testos/ {print $2; exit}')
for f in etc/foo.conf etc/hostname; do
  evm=$(getfattr -e hex -n security.evm "$newdep/$f" 2>/dev/null | sed -n 's/^security.evm=0x//p')
  assert_streq "${evm:0:2}" 05 "$f: a portable EVM signature"
  out=$(evmctl verify --key device.cert.der "$newdep/$f" 2>&1) ||
    { echo "$out" >&2; fatal "evmctl verify of the EVM signature of $f"; }
done
assert_streq "$(cat "$newdep/etc/hostname")" device "the merged /etc keeps the device's change"
run_ok etc-appraise oima appraise --sysroot=sysroot --evm
iostree --repo=$repo fsck -q >/dev/null
echo "PASS: $TEST_NAME"
