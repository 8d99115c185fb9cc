#!/bin/bash
# Bad input to the ima plugin's pull and deploy hooks, with the patched
# ostree on a real sysroot: a malformed /etc/ostree/ima.conf, a malformed
# IMA policy, a certificate directory that does not exist, and an object
# (pull) or deployed file (deploy) the hook cannot read.  Each gives one
# `error:` line naming the file (and line) or the object's path, and
# nothing is pulled (no ref, no object file, no staging left behind) or
# deployed (`ostree admin status` and the deploy directory unchanged).
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init
patched_ostree_with_plugin || skip "needs the patched ostree and this tree's ima plugin"
[ -f "${OIMA_FAULT_OPEN:-}" ] || skip "OIMA_FAULT_OPEN does not name the fault-open shim (meson sets it)"

gen_key rsa2048 vendor
device_os_tree tree sh ls cat
make_repo archive build
src=$(commit_tree build src tree)
run_ok sign-good oima sign --repo=build --key vendor.key.pem "$src" testos/good
echo v2 > tree/usr/bin/update-note
src2=$(commit_tree build src2 tree)
run_ok sign-next oima sign --repo=build --key vendor.key.pem "$src2" testos/next

device_sysroot sysroot testos
repo=sysroot/ostree/repo
iostree --repo=$repo remote add --no-gpg-verify origin "file://$TEST_TMPDIR/build"
cp vendor.cert.der sysroot/etc/keys/ima/
printf 'appraise func=BPRM_CHECK appraise_type=imasig\n' > sysroot/etc/ima/ima-policy
good_conf() {
  printf '[policy]\nfile=/etc/ima/ima-policy\nkernel=6.1\n[pull]\nmode=enforce\n[deploy]\nmode=enforce\n' \
    > sysroot/etc/ostree/ima.conf
}
good_conf
run_ok pull-good iostree --repo=$repo pull origin testos/good
run_ok deploy-good iostree admin deploy --sysroot=sysroot --os=testos --karg-none origin:testos/good

# The state a refused pull or deploy must leave as it was.
state() {
  echo "objects: $(repo_objects_state $repo)"
  echo "staging: $(find $repo/tmp -maxdepth 1 -name 'staging-*' | wc -l)"
  iostree admin status --sysroot=sysroot
  ls sysroot/ostree/deploy/testos/deploy
}
before=$(state)
unchanged() { assert_streq "$(state)" "$before" "$1 changed the repository or the deployments"; }

# The two operations the hooks guard: a pull of the update testos/next,
# and a deploy of the good commit (already pulled).
pull_next() { iostree --repo=$repo pull origin testos/next; }
deploy_good() { iostree admin deploy --sysroot=sysroot --os=testos --karg-none origin:testos/good; }
# expect_refused LABEL REGEX OPERATION [VAR=VALUE...]: OPERATION, run with
# those variables set, fails with one error line matching REGEX and
# leaves the state as it was.
expect_refused() {
  local label=$1 re=$2 op=$3
  shift 3
  run_fail "$label" env "$@" bash -c "repo=$repo; $(declare -f iostree "$op"); $op"
  assert_error_matches "$label" "$re"
  unchanged "$label"
}

# --- a malformed configuration: file, line and key
printf '[pull]\nmode=enforce\n[deploy]\nmode=enforcing\n' > sysroot/etc/ostree/ima.conf
expect_refused conf-pull 'ima.conf:4: \[deploy\] mode: invalid value "enforcing"' pull_next
expect_refused conf-deploy 'ima.conf:4: \[deploy\] mode: invalid value "enforcing"' deploy_good
printf '[trust]\ncerts=/etc/keys/ima\n[policy\n' > sysroot/etc/ostree/ima.conf
expect_refused conf-syntax-pull 'ima.conf' pull_next
expect_refused conf-syntax-deploy 'ima.conf' deploy_good

# --- a malformed policy: the policy file, its line and column
good_conf
printf 'appraise func=BPRM_CHECK appraise_type=imasig\nappraise func=NOPE_CHECK\n' > sysroot/etc/ima/ima-policy
expect_refused policy-pull '/etc/ima/ima-policy: line 2.*NOPE_CHECK' pull_next
expect_refused policy-deploy '/etc/ima/ima-policy: line 2.*NOPE_CHECK' deploy_good
rm sysroot/etc/ima/ima-policy
expect_refused policy-missing-pull '/etc/ima/ima-policy' pull_next
expect_refused policy-missing-deploy '/etc/ima/ima-policy' deploy_good
printf 'appraise func=BPRM_CHECK appraise_type=imasig\n' > sysroot/etc/ima/ima-policy

# --- a certificate directory that does not exist
printf '[trust]\ncerts=/etc/keys/nowhere\n[policy]\nfile=/etc/ima/ima-policy\nkernel=6.1\n[pull]\nmode=enforce\n[deploy]\nmode=enforce\n' \
  > sysroot/etc/ostree/ima.conf
expect_refused certs-pull '/etc/keys/nowhere' pull_next
expect_refused certs-deploy '/etc/keys/nowhere' deploy_good
# ... also in warn mode: the device's trust is unknown, so is every verdict.
sed -i 's/mode=enforce/mode=warn/' sysroot/etc/ostree/ima.conf
expect_refused certs-warn-pull '/etc/keys/nowhere' pull_next
good_conf

# --- an object the pull hook cannot read: the new update-note's content
# object (bare repository: objects/XX/YYY.file) fails to open with EACCES.
obj=$(ostree --repo=build ls -C testos/next /usr/bin/update-note | awk '{print $5}')
objpath=${obj:0:2}/${obj:2}.file
expect_refused unreadable-pull "/usr/bin/update-note.*Permission denied" pull_next \
  LD_PRELOAD="$OIMA_FAULT_OPEN" OIMA_FAULT_EACCES="$objpath"
# --- a deployed file the deploy hook cannot read (its object stays
# readable: the checkout reads it).
expect_refused unreadable-deploy "/usr/bin/ls: Permission denied" deploy_good \
  LD_PRELOAD="$OIMA_FAULT_OPEN" OIMA_FAULT_EACCES="usr/bin/ls"

# And with all of it fixed, both go through.
run_ok pull-next iostree --repo=$repo pull origin testos/next
run_ok deploy-next iostree admin deploy --sysroot=sysroot --os=testos --karg-none origin:testos/next
iostree --repo=$repo fsck -q >/dev/null
echo "PASS: $TEST_NAME"
