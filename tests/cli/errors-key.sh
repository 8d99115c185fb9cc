#!/bin/bash
# Key-related failures: each exits 1 with one `error: ...` line naming the
# problem, and leaves refs, ref targets and the set of commit objects
# unchanged (target ref not created / existing target not moved).  Also: an
# encrypted key works with --key-pass-file and OSTREE_IMA_KEY_PASS, and the
# passphrase (right or wrong) never appears in any output.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init
unset OSTREE_IMA_KEY_PASS

PASS='S3cr3t-Passphrase-XYZZY-1729'
WRONG='Wr0ng-Passphrase-PLUGH-4242'
printf '%s\n' "$PASS" >pass.txt
printf '%s' "$WRONG" >wrong.txt
chmod 600 pass.txt wrong.txt
gen_encrypted_key rsa2048 key pass.txt
gen_key rsa2048 other
src=$(fixture_commit bare)
commit_tree repo existing tree --subject=existing >/dev/null

# expect_fail LABEL REGEX ARGS... : sign fails, error matches, repo untouched
# for both a new target ref and an existing one.
expect_fail() {
  local label=$1 re=$2
  shift 2
  local state
  state=$(repo_state repo)
  run_fail "$label" oima sign --repo=repo "$@" "$src" "new-$label" </dev/null
  assert_error_matches "$label" "$re"
  assert_ref_unchanged repo "$state" "$label"
  if ostree --repo=repo rev-parse "new-$label" >/dev/null 2>&1; then fatal "$label: target ref was created"; fi
  run_fail "$label-existing" oima sign --repo=repo "$@" "$src" existing </dev/null
  assert_ref_unchanged repo "$state" "$label (existing target)"
}

# missing key file
expect_fail nokey 'not found|no such|does not exist' --key "$TEST_TMPDIR/nonexistent-key.pem"
assert_error_matches nokey 'nonexistent-key.pem'
# not a key
echo "this is not a key" >garbage.pem
expect_fail garbagekey 'key|pem|decode|unsupported|parse' --key garbage.pem
# empty key file
: >empty.pem
expect_fail emptykey 'key|empty|decode|parse' --key empty.pem
# wrong passphrase (file), wrong passphrase (env), none at all
expect_fail wrongpass 'passphrase|password|decrypt' --key key.enc.pem --key-pass-file wrong.txt
OSTREE_IMA_KEY_PASS=$WRONG expect_fail wrongpass-env 'passphrase|password|decrypt' --key key.enc.pem
expect_fail nopass 'passphrase|password|encrypted|decrypt' --key key.enc.pem
# missing passphrase file
expect_fail nopassfile 'not found|no such|does not exist' --key key.enc.pem --key-pass-file "$TEST_TMPDIR/nonexistent-pass"
# certificate of another key
expect_fail certmismatch 'does not match|mismatch|not match' --key key.key.pem --cert other.cert.pem
# missing / garbage certificate
expect_fail nocert 'not found|no such|does not exist' --key key.key.pem --cert "$TEST_TMPDIR/nonexistent-cert.pem"
expect_fail garbagecert 'cert|x509|decode|parse' --key key.key.pem --cert garbage.pem
# bad --keyid
expect_fail badkeyid 'keyid|key id|hex' --key key.key.pem --keyid zzzzzzzz
expect_fail longkeyid 'keyid|key id|hex|long|32' --key key.key.pem --keyid 0x123456789
# --cert and --keyid together are contradictory (contract: --cert | --keyid)
state=$(repo_state repo)
rc=0
oima sign --repo=repo --key key.key.pem --cert key.cert.pem --keyid 01020304 "$src" both >both.out 2>both.err || rc=$?
echo "OBSERVED [--cert with --keyid] (exit $rc): $(cat both.err)" >&2
if [ "$rc" != 0 ]; then assert_ref_unchanged repo "$state" "cert+keyid"; fi

