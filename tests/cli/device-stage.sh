#!/bin/bash
# `ostree admin deploy --stage` with the ima plugin's deploy hook, on a
# booted system as ostree sees one: in a private mount namespace the
# deployment is bind-mounted as the root of a chroot (stat("/") is the
# deployment's directory, which is how libostree finds the booted
# deployment), the physical sysroot on /sysroot, its /boot on /boot,
# /run/ostree-booted present; the host's /usr is mounted over the
# deployment's to run the patched ostree (copied into /tmp with this
# tree's plugin).  The device's /etc/ostree/ima.conf is the booted
# deployment's (enforce).
#
# Staging only checks the tree out and writes /run/ostree/staged-deployment;
# the deploy hook runs when the deployment is finalized (`ostree admin
# finalize-staged`, run by ostree-finalize-staged.service at shutdown),
# because that is when /etc is merged.  A staged commit with an unsigned
# executable is refused there: finalize-staged fails with the hook's
# message, which is kept in /boot/ostree/finalize-failure.stamp for the
# next boot (ostree-boot-complete.service reports it), the staged
# deployment's directory and origin are gone, and the bootloader still
# boots the current deployment.  A fully signed commit stages and
# finalizes into the new default.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init
patched_ostree_with_plugin || skip "needs the patched ostree and this tree's ima plugin"
require_cmd unshare chroot mount

gen_key rsa2048 vendor
device_os_tree tree sh ls cat
# What a booted deployment has at its root: mount points, the /ostree
# link into the physical sysroot, merged /usr links.
mkdir -p tree/{sysroot,boot,proc,dev,run,tmp,var} tree/usr/etc/ostree tree/usr/etc/keys/ima tree/usr/etc/ima
ln -s sysroot/ostree tree/ostree
for d in bin sbin lib lib64; do ln -s usr/$d tree/$d; done
cp vendor.cert.der tree/usr/etc/keys/ima/
printf 'appraise func=BPRM_CHECK appraise_type=imasig\n' > tree/usr/etc/ima/ima-policy
printf '[policy]\nfile=/etc/ima/ima-policy\nkernel=6.1\n[deploy]\nmode=enforce\n' > tree/usr/etc/ostree/ima.conf

make_repo archive build
src=$(commit_tree build src tree)
run_ok sign-good oima sign --repo=build --key vendor.key.pem "$src" testos/good
echo v2 > tree/usr/etc/version
src2=$(commit_tree build src2 tree)
run_ok sign-next oima sign --repo=build --key vendor.key.pem "$src2" testos/next
run_ok sign-partial oima sign --repo=build --key vendor.key.pem --exclude /usr/bin/ls "$src2" testos/partial
next=$(ostree --repo=build rev-parse testos/next)
partial=$(ostree --repo=build rev-parse testos/partial)

device_sysroot sysroot testos
# (the device config is the booted deployment's /etc, below)
rm -rf sysroot/etc/ostree sysroot/etc/keys sysroot/etc/ima
repo=sysroot/ostree/repo
# The host's view of this sysroot has no /etc/ostree/ima.conf and no
# /etc/keys/ima: not set up for IMA, so the hooks leave it alone (even the
# commit with an unsigned executable is pulled, without a word).
for r in good next partial; do
  run_ok pull-$r iostree --repo=$repo pull-local build testos/$r
  assert_not_file_has_content "$TEST_TMPDIR/pull-$r.err" 'ima'
done
run_ok deploy-good iostree admin deploy --sysroot=sysroot --os=testos --karg-none testos/good
booted=sysroot/ostree/deploy/testos/deploy/$(iostree admin --sysroot=sysroot status | awk '/testos/ {print $2; exit}')
[ -f "$booted/etc/ostree/ima.conf" ] || fatal "the deployment has no /etc/ostree/ima.conf"

