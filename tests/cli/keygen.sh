#!/bin/bash
# `ostree-ima keygen`: key file 0600, PEM + DER certificate with
# subjectKeyIdentifier=hash and keyUsage=digitalSignature; the key signs a
# commit whose files evmctl ima_verify accepts with the generated cert; the
# cert works as --cert and the keyid is the SKID tail.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

src=$(fixture_commit bare)

# check_keys DIR EXPECTED_TYPE_REGEX
check_keys() {
  local d=$1 want=$2
  assert_has_file "$d/ima-key.pem"
  assert_has_file "$d/ima-cert.pem"
  assert_has_file "$d/ima-cert.der"
  assert_streq "$(stat -c %a "$d/ima-key.pem")" 600 "$d/ima-key.pem mode"
  openssl pkey -in "$d/ima-key.pem" -noout 2>/dev/null || fatal "$d/ima-key.pem is not an unencrypted private key"
  openssl x509 -in "$d/ima-cert.pem" -noout -text >"$d.txt"
  assert_file_has_content "$d.txt" "$want"
  assert_file_has_content "$d.txt" 'X509v3 Subject Key Identifier' 'X509v3 Key Usage' 'Digital Signature'
  cmp <(openssl x509 -in "$d/ima-cert.der" -inform DER -outform DER) <(openssl x509 -in "$d/ima-cert.pem" -outform DER) ||
    fatal "$d: PEM and DER certificates differ"
  # cert matches key
  assert_streq "$(openssl x509 -in "$d/ima-cert.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)" \
    "$(openssl pkey -in "$d/ima-key.pem" -pubout -outform DER | sha256sum)" "$d: cert public key vs key"
  # SKID = hash  =>  SKID tail == computed keyid
  assert_streq "$(skid_keyid_of "$d/ima-cert.pem")" "$(keyid_of "$d/ima-key.pem")" "$d: SKID is not the hash of the key"
  local kid
  kid=$(keyid_of "$d/ima-key.pem")
  run_ok "sign-$d" oima sign --repo=repo --key "$d/ima-key.pem" --cert "$d/ima-cert.pem" "$src" "signed-$d"
  checkout_rev repo "signed-$d" "co-$d"
  assert_checkout_all_signed "co-$d" "$d/ima-cert.der" sha256 "$kid"
  run_ok "verify-$d" oima verify --repo=repo --cert "$d/ima-cert.pem" "signed-$d"
}

umask 022
run_ok kg-default oima keygen --out rsa-default
check_keys rsa-default 'rsaEncryption'
run_ok kg-3072 oima keygen --out rsa3072 --bits 3072 --days 30 --subject 'My IMA Key'
check_keys rsa3072 'Public-Key: \(3072 bit\)'
assert_file_has_content rsa3072.txt 'CN *= *My IMA Key'
# --days 30: notAfter within 29..31 days
na=$(date -d "$(openssl x509 -in rsa3072/ima-cert.pem -noout -enddate | cut -d= -f2)" +%s)
days=$(((na - $(date +%s)) / 86400))
[ "$days" -ge 29 ] && [ "$days" -le 31 ] || fatal "--days 30 gave $days days"
run_ok kg-ec oima keygen --out ec256 --ec
check_keys ec256 'id-ecPublicKey'
assert_file_has_content ec256.txt 'prime256v1|P-256'
run_ok kg-ec384 oima keygen --out ec384 --ec --curve P-384
check_keys ec384 'secp384r1|P-384'

# Refuses to overwrite an existing key silently, or at least keeps it 0600
rc=0
oima keygen --out rsa-default >kg-again.out 2>kg-again.err || rc=$?
echo "OBSERVED [keygen into existing dir] (exit $rc): $(cat kg-again.err)" >&2
assert_streq "$(stat -c %a rsa-default/ima-key.pem)" 600 "key mode after second keygen"

# bad arguments
run_fail kg-badcurve oima keygen --out badcurve --ec --curve P-999
assert_error_matches kg-badcurve 'curve|P-999'
run_fail kg-nout oima keygen
assert_error_matches kg-nout 'out'
# Every verb's --help names the verb in its usage line (as `ostree ima VERB`
# runs it too).
for verb in sign verify inspect keygen fsck; do
  "$OSTREE_IMA" "$verb" --help >"help-$verb.out"
  assert_streq "$(sed -n 2p "help-$verb.out" | awk '{print $1, $2}')" "ostree-ima $verb" "usage line of $verb"
  PATH="$(dirname "$OSTREE_IMA"):$PATH" ostree ima "$verb" --help >"help-ext-$verb.out"
  assert_streq "$(sed -n 2p "help-ext-$verb.out" | awk '{print $1, $2}')" "ostree-ima $verb" "usage line of ostree ima $verb"
done
echo "PASS: $TEST_NAME"
