#!/bin/bash
# The ima plugin's pull and deploy hooks on a real sysroot, with the
# patched ostree: `ostree pull` over HTTP (127.0.0.1) into the sysroot's
# repository, `ostree admin deploy` and `ostree admin upgrade`, under [pull]/[deploy] mode=enforce,
# warn and off, with commits fully signed, with one unsigned executable,
# and signed by a key the device does not trust; then the /etc story: a
# device-changed and a device-added /etc file are refused at the next
# deploy under an appraise_tcb-like policy, unless the device key signs
# them, after which `ostree ima appraise` agrees.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init
patched_ostree_with_plugin || skip "needs the patched ostree and this tree's ima plugin"

gen_key rsa2048 vendor
gen_key rsa2048 stranger
gen_key rsa2048 device
device_os_tree tree sh ls cat
setfattr -n user.vendor -v build tree/usr/bin/cat   # for [deploy] strip-xattrs

# The vendor's build repository, served over HTTP.
make_repo archive build
src=$(commit_tree build src tree)
run_ok sign-good oima sign --repo=build --key vendor.key.pem "$src" testos/good
run_ok sign-partial oima sign --repo=build --key vendor.key.pem --exclude /usr/bin/ls "$src" testos/partial
run_ok sign-stranger oima sign --repo=build --key stranger.key.pem "$src" testos/stranger
oima_serve_http "$TEST_TMPDIR"

# The device.
device_sysroot sysroot testos
repo=sysroot/ostree/repo
iostree --repo=$repo remote add --no-gpg-verify origin "http://127.0.0.1:$HTTP_PORT/build"
cp vendor.cert.der sysroot/etc/keys/ima/
cat > sysroot/etc/ima/ima-policy <<'POL'
appraise func=BPRM_CHECK appraise_type=imasig
appraise func=MMAP_CHECK mask=MAY_EXEC appraise_type=imasig
POL
conf() {  # PULL-MODE DEPLOY-MODE [extra lines]
  printf '[policy]\nfile=/etc/ima/ima-policy\nkernel=6.1\n[pull]\nmode=%s\n[deploy]\nmode=%s\n%s' \
    "$1" "$2" "${3:-}" > sysroot/etc/ostree/ima.conf
}
refstate() { iostree --repo=$repo refs origin: 2>/dev/null | sort | while read -r r; do echo "$r $(iostree --repo=$repo rev-parse "$r")"; done; }

# --- pull, enforce
conf enforce enforce
run_ok pull-good iostree --repo=$repo pull origin testos/good
before=$(refstate)
run_fail pull-partial iostree --repo=$repo pull origin testos/partial
assert_error_matches pull-partial 'ima: refusing commit .* for testos/partial: 1 of 6 files would be denied by the device.s kernel: /usr/bin/ls \(BPRM_CHECK: IMA-signature-required\)'
run_fail pull-stranger iostree --repo=$repo pull origin testos/stranger
assert_error_matches pull-stranger 'invalid-signature'
assert_streq "$(refstate)" "$before" "refused pulls must not move refs"
# Repositories that are not a sysroot's are left alone, unless
# $OSTREE_IMA_CONF names a configuration (its paths resolved inside /).
make_repo archive plain
run_ok plain-pull iostree --repo=plain pull-local build testos/partial
printf '[trust]\ncerts=%s\n[pull]\nmode=enforce\n' "$TEST_TMPDIR/vendor.cert.der" > plain.conf
make_repo archive plain2
OSTREE_IMA_CONF=$TEST_TMPDIR/plain.conf run_fail plain-conf iostree --repo=plain2 pull-local build testos/partial
assert_error_matches plain-conf 'ima: refusing commit .* /usr/bin/ls \(IMA-signature-required\) \(no policy: every file must be signed'
assert_streq "$(iostree --repo=plain2 refs)" "" "a refused pull into a configured repository created a ref"
# --- warn: pulled, with the summary on stderr
conf warn enforce
run_ok pull-warn iostree --repo=$repo pull origin testos/partial
assert_file_has_content "$TEST_TMPDIR/pull-warn.err" 'ima: warning: commit .* /usr/bin/ls \(BPRM_CHECK: IMA-signature-required\)'
# --- off: silent
conf off enforce
run_ok pull-off iostree --repo=$repo pull origin testos/stranger
assert_not_file_has_content "$TEST_TMPDIR/pull-off.err" 'ima:'
# A broken configuration: nothing pulled, one line.
printf '[pull]\nmode=enforcing\n' > sysroot/etc/ostree/ima.conf
iostree --repo=build commit -b testos/next --tree=dir=tree -s next >/dev/null
run_fail pull-badconf iostree --repo=$repo pull origin testos/next
assert_error_matches pull-badconf 'ima.conf:2: \[pull\] mode: invalid value "enforcing"'
iostree --repo=$repo rev-parse origin:testos/next >/dev/null 2>&1 && fatal "a pull with a broken configuration moved a ref"

