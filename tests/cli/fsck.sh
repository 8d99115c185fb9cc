#!/bin/bash
# `ostree-ima fsck` on a bare repo: an inode-bound security.evm (0x02 HMAC,
# 0x03 signature) added to an object is not corruption (stock ostree fsck
# says it is), a portable one (0x05) and everything else is part of the
# object; with --cert, tampered content is named and fails, unsigned files
# are reported.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

gen_key rsa2048 key
gen_key rsa2048 other
src=$(fixture_commit bare)
run_ok sign oima sign --repo=repo --key key.key.pem --exclude '/etc/*' "$src" signed

obj() {  # REV PATH: the object file of PATH in REV
  local c
  c=$(ostree_content_checksum repo "$1" "$2")
  echo "repo/objects/${c:0:2}/${c:2}.file"
}

# Clean repo: both fscks pass; with the cert, unsigned /etc files are
# reported but are not a failure.
run_ok clean oima fsck --repo=repo --cert key.cert.pem
assert_file_has_content "$TEST_TMPDIR/clean.out" ' 0 corrupt, 0 inode-bound security.evm ignored'
assert_file_has_content "$TEST_TMPDIR/clean.out" 'Signatures of regular files: .* valid, .* unsigned'
ostree --repo=repo fsck -q >/dev/null

# An HMAC and a non-portable signature on objects, as the kernel or an
# admin writes them on a deployed file (a hardlink to the object).
tool=$(obj signed /usr/bin/tool)
lib=$(obj signed /usr/lib/libfoo.so.1)
setfattr -n security.evm -v 0x02$(printf '%040d' 7) "$tool"
setfattr -n security.evm -v 0x030204aabbccdd0002beef "$lib"
rc=0
ostree --repo=repo fsck -q >stock.out 2>&1 || rc=$?
[ "$rc" != 0 ] || fatal "stock ostree fsck must call the inode-bound security.evm corruption"
run_ok evm oima fsck --repo=repo --cert key.cert.pem
assert_file_has_content "$TEST_TMPDIR/evm.out" ' 0 corrupt, 2 inode-bound security.evm ignored'
assert_file_has_content "$TEST_TMPDIR/evm.out" "$(basename "$tool" .file).file: inode-bound security.evm ignored"

# A portable EVM signature (0x05) is part of the object: adding one changes
# the object, so it is corruption.
conf=$(obj signed /usr/lib/empty)
setfattr -n security.evm -v 0x050204aabbccdd0002beef "$conf"
run_fail portable oima fsck --repo=repo
assert_error_matches portable '1 corrupt objects'
assert_file_has_content "$TEST_TMPDIR/portable.out" "$(basename "$conf" .file).file: corrupt: checksum"
setfattr -x security.evm "$conf"

# Changed content: corrupt, and with the cert also a bad signature.
chmod u+w "$tool"
printf 'x' >>"$tool"
run_fail tampered oima fsck --repo=repo --cert key.cert.pem
assert_error_matches tampered '1 corrupt objects, 1 files whose signature or hash does not match'
assert_file_has_content "$TEST_TMPDIR/tampered.out" 'bad-signature'

# An untrusted certificate: unknown keys are reported, not a failure by
# themselves (fsck is about integrity).
truncate -s -1 "$tool"
run_ok unknown oima fsck --repo=repo --cert other.cert.pem
assert_file_has_content "$TEST_TMPDIR/unknown.out" 'unknown-key'

# Bad input: one line, nothing written.
state=$(repo_state repo)
run_fail norepo oima fsck
assert_error_matches norepo '--repo=PATH is required'
run_fail nocert oima fsck --repo=repo --cert "$TEST_TMPDIR/no-such-cert"
assert_error_matches nocert 'no-such-cert'
run_fail extra oima fsck --repo=repo extra-arg
assert_error_matches extra "unexpected argument 'extra-arg'"
assert_ref_unchanged repo "$state"
echo "PASS: $TEST_NAME"
