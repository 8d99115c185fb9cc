#!/bin/bash
# A read-only repository (read-only bind mount: chmod does not stop root):
# sign exits 1 with one `error: ...` line, nothing changes, and a second
# attempt on the writable path then succeeds (no stale lock / tmp state).
# verify and inspect still work read-only.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init
require_cmd mount umount

gen_key rsa2048 key
src=$(fixture_commit bare)
run_ok presign oima sign --repo=repo --key key.key.pem "$src" signed

mkdir ro
if ! mount --bind repo ro 2>bind.err; then skip "cannot bind mount: $(cat bind.err)"; fi
oima_track_mount "$TEST_TMPDIR/ro"
if ! mount -o remount,bind,ro ro 2>remount.err; then skip "cannot remount read-only: $(cat remount.err)"; fi
if touch ro/probe 2>/dev/null; then rm -f ro/probe; skip "bind mount is not read-only"; fi

state=$(repo_state repo)
run_fail ro-sign oima sign --repo=ro --key key.key.pem "$src" new-target
assert_error_matches ro-sign 'read-only|permission|EROFS|denied|writ'
assert_ref_unchanged repo "$state" "read-only"
run_fail ro-sign-existing oima sign --repo=ro --key key.key.pem "$src" src
assert_ref_unchanged repo "$state" "read-only, existing target"
run_ok ro-verify oima verify --repo=ro --cert key.cert.pem signed
run_ok ro-inspect oima inspect --repo=ro signed /usr/bin/tool

umount "$TEST_TMPDIR/ro"
run_ok rw-sign oima sign --repo=repo --key key.key.pem "$src" new-target
assert_streq "$(content_of repo new-target)" "$(content_of repo signed)" "sign after ro failure"
ostree --repo=repo fsck -q >/dev/null 2>fsck.err || { cat fsck.err >&2; fatal "fsck"; }
echo "PASS: $TEST_NAME"
