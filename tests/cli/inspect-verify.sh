#!/bin/bash
# `ostree-ima inspect` decodes security.ima / security.evm (repo paths and
# plain files); `ostree-ima verify` accepts a fully signed commit and names
# every unsigned / bad-signature / unknown-key / digest-only /
# digest-mismatch file with a non-zero exit.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

gen_key rsa2048 key
gen_key p256 other
kid=$(keyid_of key.key.pem)
okid=$(keyid_of other.key.pem)
src=$(fixture_commit bare)
run_ok sign oima sign --repo=repo --key key.key.pem "$src" signed
nfiles=$(ostree_regular_files repo signed | wc -l)

# ---- inspect, repo form
run_ok inspect-all oima inspect --repo=repo signed
cat "$TEST_TMPDIR/inspect-all.out"
assert_file_has_content "$TEST_TMPDIR/inspect-all.out" '/usr/bin/tool' '/usr/lib/libfoo.so.1' '/opt/glob\[x\]\*\?'
assert_file_has_content_i "$TEST_TMPDIR/inspect-all.out" "$kid" 'sha256'
n=$(grep -ci "$kid" "$TEST_TMPDIR/inspect-all.out" || true)
[ "$n" -ge "$nfiles" ] || fatal "inspect: expected >= $nfiles lines with keyid $kid, got $n"
run_ok inspect-paths oima inspect --repo=repo signed /usr/bin/tool /usr/lib/empty
assert_streq "$(grep -c '' "$TEST_TMPDIR/inspect-paths.out")" 2 "inspect with 2 paths prints 2 lines"
line=$(grep -F /usr/bin/tool "$TEST_TMPDIR/inspect-paths.out")
# type (0x03 / digsig / signature), version 2, algo, keyid, length (256-byte RSA-2048 signature)
grep -qiE 'sig|0x03|03' <<<"$line" || fatal "inspect: no signature type in: $line"
grep -qiE '(v|version[ :=]*)2' <<<"$line" || fatal "inspect: no version 2 in: $line"
grep -qi sha256 <<<"$line" || fatal "inspect: no algo in: $line"
grep -qi "$kid" <<<"$line" || fatal "inspect: no keyid in: $line"
grep -qE '256|265' <<<"$line" || fatal "inspect: no length in: $line"
run_ok inspect-src oima inspect --repo=repo "$src" /usr/bin/tool
assert_file_has_content_i "$TEST_TMPDIR/inspect-src.out" 'unsigned|none|no security.ima|not signed|absent|-'
assert_not_file_has_content "$TEST_TMPDIR/inspect-src.out" "$kid"
rc=0
oima inspect --repo=repo signed /does/not/exist >insp-missing.out 2>insp-missing.err || rc=$?
[ "$rc" != 0 ] || fatal "inspect of a missing path must fail"
assert_file_has_content_i insp-missing.err 'not found|no such|does not exist|no file'
echo "OBSERVED-ERROR [inspect-missing-path] (exit $rc): $(cat insp-missing.err)" >&2

# ---- inspect, file form (incl. security.evm portable signature)
checkout_rev repo signed co
cp co/usr/lib/libfoo.so.1 evmfile
ima=$(ima_hex co/usr/lib/libfoo.so.1)
setfattr -n security.ima -v "0x$ima" evmfile
evmctl sign --portable -a sha256 --key key.key.pem evmfile >/dev/null 2>&1 || fatal "evmctl sign --portable"
assert_streq "$(ima_hex evmfile security.evm | cut -c1-4)" 0502 "fixture: portable evm signature"
run_ok inspect-files oima inspect co/usr/bin/tool evmfile co/etc/conf
cat "$TEST_TMPDIR/inspect-files.out"
assert_file_has_content "$TEST_TMPDIR/inspect-files.out" 'co/usr/bin/tool' 'evmfile'
grep -F evmfile "$TEST_TMPDIR/inspect-files.out" | grep -iE 'portable|0x05|evm' >/dev/null ||
  fatal "inspect does not report the security.evm portable signature"
# digest-only value decoding
cp tree/etc/conf hashed
evmctl ima_hash -a sha512 hashed >/dev/null 2>&1
run_ok inspect-hash oima inspect hashed
assert_file_has_content_i "$TEST_TMPDIR/inspect-hash.out" 'sha512'
assert_file_has_content_i "$TEST_TMPDIR/inspect-hash.out" 'digest|hash|0x04|ng'