# booted CMD...: CMD in the chroot that looks booted into $booted.  (A PID
# namespace too: ostree reads /proc/1/ns/mnt, which needs ptrace rights
# over PID 1 that a container may not give.)
prefix=$OSTREE_IMA_PATCHED_OSTREE
booted() {
  unshare -m -p -f --propagation private bash -euc '
    new=$1 dep=$2 sysroot=$3 prefix=$4 plugins=$5
    shift 5
    mount --bind "$dep" "$new"
    mount --bind "$sysroot" "$new/sysroot"
    mount --bind "$sysroot/boot" "$new/boot"
    mount --bind /usr "$new/usr"
    mount --rbind /dev "$new/dev"
    mount -t proc proc "$new/proc"
    for d in run tmp var; do mount -t tmpfs tmpfs "$new/$d"; done
    touch "$new/run/ostree-booted"
    cp -a "$prefix" "$new/tmp/ostree"
    mkdir "$new/tmp/plugins"
    cp "$plugins/ostree-ima-plugin.so" "$new/tmp/plugins/"
    # /run/ostree (the staged deployment) lives on between the calls.
    [ ! -d "$TEST_TMPDIR/run-ostree" ] || cp -a "$TEST_TMPDIR/run-ostree" "$new/run/ostree"
    rc=0
    chroot "$new" env LD_LIBRARY_PATH=/tmp/ostree/lib OSTREE_PLUGIN_PATH=/tmp/plugins \
      /tmp/ostree/bin/ostree "$@" || rc=$?
    rm -rf "$TEST_TMPDIR/run-ostree"
    [ ! -d "$new/run/ostree" ] || cp -a "$new/run/ostree" "$TEST_TMPDIR/run-ostree"
    exit $rc
  ' booted "$TEST_TMPDIR/newroot" "$TEST_TMPDIR/$booted" "$TEST_TMPDIR/sysroot" "$prefix" \
    "$OSTREE_IMA_PLUGIN_DIR" "$@"
}
mkdir newroot
export TEST_TMPDIR

run_ok status-booted booted admin status
assert_file_has_content "$TEST_TMPDIR/status-booted.out" '^\* testos '
entries() { (cd sysroot/boot/loader/entries && cat ./*.conf); }
status=$(iostree admin status --sysroot=sysroot)
loader=$(entries)

# --- an unsigned executable: staged, then refused at finalization
run_ok stage-partial booted admin deploy --stage --os=testos --karg-none "$partial"
assert_has_file "$TEST_TMPDIR/run-ostree/staged-deployment"
ls -d sysroot/ostree/deploy/testos/deploy/"$partial".* >/dev/null 2>&1 ||
  fatal "staging wrote no deployment directory"
run_ok status-staged booted admin status
assert_file_has_content "$TEST_TMPDIR/status-staged.out" "testos $partial.*(staged)"
run_fail finalize-partial booted admin finalize-staged
assert_error_matches finalize-partial "ima: refusing deployment of .*/usr/bin/ls \(BPRM_CHECK: IMA-signature-required\)"
assert_file_has_content sysroot/boot/ostree/finalize-failure.stamp '/usr/bin/ls \(BPRM_CHECK: IMA-signature-required\)'
assert_not_has_file "$TEST_TMPDIR/run-ostree/staged-deployment"
if ls -d sysroot/ostree/deploy/testos/deploy/"$partial".* >/dev/null 2>&1; then
  fatal "the refused staged deployment was left behind: $(ls sysroot/ostree/deploy/testos/deploy)"
fi
assert_streq "$(iostree admin status --sysroot=sysroot)" "$status" "a refused finalization changed the deployments"
assert_streq "$(entries)" "$loader" "a refused finalization changed the bootloader entries"
rm sysroot/boot/ostree/finalize-failure.stamp

# --- a fully signed update: staged, finalized, the new default
run_ok stage-next booted admin deploy --stage --os=testos --karg-none "$next"
run_ok finalize-next booted admin finalize-staged
assert_not_has_file sysroot/boot/ostree/finalize-failure.stamp
first=$(iostree admin status --sysroot=sysroot | awk '/testos/ {print $2; exit}')
case $first in "$next".*) ;; *) fatal "after finalization the default deployment is $first, not $next" ;; esac
assert_file_has_content "sysroot/ostree/deploy/testos/deploy/$first/etc/version" v2
iostree --repo=$repo fsck -q >/dev/null
echo "PASS: $TEST_NAME"
