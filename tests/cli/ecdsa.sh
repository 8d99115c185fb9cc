#!/bin/bash
# ECDSA keys (P-256, P-384): signatures are randomized, so no byte oracle;
# instead every signed file must pass `evmctl ima_verify` and an independent
# openssl verification, with the right header (type 03, v2, algo, keyid,
# sig_size).  Argument: p256 | p384
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
KEYTYPE=${1:-p256}
TEST_NAME="ecdsa-$KEYTYPE"
cli_test_init

gen_key "$KEYTYPE" key
keyid=$(keyid_of key.key.pem)
src=$(fixture_commit bare)

for alg in sha256 sha384 sha512; do
  run_ok "sign-$alg" oima sign --repo=repo --key key.key.pem --hash "$alg" "$src" "signed-$alg"
  cat "$TEST_TMPDIR/sign-$alg.out"
  checkout_rev repo "signed-$alg" "co-$alg"
  assert_checkout_all_signed "co-$alg" key.cert.der "$alg" "$keyid"
  while IFS= read -r -d '' f; do
    openssl_verify_sig "$(ima_hex "$f")" "$f" key.pub.pem "$alg" || fatal "openssl rejects $alg signature on $f"
  done < <(find "co-$alg" -type f -print0)
done

# With --cert (SKID=hash: same keyid) and --keyid.
run_ok sign-cert oima sign --repo=repo --key key.key.pem --cert key.cert.pem "$src" signed-cert
checkout_rev repo signed-cert co-cert
assert_checkout_all_signed co-cert key.cert.der sha256 "$keyid"
run_ok sign-keyid oima sign --repo=repo --key key.key.pem --keyid 0xfeedf00d "$src" signed-keyid
checkout_rev repo signed-keyid co-keyid
assert_sig_v2 "$(ima_hex co-keyid/usr/bin/tool)" sha256 feedf00d

ostree --repo=repo fsck -q >/dev/null 2>fsck.err || { cat fsck.err >&2; fatal "ostree fsck failed"; }
echo "PASS: $TEST_NAME"
