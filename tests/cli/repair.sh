#!/bin/bash
# Commits written by other tools: bootc's ima-sign stores security.ima with
# a name lacking its trailing NUL, which stock `ostree checkout` refuses
# (fsetxattr: ERANGE).  `verify` and `inspect` flag such objects;
# `sign --repair` (and plain `sign`, for already signed files) re-encodes
# them keeping each signature byte for byte, and stock checkout and fsck
# then accept the commit.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import gi; gi.require_version("OSTree", "1.0")' 2>/dev/null ||
  skip "needs python3-gi and gir1.2-ostree-1.0"

gen_key rsa2048 key
mkdir -p tree/usr/bin
printf '#!/bin/sh\necho tool\n' > tree/usr/bin/tool
printf 'other\n' > tree/usr/bin/other
make_repo archive repo  # xattrs stored as data: a bare repo cannot even hold such a name
src=$(commit_tree repo src tree)
run_ok sign oima sign --repo=repo --key key.key.pem "$src" good
sig=$(ostree_xattr_hex repo good /usr/bin/tool)

bad=$(/usr/bin/python3 "$(dirname "$0")/bootc-encoding.py" repo bootc tree /usr/bin/tool "$sig")
# The fixture reproduces the bug: stock checkout fails.
rc=0
ostree --repo=repo checkout "$bad" co-bad >checkout.out 2>&1 || rc=$?
[ "$rc" != 0 ] || fatal "fixture: stock checkout of the bootc-style commit must fail"

# verify and inspect name the file and the encoding.
run_fail verify-bad oima verify --repo=repo --cert key.cert.pem bootc
assert_file_has_content "$TEST_TMPDIR/verify-bad.out" '/usr/bin/tool: bad-encoding: xattr name "security.ima" is not a NUL-terminated string'
run_fail inspect-bad oima inspect --repo=repo bootc
assert_file_has_content "$TEST_TMPDIR/inspect-bad.out" '/usr/bin/tool: xattr name "security.ima" is not a NUL-terminated string'
assert_error_matches inspect-bad '1 files carry xattr lists ostree cannot check out'

# --repair: no key, values kept byte for byte.
run_ok repair oima sign --repo=repo --repair bootc repaired
assert_file_has_content "$TEST_TMPDIR/repair.out" 'Re-encoded the xattrs of 1 of 2 content objects'
assert_streq "$(ostree_xattr_hex repo repaired /usr/bin/tool)" "$sig" "repair must keep the signature"
run_ok verify-repaired oima verify --repo=repo --cert key.cert.pem --include /usr/bin/tool repaired
ostree --repo=repo checkout repaired co-repaired
evmctl_verify co-repaired/usr/bin/tool key.cert.der
ostree --repo=repo fsck -q >/dev/null

# Plain sign keeps the (valid) signature and re-encodes, signing the rest.
run_ok resign oima sign --repo=repo --key key.key.pem bootc resigned
assert_file_has_content "$TEST_TMPDIR/resign.out" 'Re-encoded the xattrs of 1 already signed objects'
assert_streq "$(ostree_xattr_hex repo resigned /usr/bin/tool)" "$sig" "sign must keep the signature"
run_ok verify-resigned oima verify --repo=repo --cert key.cert.pem resigned

# --repair takes no key.
state=$(repo_state repo)
run_fail repair-key oima sign --repo=repo --repair --key key.key.pem bootc x
assert_error_matches repair-key '--repair signs nothing'
assert_ref_unchanged repo "$state"
echo "PASS: $TEST_NAME"
