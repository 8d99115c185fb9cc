#!/bin/bash
# A key on a PKCS#11 token (SoftHSM2, through the pkcs11 engine/provider
# route of OpenSSL): `ostree-ima sign --key 'pkcs11:...'` must give exactly
# the commit the same RSA key gives from a PEM file (RSA is deterministic),
# with --cert, with the computed keyid, with several jobs; a wrong PIN fails
# cleanly.  evmctl (which uses the pkcs11 engine) is the reference that the
# token setup works.  SKIPs if SoftHSM2 or the OpenSSL pkcs11 route is absent.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init
require_cmd softhsm2-util

PIN=24681357
mkdir -p hsm/tokens
cat >hsm/softhsm2.conf <<CONF
directories.tokendir = $TEST_TMPDIR/hsm/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
export SOFTHSM2_CONF=$TEST_TMPDIR/hsm/softhsm2.conf
softhsm2-util --init-token --free --label oima-test --pin "$PIN" --so-pin 87654321 >/dev/null ||
  skip "softhsm2-util --init-token failed"

gen_key rsa2048 key
openssl pkcs8 -topk8 -nocrypt -in key.key.pem -out key.p8
softhsm2-util --import key.p8 --token oima-test --label imakey --id 01 --pin "$PIN" >/dev/null ||
  fatal "softhsm2-util --import failed"
kid=$(keyid_of key.key.pem)
# evmctl takes the PIN in the URI; ostree-ima refuses pin-value (a secret in
# argv) and takes the PIN like a passphrase: --key-pass-file / OSTREE_IMA_KEY_PASS
EVMURI="pkcs11:token=oima-test;object=imakey;type=private?pin-value=$PIN"
URI="pkcs11:token=oima-test;object=imakey;type=private"
printf '%s\n' "$PIN" >pin.txt
printf '%s\n' 99999999 >badpin.txt

# Reference: evmctl through the pkcs11 engine produces the PEM key's value.
echo "pkcs11 probe" >probe
if evmctl ima_sign --keyid "$kid" --key "$EVMURI" probe >evm.out 2>&1; then
  assert_streq "$(ima_hex probe)" "$(evmctl_expect probe key.key.pem sha256)" "evmctl: token key vs PEM key"
  info "evmctl signs with the token key (engine route works on this machine)"
else
  info "evmctl cannot use the token: $(tr '\n' ' ' <evm.out)"
fi

src=$(fixture_commit bare)
run_ok pem oima sign --repo=repo --key key.key.pem "$src" pem
want=$(content_of repo pem)

rc=0
oima sign --repo=repo --key "$URI" --key-pass-file pin.txt --cert key.cert.pem "$src" p11 >p11.out 2>p11.err || rc=$?
echo "OBSERVED [pkcs11 sign] (exit $rc): $(tr '\n' '|' <p11.err)" >&2
if [ "$rc" != 0 ]; then
  if grep -qiE 'not supported|unsupported|no .*(provider|engine|loader)|not available|not built|scheme' p11.err; then
    skip "pkcs11 URI keys not available in this build: $(cat p11.err)"
  fi
  cat p11.out p11.err >&2
  fatal "signing with a pkcs11 URI failed"
fi
assert_streq "$(content_of repo p11)" "$want" "pkcs11 key vs PEM key (with --cert)"
run_ok p11-computed oima sign --repo=repo --key "$URI" --key-pass-file pin.txt "$src" p11-computed
assert_streq "$(content_of repo p11-computed)" "$want" "pkcs11 key, computed keyid"
run_ok p11-jobs env OSTREE_IMA_KEY_PASS="$PIN" "$OSTREE_IMA" sign --repo=repo --key "$URI" --keyid "$kid" --jobs 4 "$src" p11-jobs
assert_streq "$(content_of repo p11-jobs)" "$want" "pkcs11 key, --jobs 4"
checkout_rev repo p11 co
assert_checkout_all_signed co key.cert.der sha256 "$kid"

# URI without type=private and with id instead of object
run_ok p11-id oima sign --repo=repo --key "pkcs11:token=oima-test;id=%01" --key-pass-file pin.txt --keyid "$kid" "$src" p11-id
assert_streq "$(content_of repo p11-id)" "$want" "pkcs11 URI by id"

# wrong PIN / unknown object: clean failure, nothing changes, PIN not echoed
state=$(repo_state repo)
run_fail p11-badpin oima sign --repo=repo --key "$URI" --key-pass-file badpin.txt \
  --keyid "$kid" "$src" badpin
assert_error_matches p11-badpin 'pin|login|key|pkcs11'
assert_not_has 99999999 "$TEST_TMPDIR/p11-badpin.err" "$TEST_TMPDIR/p11-badpin.out"
assert_ref_unchanged repo "$state" "bad pin"
run_fail p11-noobj oima sign --repo=repo --key "pkcs11:token=oima-test;object=nosuchkey;type=private" --key-pass-file pin.txt \
  --keyid "$kid" "$src" noobj
assert_error_matches p11-noobj 'not found|no such|key|load'
assert_ref_unchanged repo "$state" "unknown object"
# pin-value in the URI is refused with a clear message (secret in argv)
run_fail p11-pinvalue oima sign --repo=repo --key "$EVMURI" --keyid "$kid" "$src" pinvalue
assert_error_matches p11-pinvalue 'pin'
assert_ref_unchanged repo "$state" "pin-value URI"
for f in "$TEST_TMPDIR"/p11*.out "$TEST_TMPDIR"/p11*.err "$TEST_TMPDIR"/pem.out; do
  assert_not_has "$PIN" "$f"
done
echo "PASS: $TEST_NAME"