# --- deploy, enforce: only the fully signed commit
conf enforce enforce
run_ok deploy-good iostree admin deploy --sysroot=sysroot --os=testos --karg-none origin:testos/good
status=$(iostree admin status --sysroot=sysroot)
run_fail deploy-partial iostree admin deploy --sysroot=sysroot --os=testos --karg-none origin:testos/partial
assert_error_matches deploy-partial 'ima: refusing deployment of .*/usr/bin/ls \(BPRM_CHECK: IMA-signature-required\)'
run_fail deploy-stranger iostree admin deploy --sysroot=sysroot --os=testos --karg-none origin:testos/stranger
assert_streq "$(iostree admin status --sysroot=sysroot)" "$status" "a refused deploy changed the deployments"
# `ostree admin upgrade`: the vendor publishes an update with an unsigned
# executable: the pull hook refuses it and nothing changes; a fully signed
# update is pulled and deployed.
echo update > tree/usr/bin/update-note
src2=$(commit_tree build src2 tree)
run_ok sign-update-partial oima sign --repo=build --key vendor.key.pem --exclude /usr/bin/ls "$src2" testos/good
good_before=$(iostree --repo=$repo rev-parse origin:testos/good)
run_fail upgrade-partial iostree admin upgrade --sysroot=sysroot --os=testos
assert_error_matches upgrade-partial 'ima: refusing commit .* for testos/good: .*/usr/bin/ls \(BPRM_CHECK: IMA-signature-required\)'
assert_streq "$(iostree --repo=$repo rev-parse origin:testos/good)" "$good_before" "a refused upgrade moved the ref"
assert_streq "$(iostree admin status --sysroot=sysroot)" "$status" "a refused upgrade changed the deployments"
run_ok sign-update oima sign --repo=build --key vendor.key.pem --overwrite "$src2" testos/good
run_ok upgrade iostree admin upgrade --sysroot=sysroot --os=testos
new_good=$(iostree --repo=build rev-parse testos/good)
iostree admin status --sysroot=sysroot | grep -q "$new_good" || fatal "admin upgrade did not deploy $new_good"
status=$(iostree admin status --sysroot=sysroot)
# [deploy] strip-xattrs: gone from the deployed copy, kept in the repository.
conf enforce enforce 'strip-xattrs=user.vendor
'
run_ok deploy-strip iostree admin deploy --sysroot=sysroot --os=testos --karg-none origin:testos/good
dep=sysroot/ostree/deploy/testos/deploy/$(iostree admin --sysroot=sysroot status | awk '/testos/ {print $2; exit}')
getfattr -n user.vendor "$dep/usr/bin/cat" >/dev/null 2>&1 && fatal "strip-xattrs left user.vendor on the deployed cat"
[ -n "$(ima_hex "$dep/usr/bin/cat")" ] || fatal "strip-xattrs removed security.ima too"
iostree --repo=$repo ls -X origin:testos/good /usr/bin/cat | grep -q user.vendor ||
  fatal "strip-xattrs changed the repository object"
