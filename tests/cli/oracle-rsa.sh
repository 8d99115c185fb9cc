#!/bin/bash
# Byte-exact oracle: for RSA keys the security.ima written by `ostree-ima sign`
# must equal what `evmctl ima_sign` writes for the same content, for every
# hash algorithm, with the default (computed) key id, with --keyid and with
# --cert (key id from the certificate's subjectKeyIdentifier).
# Argument: rsa2048 | rsa3072 | rsa4096
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
KEYTYPE=${1:-rsa2048}
TEST_NAME="oracle-$KEYTYPE"
cli_test_init

gen_key "$KEYTYPE" key
# A second certificate for the same key with a SKID whose tail differs from
# the computed key id, so --cert is observable.
gen_cert key.key.pem custom "custom skid" 00112233445566778899aabbccddeeff0badcafe
computed=$(keyid_of key.key.pem)
info "computed keyid $computed"

src=$(fixture_commit bare)

# check_oracle REF ALG [evmctl options]: every regular file of REF carries
# exactly evmctl's value.
check_oracle() {
  local ref=$1 alg=$2
  shift 2
  checkout_rev repo "$ref" "co-$ref"
  local f n=0 got want
  while IFS= read -r -d '' f; do
    got=$(ima_hex "$f") || fatal "$ref: no security.ima on $f"
    want=$(evmctl_expect "$f" key.key.pem "$alg" "$@")
    if [ "$got" != "$want" ]; then
      echo "file: $f" >&2
      echo "got:  $got" >&2
      echo "want: $want" >&2
      fatal "$ref: security.ima differs from evmctl ima_sign -a $alg $*"
    fi
    n=$((n + 1))
  done < <(find "co-$ref" -type f -print0)
  info "$ref: $n files byte-identical to evmctl ($alg $*)"
}

for alg in sha256 sha384 sha512 sha1 sha224 md5; do
  weak=()
  case $alg in sha1 | md5) weak=(--allow-weak-hash) ;; esac
  run_ok "sign-$alg" oima sign --repo=repo --key key.key.pem --hash "$alg" "${weak[@]}" "$src" "signed-$alg"
  cat "$TEST_TMPDIR/sign-$alg.out"
  check_oracle "signed-$alg" "$alg"
done

# md5 and sha1 only with --allow-weak-hash: the kernel accepts them, but
# their collisions make the signature worth little.  verify reports them.
state=$(repo_state repo)
for alg in sha1 md5; do
  run_fail "weak-$alg" oima sign --repo=repo --key key.key.pem --hash "$alg" "$src" "weak-$alg"
  assert_error_matches "weak-$alg" "$alg is too weak to sign with: the kernel accepts it.*--allow-weak-hash"
done
assert_ref_unchanged repo "$state"
run_fail verify-sha1 oima verify --repo=repo --cert key.cert.pem signed-sha1
assert_file_has_content "$TEST_TMPDIR/verify-sha1.out" '/usr/bin/tool: weak-hash: a sha1 signature'
run_ok verify-sha1-allowed oima verify --repo=repo --cert key.cert.pem --allow-weak-hash signed-sha1

# Default algorithm is sha256.
run_ok sign-default oima sign --repo=repo --key key.key.pem "$src" signed-default
assert_streq "$(content_of repo signed-default)" "$(content_of repo signed-sha256)" \
  "default --hash must be sha256"

# Default key id is the computed one (= SKID tail of a SKID=hash cert).
checkout_rev repo signed-sha256 co-check
assert_streq "$(sig_keyid "$(ima_hex co-check/usr/bin/tool)")" "$computed" "default keyid"
assert_streq "$(skid_keyid_of key.cert.pem)" "$computed" "SKID=hash tail vs computed keyid"

# --keyid HEX, with and without 0x.
run_ok sign-keyid oima sign --repo=repo --key key.key.pem --keyid 0xdeadbeef "$src" signed-keyid
check_oracle signed-keyid sha256 --keyid deadbeef
run_ok sign-keyid2 oima sign --repo=repo --key key.key.pem --keyid 1234abcd --hash sha512 "$src" signed-keyid2
check_oracle signed-keyid2 sha512 --keyid 1234abcd

# --cert: key id = last 4 bytes of SKID (PEM and DER certificates).
run_ok sign-cert oima sign --repo=repo --key key.key.pem --cert custom.cert.pem "$src" signed-cert
check_oracle signed-cert sha256 --keyid-from-cert custom.cert.pem
assert_streq "$(sig_keyid "$(ima_hex co-signed-cert/usr/bin/tool)")" 0badcafe "keyid from --cert"
run_ok sign-cert-der oima sign --repo=repo --key key.key.pem --cert custom.cert.der "$src" signed-cert-der
assert_streq "$(content_of repo signed-cert-der)" "$(content_of repo signed-cert)" \
  "--cert DER and PEM give the same commit"

# Every signed file of a checkout passes evmctl ima_verify (DER cert: evmctl
# 1.4 only reads DER certificates).
assert_checkout_all_signed co-signed-sha256 key.cert.der sha256 "$computed"
assert_checkout_all_signed co-signed-sha512 key.cert.der sha512 "$computed"
# evmctl 1.4 ima_verify looks certificates up by the key id computed from the
# public key, not by SKID, so the custom-SKID commit is checked with openssl
# and with our own verify (which, like the kernel, matches the SKID tail).
while IFS= read -r -d '' f; do
  hex=$(ima_hex "$f")
  assert_sig_v2 "$hex" sha256 0badcafe
  openssl_verify_sig "$hex" "$f" key.pub.pem sha256 || fatal "openssl rejects $f"
done < <(find co-signed-cert -type f -print0)
run_ok verify-cert oima verify --repo=repo --cert custom.cert.pem signed-cert

# And the raw signatures verify with plain openssl too.
for alg in sha256 sha384; do
  f=co-signed-$alg/usr/lib/libfoo.so.1
  openssl_verify_sig "$(ima_hex "$f")" "$f" key.pub.pem "$alg" || fatal "openssl rejects $alg signature"
done

# The signer must not change the source commit.
assert_streq "$(ostree --repo=repo rev-parse src)" "$src" "source ref moved"
ostree --repo=repo fsck -q >/dev/null 2>fsck.err || { cat fsck.err >&2; fatal "ostree fsck failed"; }
echo "PASS: $TEST_NAME"
