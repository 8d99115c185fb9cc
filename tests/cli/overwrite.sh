#!/bin/bash
# Existing security.ima values are left alone unless --overwrite:
#  - sign with key A, re-sign with key B: every A signature survives
#  - partly signed with A (/usr/bin only), re-sign all with B: /usr/bin keeps
#    A, everything else gets B
#  - with --overwrite: every file carries B, byte-identical to signing the
#    unsigned source with B directly (same commit checksum)
#  - an input digest-only value (0x04 from evmctl ima_hash) is kept too
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

gen_key rsa2048 a
gen_key rsa3072 b
ka=$(keyid_of a.key.pem)
kb=$(keyid_of b.key.pem)
src=$(fixture_commit bare)

keyid_at() { sig_keyid "$(ostree_xattr_hex repo "$1" "$2")"; }

run_ok sign-a oima sign --repo=repo --key a.key.pem "$src" by-a
run_ok resign-b oima sign --repo=repo --key b.key.pem by-a by-a-then-b
while IFS= read -r p; do
  assert_streq "$(ostree_xattr_hex repo by-a-then-b "$p")" "$(ostree_xattr_hex repo by-a "$p")" \
    "$p: key A signature must survive a re-sign without --overwrite"
done < <(ostree_regular_files repo by-a)
assert_streq "$(ostree --repo=repo ls -R -X by-a-then-b | md5sum)" "$(ostree --repo=repo ls -R -X by-a | md5sum)" \
  "re-sign without --overwrite must not change the tree"

# partial then full
run_ok sign-a-part oima sign --repo=repo --key a.key.pem --include '/usr/bin/*' "$src" part-a
run_ok resign-b-part oima sign --repo=repo --key b.key.pem part-a part-a-then-b
while IFS= read -r p; do
  case "$p" in
  /usr/bin/*) assert_streq "$(keyid_at part-a-then-b "$p")" "$ka" "$p: keeps key A" ;;
  *) assert_streq "$(keyid_at part-a-then-b "$p")" "$kb" "$p: newly signed with key B" ;;
  esac
done < <(ostree_regular_files repo "$src")
checkout_rev repo part-a-then-b co-part
evmctl_verify co-part/usr/bin/tool a.cert.der
evmctl_verify co-part/etc/conf b.cert.der

# --overwrite
run_ok overwrite oima sign --repo=repo --key b.key.pem --overwrite by-a by-b-overwrite
run_ok direct-b oima sign --repo=repo --key b.key.pem "$src" by-b
while IFS= read -r p; do
  assert_streq "$(keyid_at by-b-overwrite "$p")" "$kb" "$p: --overwrite must replace key A's signature"
done < <(ostree_regular_files repo by-a)
assert_streq "$(content_of repo by-b-overwrite)" "$(content_of repo by-b)" \
  "--overwrite result must equal signing the unsigned source with key B"
checkout_rev repo by-b-overwrite co-ow
assert_checkout_all_signed co-ow b.cert.der sha256 "$kb"

# --overwrite with another algorithm replaces too
run_ok overwrite-384 oima sign --repo=repo --key a.key.pem --overwrite --hash sha384 by-b sha384-ow
assert_sig_v2 "$(ostree_xattr_hex repo sha384-ow /usr/lib/libfoo.so.1)" sha384 "$ka"

# A digest-only input value (evmctl ima_hash -> 0x04 ...) is not "already
# signed": it is replaced by a signature, with or without --overwrite.
cp -a tree tree-hash
evmctl ima_hash tree-hash/etc/conf >/dev/null 2>&1 || fatal "evmctl ima_hash"
hashval=$(ima_hex tree-hash/etc/conf)
assert_streq "${hashval:0:4}" 0404 "evmctl ima_hash writes 04 04"
hsrc=$(commit_tree repo hsrc tree-hash)
run_ok sign-hashed oima sign --repo=repo --key a.key.pem "$hsrc" hsigned
assert_sig_v2 "$(ostree_xattr_hex repo hsigned /etc/conf)" sha256 "$ka"
run_ok verify-hashed oima verify --repo=repo --cert a.cert.pem hsigned
run_ok sign-hashed-ow oima sign --repo=repo --key a.key.pem --overwrite "$hsrc" hsigned-ow
assert_sig_v2 "$(ostree_xattr_hex repo hsigned-ow /etc/conf)" sha256 "$ka"

# A portable EVM value (0x05) or an HMAC (0x02) in security.ima is no file
# signature: one clear line naming the file, nothing written, unless
# --overwrite.
for v in 0x050204aabbccdd0002beef 0x02$(printf '%040d' 0); do
  cp -a tree tree-odd
  setfattr -n security.ima -v "$v" tree-odd/etc/conf
  osrc=$(commit_tree repo osrc tree-odd)
  rm -rf tree-odd
  state=$(repo_state repo)
  run_fail sign-odd oima sign --repo=repo --key a.key.pem "$osrc" odd
  assert_error_matches sign-odd '/etc/conf .*security.ima holds .*, not a file signature \(use --overwrite to replace it\)'
  assert_ref_unchanged repo "$state"
  run_ok sign-odd-ow oima sign --repo=repo --key a.key.pem --overwrite "$osrc" odd-ow
  assert_sig_v2 "$(ostree_xattr_hex repo odd-ow /etc/conf)" sha256 "$ka"
done

ostree --repo=repo fsck -q >/dev/null 2>fsck.err || { cat fsck.err >&2; fatal "fsck"; }
echo "PASS: $TEST_NAME"
