#!/bin/bash
# Input failures: unknown algorithm, unknown source rev, missing repo, and a
# malformed security.ima on an input object (several shapes).  Each exits 1
# with one `error: ...` line, repo refs/targets/commit objects unchanged and
# the target ref not created.  With --overwrite a malformed value is
# replaced.  Argument: repo mode (bare | bare-user | archive).
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
MODE=${1:-bare}
TEST_NAME="errors-input-$MODE"
cli_test_init

gen_key rsa2048 key
src=$(fixture_commit "$MODE")

expect_fail() {
  local label=$1 re=$2 rev=$3
  shift 3
  local state
  state=$(repo_state repo)
  run_fail "$label" oima sign --repo=repo --key key.key.pem "$@" "$rev" "new-$label"
  assert_error_matches "$label" "$re"
  assert_ref_unchanged repo "$state" "$label"
  if ostree --repo=repo rev-parse "new-$label" >/dev/null 2>&1; then fatal "$label: target ref created"; fi
}

# unknown / unsupported algorithms
expect_fail badalg 'unknown|unsupported|invalid' "$src" --hash sha3-999
assert_error_matches badalg 'sha3-999'
expect_fail badalg2 'unknown|unsupported|invalid' "$src" --hash SHA256x
expect_fail emptyalg 'unknown|unsupported|invalid|empty|hash' "$src" --hash ''
# case: SHA256 may be accepted or refused; record what happens
rc=0
oima sign --repo=repo --key key.key.pem --hash SHA256 "$src" upper >upper.out 2>upper.err || rc=$?
echo "OBSERVED [--hash SHA256] (exit $rc): $(cat upper.err)" >&2

# unknown revs
expect_fail badrev 'not found|no such|does not exist|invalid' no-such-ref
assert_error_matches badrev 'no-such-ref'
expect_fail badrev2 'not found|no such|does not exist|invalid' 0000000000000000000000000000000000000000000000000000000000000000
expect_fail badrev3 'invalid|not found|no such' 'not a valid/ref name!'

# missing repo
run_fail norepo oima sign --repo="$TEST_TMPDIR/no-such-repo" --key key.key.pem "$src" x
assert_error_matches norepo 'no such|not found|does not exist|repo'

# missing arguments
run_fail noargs oima sign --repo=repo --key key.key.pem "$src"
assert_error_matches noargs 'usage|argument|target|expected|missing|ref'
run_fail badjobs oima sign --repo=repo --key key.key.pem --jobs abc "$src" badjobs
assert_error_matches badjobs 'jobs|abc|invalid|integer|number'

# malformed security.ima on an input object
garbage_case() {
  local label=$1 value=$2
  rm -rf "g-$label"
  cp -a tree "g-$label"
  setfattr -n security.ima -v "$value" "g-$label/usr/lib/libfoo.so.1" 2>/dev/null ||
    { info "kernel refuses security.ima=$value here; case skipped"; return 0; }
  local rev
  rev=$(commit_tree repo "garbage-$label" "g-$label")
  expect_fail "garbage-$label" 'security.ima|malformed|invalid|truncated|corrupt|decode|unknown|size|length|short' "$rev"
  # ideally the error names the file
  if ! error_line "garbage-$label" | grep 'libfoo.so.1' >/dev/null; then
    echo "NOTE: garbage-$label: error does not name the file: $(error_line "garbage-$label")" >&2
  fi
  run_ok "garbage-$label-ow" oima sign --repo=repo --key key.key.pem --overwrite "$rev" "fixed-$label"
  assert_sig_v2 "$(ostree_xattr_hex repo "fixed-$label" /usr/lib/libfoo.so.1)" sha256 "$(keyid_of key.key.pem)"
}
garbage_case short 0x0304ff                                  # header truncated
garbage_case sizemismatch 0x030204aabbccdd0100deadbeef       # sig_size 256, 4 bytes
garbage_case badtype 0x09020400000000000100                  # unknown type
garbage_case badversion 0x0307040000000000020102             # version 7
garbage_case badalgo 0x0302ee000000000002aabb                # algorithm 0xee
garbage_case digest-short 0x0404aabb                         # digest too short for sha256

# A file in the source commit keeps the failing path unsigned: the source
# commit must be untouched after all this.
assert_streq "$(ostree --repo=repo rev-parse src)" "$src" "source ref"
ostree --repo=repo fsck -q >/dev/null 2>fsck.err || { cat fsck.err >&2; fatal "fsck"; }
echo "PASS: $TEST_NAME"