# the passphrase never shows up in output
for f in "$TEST_TMPDIR"/*.out "$TEST_TMPDIR"/*.err; do
  assert_not_has "$PASS" "$f"
  assert_not_has "$WRONG" "$f"
done

# correct passphrase: file (with trailing newline) and environment; same
# commit as the unencrypted key
run_ok plain oima sign --repo=repo --key key.key.pem "$src" plain
run_ok passfile oima sign --repo=repo --key key.enc.pem --key-pass-file pass.txt "$src" passfile
run_ok passenv env OSTREE_IMA_KEY_PASS="$PASS" "$OSTREE_IMA" sign --repo=repo --key key.enc.pem "$src" passenv
assert_streq "$(content_of repo passfile)" "$(content_of repo plain)" "encrypted key via file"
assert_streq "$(content_of repo passenv)" "$(content_of repo plain)" "encrypted key via env"
for f in passfile passenv plain; do
  assert_not_has "$PASS" "$TEST_TMPDIR/$f.out" "$TEST_TMPDIR/$f.err"
done

# DER private key works too
openssl pkey -in key.key.pem -outform DER -out key.der
run_ok der oima sign --repo=repo --key key.der "$src" der
assert_streq "$(content_of repo der)" "$(content_of repo plain)" "DER key"
# traditional (PKCS#1) PEM works too
openssl pkey -in key.key.pem -traditional -out key.trad.pem 2>/dev/null || openssl rsa -in key.key.pem -traditional -out key.trad.pem
run_ok trad oima sign --repo=repo --key key.trad.pem "$src" trad
assert_streq "$(content_of repo trad)" "$(content_of repo plain)" "PKCS#1 PEM key"

# no --key at all
state=$(repo_state repo)
run_fail nokeyopt oima sign --repo=repo "$src" nokeyopt
assert_error_matches nokeyopt 'key'
assert_ref_unchanged repo "$state"
# An unencrypted key readable by group or others is refused unless
# --allow-insecure-key-perms; an encrypted one is fine (its secret is the
# passphrase).
cp key.key.pem loose.key.pem
chmod 0644 loose.key.pem
run_fail loose oima sign --repo=repo --key loose.key.pem "$src" loose
assert_error_matches loose 'loose.key.pem is not encrypted and is readable by group or others \(mode 0644\).*--allow-insecure-key-perms'
assert_ref_unchanged repo "$state"
run_ok loose-allowed oima sign --repo=repo --key loose.key.pem --allow-insecure-key-perms "$src" loose
cp key.enc.pem loose.enc.pem
chmod 0644 loose.enc.pem
run_ok loose-encrypted oima sign --repo=repo --key loose.enc.pem --key-pass-file pass.txt "$src" loose-enc
run_fail loose-dropin oima_sign_dropin --repo=repo "$src" loose-dropin sha256 loose.key.pem
assert_error_matches loose-dropin 'readable by group or others'

# A passphrase file without end (/dev/zero) is refused, bounded.
run_fail passzero oima sign --repo=repo --key key.enc.pem --key-pass-file /dev/zero "$src" passzero
assert_error_matches passzero 'a passphrase file holds at most 4096 bytes'
# The passphrase leaves the process's environment as soon as it is read:
# /proc/PID/environ of a running signer no longer shows it, and no message
# does.
mkdir -p bigtree/usr/lib
head -c 400M /dev/zero > bigtree/usr/lib/big
bigsrc=$(commit_tree repo bigsrc bigtree)
OSTREE_IMA_KEY_PASS="$PASS" "$OSTREE_IMA" sign --repo=repo --key key.enc.pem --jobs 1 "$bigsrc" big \
  >big.out 2>big.err &
pid=$!
seen_running=0
for _ in $(seq 1 100); do
  sleep 0.05
  [ -r "/proc/$pid/environ" ] || break
  # Give the key load a moment, then look.
  if grep -q Signing "/proc/$pid/cmdline" 2>/dev/null || [ "$seen_running" -ge 4 ]; then
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qF "$PASS"; then
      kill "$pid" 2>/dev/null || true
      fatal "the passphrase is still in /proc/$pid/environ while signing"
    fi
    break
  fi
  seen_running=$((seen_running + 1))
done
wait "$pid" || fatal "signing with the passphrase in the environment failed: $(cat big.err)"
assert_not_file_has_content big.out "$PASS"
assert_not_file_has_content big.err "$PASS"
for f in "$TEST_TMPDIR"/*.err; do
  ! grep -qF "$PASS" "$f" || fatal "the passphrase appears in $f"
done
# Certificates the kernel would use but operators should not trust blindly:
# expired, not yet valid, keyUsage without digitalSignature.  sign warns,
# verify reports; both still work (the kernel ignores dates and usage).
dated_cert() {  # NAME START END: a self-signed cert of key.key.pem valid START..END
  mkdir -p "ca-$1"
  printf '[ ca ]\ndefault_ca = d\n[ d ]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\npolicy = p\ndefault_md = sha256\ncopy_extensions = copy\n[ p ]\ncommonName = supplied\n' >"ca-$1/ca.cnf"
  : >"ca-$1/index.txt"
  echo 01 >"ca-$1/serial"
  openssl req -new -key key.key.pem -subj "/CN=$1" -addext subjectKeyIdentifier=hash -out "ca-$1/req.csr"
  (cd "ca-$1" && openssl ca -batch -config ca.cnf -selfsign -keyfile ../key.key.pem -in req.csr \
     -startdate "$2" -enddate "$3" -out "../$1.cert.pem" -notext >/dev/null 2>&1) || fatal "openssl ca $1"
}
dated_cert expired 20200101000000Z 20210101000000Z
dated_cert future 20990101000000Z 21000101000000Z
openssl req -new -x509 -key key.key.pem -subj /CN=ku -days 30 -addext subjectKeyIdentifier=hash \
  -addext "keyUsage=critical,keyCertSign" -out ku.cert.pem
run_ok warn-expired oima sign --repo=repo --key key.key.pem --cert expired.cert.pem "$src" warn-expired
assert_file_has_content "$TEST_TMPDIR/warn-expired.err" 'warning: certificate expired.cert.pem: expired on 2021-01-01'
run_ok report-expired oima verify --repo=repo --cert expired.cert.pem warn-expired
assert_file_has_content "$TEST_TMPDIR/report-expired.err" 'warning: certificate expired.cert.pem: expired on 2021-01-01'
run_ok warn-future oima sign --repo=repo --key key.key.pem --cert future.cert.pem "$src" warn-future
assert_file_has_content "$TEST_TMPDIR/warn-future.err" 'not valid before 2099-01-01'
run_ok warn-ku oima sign --repo=repo --key key.key.pem --cert ku.cert.pem "$src" warn-ku
assert_file_has_content "$TEST_TMPDIR/warn-ku.err" 'keyUsage does not allow digitalSignature'
run_ok report-ku oima verify --repo=repo --cert ku.cert.pem warn-ku
assert_file_has_content "$TEST_TMPDIR/report-ku.err" 'ku.cert.pem: its keyUsage does not allow digitalSignature'
echo "PASS: $TEST_NAME"
