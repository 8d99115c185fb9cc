#!/bin/bash
# --hash-only[=GLOB]: security.ima type 0x04 (a hash, no signature) for the
# selected files, byte-identical to `evmctl ima_hash`, for policies that
# appraise mutable files by hash; the rest is signed.  Also through
# `ostree commit --ima-sign --ima-hash-only` when the patched ostree is built.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

gen_key rsa2048 key
src=$(fixture_commit bare)

check_hashes() {  # REF ALG GLOB-REGEX: files matching carry evmctl's hash, others a signature
  local ref=$1 alg=$2 re=$3 p n=0
  checkout_rev repo "$ref" "co-$ref"
  while IFS= read -r p; do
    local got want
    got=$(ima_hex "co-$ref$p")
    if [[ $p =~ $re ]]; then
      cp "co-$ref$p" cmp-file
      setfattr -x security.ima cmp-file 2>/dev/null || true
      evmctl ima_hash -a "$alg" cmp-file >/dev/null 2>&1 || fatal "evmctl ima_hash"
      want=$(ima_hex cmp-file)
      assert_streq "$got" "$want" "$ref $p: hash must equal evmctl ima_hash -a $alg"
      n=$((n + 1))
    else
      assert_streq "$(sig_type "$got")" 03 "$ref $p: must be signed"
    fi
  done < <(ostree_regular_files repo "$ref")
  [ "$n" -gt 0 ] || fatal "$ref: no hash-only file checked"
  info "$ref: $n hash values byte-identical to evmctl ($alg)"
}

for alg in sha256 sha512; do
  run_ok "etc-$alg" oima sign --repo=repo --key key.key.pem --hash "$alg" --hash-only='/etc/*' "$src" "etc-$alg"
  assert_file_has_content "$TEST_TMPDIR/etc-$alg.out" 'Wrote a hash, not a signature, for'
  check_hashes "etc-$alg" "$alg" '^/etc/'
done
run_ok all oima sign --repo=repo --key key.key.pem --hash-only "$src" all
check_hashes all sha256 '.'
run_ok sha1 oima sign --repo=repo --key key.key.pem --hash sha1 --allow-weak-hash --hash-only "$src" sha1
check_hashes sha1 sha1 '.'

# verify calls them what they are.
run_fail verify-etc oima verify --repo=repo --cert key.cert.pem etc-sha256
assert_file_has_content "$TEST_TMPDIR/verify-etc.out" '/etc/conf: digest-only'
run_ok verify-signed oima verify --repo=repo --cert key.cert.pem --exclude '/etc/*' etc-sha256

# Bad input: a broken glob, nothing written.
state=$(repo_state repo)
run_fail badglob oima sign --repo=repo --key key.key.pem --hash-only='etc/*' "$src" x
assert_error_matches badglob "glob 'etc/\\*' is not an absolute path"
assert_ref_unchanged repo "$state"

P=${OSTREE_IMA_PATCHED_OSTREE:-}
if patched_ostree_with_plugin; then
  OSTREE_PLUGIN_PATH="$OSTREE_IMA_PLUGIN_DIR" LD_LIBRARY_PATH="$P/lib" "$P/bin/ostree" \
    commit --repo=repo -b inline --tree=dir=tree --ima-sign --ima-key=key.key.pem \
    --ima-hash-only='/etc/*' >/dev/null
  check_hashes inline sha256 '^/etc/'
else
  info "patched ostree with a usable plugin not here: commit --ima-hash-only not tested in this run"
fi
echo "PASS: $TEST_NAME"