iostree --repo=$repo fsck -q >/dev/null
# ... but not in a composefs deployment (a .ostree.cfs image next to the
# checkout): there /usr is served from the image, which holds the
# commit's xattrs, so the hook refuses rather than pretend.
cp -a tree tree-cfs
echo image > tree-cfs/.ostree.cfs
src_cfs=$(commit_tree build src-cfs tree-cfs)
run_ok sign-cfs oima sign --repo=build --key vendor.key.pem "$src_cfs" testos/cfs
run_ok pull-cfs iostree --repo=$repo pull origin testos/cfs
status=$(iostree admin status --sysroot=sysroot)
run_fail deploy-cfs iostree admin deploy --sysroot=sysroot --os=testos --karg-none origin:testos/cfs
assert_error_matches deploy-cfs '/usr/bin/cat: cannot remove user\.vendor from a composefs deployment'
assert_streq "$(iostree admin status --sysroot=sysroot)" "$status" "a refused composefs deploy changed the deployments"
status=$(iostree admin status --sysroot=sysroot)
# warn deploys and reports; off is silent
conf enforce warn
run_ok deploy-warn iostree admin deploy --sysroot=sysroot --os=testos --karg-none origin:testos/partial
assert_file_has_content "$TEST_TMPDIR/deploy-warn.err" 'ima: warning: deployment of'
conf enforce off
run_ok deploy-off iostree admin deploy --sysroot=sysroot --os=testos --karg-none origin:testos/stranger
assert_not_file_has_content "$TEST_TMPDIR/deploy-off.err" 'ima:'

# --- the /etc story: root-owned files must be signed to be read
cat > sysroot/etc/ima/ima-policy <<'POL'
appraise func=BPRM_CHECK appraise_type=imasig
appraise func=FILE_CHECK mask=^MAY_READ fowner=0 appraise_type=imasig
POL
conf enforce enforce
run_ok etc-base iostree admin deploy --sysroot=sysroot --os=testos --karg-none origin:testos/good
dep=$(ls -d sysroot/ostree/deploy/testos/deploy/*.? | sort -t. -k2 -n | tail -1)
dep=$(iostree admin --sysroot=sysroot status | awk '/testos/ {print $2; exit}')
dep=sysroot/ostree/deploy/testos/deploy/$dep
device_change_etc "$dep"
status=$(iostree admin status --sysroot=sysroot)
run_fail etc-refused iostree admin deploy --sysroot=sysroot --os=testos --karg-none origin:testos/good
assert_error_matches etc-refused '/etc/foo.conf \(FILE_CHECK: IMA-signature-required\)'
assert_error_matches etc-refused '/etc/hostname \(FILE_CHECK: invalid-signature\)'
assert_streq "$(iostree admin status --sysroot=sysroot)" "$status" "a refused /etc deploy changed the deployments"
# With the device's key (its certificate in the device's trust), the
# merged /etc is signed at deploy time.
device_install_etc_key sysroot
conf enforce enforce 'etc-signing-key=/etc/keys/ima-device/key.pem
'
run_ok etc-signed iostree admin deploy --sysroot=sysroot --os=testos --karg-none origin:testos/good
assert_file_has_content "$TEST_TMPDIR/etc-signed.err" 'ima: signed 2 files of the merged /etc with the device key'
run_ok etc-appraise oima appraise --sysroot=sysroot
newdep=sysroot/ostree/deploy/testos/deploy/$(iostree admin --sysroot=sysroot status | awk '/testos/ {print $2; exit}')
assert_streq "$(sig_keyid "$(ima_hex "$newdep/etc/foo.conf")")" "$(keyid_of device.key.pem)" "/etc/foo.conf signed by the device key"
assert_streq "$(cat "$newdep/etc/hostname")" device "the merged /etc keeps the device's change"
# The repository's objects were never touched.
iostree --repo=$repo fsck -q >/dev/null
echo "PASS: $TEST_NAME"