# ---- verify: valid
run_ok verify-ok oima verify --repo=repo --cert key.cert.pem signed
cat "$TEST_TMPDIR/verify-ok.out"
[ -s "$TEST_TMPDIR/verify-ok.out" ] || fatal "verify printed no summary"
assert_file_has_content "$TEST_TMPDIR/verify-ok.out" "$nfiles"
assert_not_file_has_content "$TEST_TMPDIR/verify-ok.out" 'unsigned|bad-signature|unknown-key|digest-only|digest-mismatch'
run_ok verify-der oima verify --repo=repo --cert key.cert.der signed
run_ok verify-2certs oima verify --repo=repo --cert other.cert.pem --cert key.cert.pem signed
mkdir certdir
cp key.cert.der certdir/a.der
cp other.cert.pem certdir/b.pem
run_ok verify-dir oima verify --repo=repo --cert certdir signed

# ---- verify: unsigned source
rc=0
oima verify --repo=repo --cert key.cert.pem "$src" >v-unsigned.out 2>&1 || rc=$?
cat v-unsigned.out
[ "$rc" != 0 ] || fatal "verify of an unsigned commit exited 0"
assert_file_has_content v-unsigned.out '/usr/bin/tool.*unsigned|unsigned.*/usr/bin/tool'
# unknown key: trust only the other cert
rc=0
oima verify --repo=repo --cert other.cert.pem signed >v-unknown.out 2>&1 || rc=$?
cat v-unknown.out
[ "$rc" != 0 ] || fatal "verify with the wrong cert exited 0"
assert_file_has_content v-unknown.out '/usr/lib/libfoo.so.1.*unknown-key|unknown-key.*/usr/lib/libfoo.so.1'

# ---- verify: one commit with every kind of failure
mkdir -p mix/bin
cp -a co/usr/bin/tool mix/bin/valid
cp -a co/usr/bin/tool mix/bin/tampered
printf 'X' | dd of=mix/bin/tampered bs=1 seek=100 conv=notrunc status=none
cp -a co/usr/bin/tool mix/bin/wrong-sig
setfattr -n security.ima -v "0x$(ima_hex co/usr/lib/libfoo.so.1)" mix/bin/wrong-sig
cp tree/usr/bin/tool mix/bin/unsigned
cp tree/usr/bin/tool mix/bin/other-key
evmctl ima_sign --key other.key.pem mix/bin/other-key >/dev/null 2>&1
cp tree/usr/bin/tool mix/bin/digest-only
evmctl ima_hash mix/bin/digest-only >/dev/null 2>&1
cp tree/usr/bin/tool mix/bin/digest-mismatch
setfattr -n security.ima -v "0x0404$(sha256sum tree/etc/conf | cut -c1-64)" mix/bin/digest-mismatch
ln -s valid mix/bin/link
mixrev=$(commit_tree repo mix mix)
rc=0
oima verify --repo=repo --cert key.cert.pem mix >v-mix.out 2>&1 || rc=$?
cat v-mix.out
[ "$rc" != 0 ] || fatal "verify of the mixed commit exited 0"
for pair in tampered:bad-signature wrong-sig:bad-signature unsigned:unsigned other-key:unknown-key \
  digest-only:digest-only digest-mismatch:digest-mismatch; do
  f=${pair%%:*} st=${pair#*:}
  grep -E "/bin/$f([^-a-z]|$)" v-mix.out | grep -- "$st" >/dev/null ||
    fatal "verify does not report /bin/$f as $st"
done
if grep -E '/bin/valid([^-a-z]|$)' v-mix.out | grep -E 'unsigned|bad-signature|unknown-key|digest' >/dev/null; then
  fatal "verify reports the valid file as a failure"
fi
grep -E '/bin/link' v-mix.out | grep -E 'unsigned|bad|unknown|digest' >/dev/null && fatal "verify must not check symlinks"
# trusting both certs: other-key becomes valid, the rest still fails
rc=0
oima verify --repo=repo --cert key.cert.pem --cert other.cert.der mix >v-mix2.out 2>&1 || rc=$?
[ "$rc" != 0 ] || fatal "mixed commit with both certs exited 0"
if grep -E '/bin/other-key' v-mix2.out | grep unknown-key >/dev/null; then fatal "other-key unknown although trusted"; fi
# restricted to the valid files only: exit 0
run_ok verify-mix-valid oima verify --repo=repo --cert key.cert.pem --cert other.cert.pem \
  --include '/bin/valid' --include '/bin/other-key' mix

# verify errors: missing cert, unknown rev
run_fail verify-nocert oima verify --repo=repo --cert /nonexistent/cert.pem signed
assert_error_matches verify-nocert 'not found|no such|nonexistent'
run_fail verify-badrev oima verify --repo=repo --cert key.cert.pem no-such-ref
assert_error_matches verify-badrev 'no-such-ref|not found|no such'
echo "PASS: $TEST_NAME"
