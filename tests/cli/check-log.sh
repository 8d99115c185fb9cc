#!/bin/bash
# `ostree-ima check-log`: measurement lists (ascii and binary, made here
# with correct template hashes) against a signed commit: clean lists pass
# and replay PCR 10; a tampered file, a file not from the commit, a validly
# signed binary at another path, a forged entry, a violation, a bad or
# untrusted signature are each named by path and fail; /etc maps to
# /usr/etc; fs-verity digests; bad input fails clearly and writes nothing.
# (The kernel's own lists: tests/kernel/case-measure-log.sh.)
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init
require_cmd python3
mklog() { python3 "$OSTREE_IMA_SRCDIR/tests/cli/make-measure-log.py" "$@"; }

gen_key rsa2048 key
gen_key rsa2048 other
mkdir -p tree/usr/bin tree/usr/lib tree/usr/etc
printf '#!/bin/sh\necho a\n' > tree/usr/bin/a
printf '#!/bin/sh\necho b\n' > tree/usr/bin/b
head -c 20000 /dev/urandom > tree/usr/lib/libbig.so
echo vendor > tree/usr/etc/hostname
ln -s a tree/usr/bin/link
chmod 0755 tree/usr/bin/a tree/usr/bin/b
make_repo bare repo
src=$(commit_tree repo src tree)
run_ok sign oima sign --repo=repo --key key.key.pem "$src" os/signed
rev=$(ostree --repo=repo rev-parse os/signed)
checkout_rev repo os/signed co
printf '#!/bin/sh\necho evil\n' > evil

# 1. A clean list, ascii and binary: everything matches, PCR 10 replays.
cat > clean.spec <<SPEC
boot_aggregate
sig /usr/bin/a co/usr/bin/a
sig /usr/bin/b co/usr/bin/b
file /usr/lib/libbig.so co/usr/lib/libbig.so sha512
file /etc/hostname co/usr/etc/hostname sha1
buf kexec-cmdline 726f6f743d2f
SPEC
mklog clean.ascii clean.binary < clean.spec > clean.pcr
sha1=$(awk '$1 == "sha1" { print $2 }' clean.pcr)
sha256=$(awk '$1 == "sha256" { print $2 }' clean.pcr)
for fmt in ascii binary; do
  run_ok clean-$fmt oima check-log --repo=repo --cert key.cert.pem --pcr10 "$sha1" \
    --pcr10 "$sha256" os/signed clean.$fmt
  out=$TEST_TMPDIR/clean-$fmt.out
  assert_file_has_content "$out" "^check-log: 6 entries: 4 match the commit, 2 not-a-file \\(commit $rev, $fmt list, sha1 template hashes\\)"
  assert_file_has_content "$out" "^PCR 10 sha1: $sha1 \\(as expected\\)"
  assert_file_has_content "$out" "^PCR 10 sha256: $sha256 \\(as expected\\)"
done
# Verbose lists the matches; /etc/hostname is the commit's /usr/etc/hostname.
run_ok verbose oima check-log --repo=repo -v os/signed clean.ascii
assert_file_has_content "$TEST_TMPDIR/verbose.out" '^/etc/hostname: config match: /usr/etc/hostname of the commit \(configuration\)'
assert_file_has_content "$TEST_TMPDIR/verbose.out" '^/usr/bin/a: match: '
# stdin, and the deployment layout stripped by default.
sed 's| /usr/bin/a | /ostree/deploy/os/deploy/'"$rev"'.0/usr/bin/a |' clean.spec |
  mklog layout.ascii > /dev/null
run_ok layout sh -c "'$OSTREE_IMA' check-log --repo=repo os/signed - < layout.ascii"
assert_file_has_content "$TEST_TMPDIR/layout.out" '^check-log: 6 entries: 4 match the commit'
# A wrong PCR value fails and names both values.
bad=$(printf '%064d' 0)
run_fail pcr-wrong oima check-log --repo=repo --pcr10 "$bad" os/signed clean.ascii
assert_error_matches pcr-wrong "PCR 10.*$sha256"
assert_file_has_content "$TEST_TMPDIR/pcr-wrong.out" "^PCR 10 sha256: $sha256 \\(MISMATCH\\)"
run_fail pcr-wrong-sha1 oima check-log --repo=repo --pcr10-sha1 "$(printf '%040d' 0)" os/signed clean.binary
assert_file_has_content "$TEST_TMPDIR/pcr-wrong-sha1.out" "^PCR 10 sha1: $sha1 \\(MISMATCH\\)"

# 2. Everything that is not the commit, each named by its path.
cp co/usr/bin/b b-copy    # keeps b's valid signature: IMA would run it
cp --preserve=xattr co/usr/bin/b b-copy 2>/dev/null || true
cat > bad.spec <<SPEC
boot_aggregate
sig /usr/bin/a b-copy
file /usr/bin/evil evil
digest /usr/lib/libbig.so sha256 $(printf '%064d' 7)
file /usr/bin/link co/usr/bin/a
violation /var/log/app.log
corrupt
sig /usr/bin/b co/usr/bin/b
file /mnt/elsewhere evil
SPEC
mklog bad.ascii bad.binary < bad.spec > /dev/null
for fmt in ascii binary; do
  run_fail bad-$fmt oima check-log --repo=repo os/signed bad.$fmt
  out=$TEST_TMPDIR/bad-$fmt.out
  assert_file_has_content "$out" '^/usr/bin/a: content-differs: sha256 [0-9a-f]*, the commit.s /usr/bin/a has '
  assert_file_has_content "$out" '^/usr/bin/evil: unknown-file: not in the commit'
  assert_file_has_content "$out" '^/usr/lib/libbig.so: content-differs: sha256 0*7, '
  assert_file_has_content "$out" '^/usr/bin/link: content-differs: /usr/bin/link is not a regular file in the commit'
  assert_file_has_content "$out" '^/var/log/app.log: violation: '
  assert_file_has_content "$out" '^/usr/bin/b: bad-template-hash: template hash [0-9a-f]* does not match'
  assert_file_has_content "$out" '^/mnt/elsewhere: unknown-file: not in the commit'
  assert_not_file_has_content "$out" '^boot_aggregate'
  assert_error_matches bad-$fmt "7 of 8 measurements are not accounted for by commit $rev"
done
# With --prefix, paths outside it are unknown; inside, mapped.
sed 's| /usr/bin/a | /mnt/usr/bin/a |' clean.spec | mklog prefix.ascii > /dev/null
run_fail prefix oima check-log --repo=repo --prefix /mnt/ os/signed prefix.ascii
assert_file_has_content "$TEST_TMPDIR/prefix.out" '^/usr/bin/b: unknown-file: outside /mnt/, where the deployment was mounted'
assert_not_file_has_content "$TEST_TMPDIR/prefix.out" '^/mnt/usr/bin/a:'

# 3. Signatures in the log: checked with --cert only.
cp co/usr/bin/a a-resigned
evmctl ima_sign --key other.key.pem --hashalgo sha256 a-resigned >/dev/null 2>&1 ||
  fatal "evmctl ima_sign failed"
cp co/usr/bin/a a-unsigned
setfattr -x security.ima a-unsigned 2>/dev/null || true
cat > sigs.spec <<SPEC
sig /usr/bin/a a-resigned
sig /usr/bin/b a-unsigned
SPEC
# a-resigned has the commit's content: only the signature is wrong.
mklog sigs.ascii sigs.binary < sigs.spec > /dev/null
# Without --cert only content counts: /usr/bin/a matches, /usr/bin/b does not.
run_fail sigs-nocert oima check-log --repo=repo os/signed sigs.binary
assert_error_matches sigs-nocert '1 of 2 measurements are not accounted for'
assert_not_file_has_content "$TEST_TMPDIR/sigs-nocert.out" '^/usr/bin/a:'
run_fail sigs oima check-log --repo=repo --cert key.cert.pem os/signed sigs.binary
out=$TEST_TMPDIR/sigs.out
assert_file_has_content "$out" '^/usr/bin/a: untrusted-key: '
assert_file_has_content "$out" '^/usr/bin/b: content-differs: .*; no signature in the log'
# Trusting the other key too: a's signature is accepted, b still differs.
run_fail sigs-other oima check-log --repo=repo --cert key.cert.pem --cert other.cert.pem -v os/signed sigs.ascii
assert_file_has_content "$TEST_TMPDIR/sigs-other.out" '^/usr/bin/a: match: /usr/bin/a of the commit'

# 4. fs-verity digests (ima-ngv2 verity:).
if command -v fsverity >/dev/null; then
  printf 'verity /usr/lib/libbig.so co/usr/lib/libbig.so\nverity /usr/bin/b co/usr/bin/a\n' |
    mklog verity.ascii verity.binary > /dev/null
  run_fail verity oima check-log --repo=repo os/signed verity.binary
  assert_file_has_content "$TEST_TMPDIR/verity.out" '^/usr/bin/b: content-differs: verity sha256 '
  assert_file_has_content "$TEST_TMPDIR/verity.out" '^check-log: 2 entries: 1 match the commit, 1 content-differs'
fi

# 5. JSON: every entry, the counts and the PCRs, valid JSON.
run_fail json oima check-log --repo=repo --json --pcr10 "$sha256" os/signed bad.binary
python3 - "$TEST_TMPDIR/json.out" "$rev" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d['commit'] == sys.argv[2] and d['ok'] is False, d
assert len(d['entries']) == 8 and d['counts']['entries'] == 8, d['counts']
by = {e['path']: e for e in d['entries']}
assert by['/usr/bin/evil']['verdict'] == 'unknown-file'
assert by['/usr/bin/a']['verdict'] == 'content-differs' and by['/usr/bin/a']['commit_path'] == '/usr/bin/a'
assert by['boot_aggregate']['verdict'] == 'not-a-file' and by['boot_aggregate']['commit_path'] is None
assert by['/usr/bin/a']['digest'].startswith('sha256:')
assert d['pcr10']['sha256']['ok'] is False and d['pcr10']['sha1']['expected'] is None
assert d['format'] == 'binary' and d['bank'] == 'sha1'
PY
run_ok json-clean oima check-log --repo=repo --json os/signed clean.ascii
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] and d["counts"]["match"] == 4' \
  "$TEST_TMPDIR/json-clean.out"

# 6. Bad input: clear errors, nothing written to the repository.
before=$(repo_state repo)
head -c 100 clean.binary > truncated.binary
run_fail truncated oima check-log --repo=repo os/signed truncated.binary
assert_error_matches truncated 'entry 0 at byte offset 0: truncated'
run_fail truncated-json oima check-log --repo=repo --json os/signed truncated.binary
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] is False and "offset" in d["error"]' \
  "$TEST_TMPDIR/truncated-json.out"
run_fail nolog oima check-log --repo=repo os/signed "$TEST_TMPDIR/none.log"
assert_error_matches nolog 'Opening the measurement list: .*none.log'
run_fail norev oima check-log --repo=repo os/none clean.ascii
assert_error_matches norev 'os/none'
run_fail badpcr oima check-log --repo=repo --pcr10 1234 os/signed clean.ascii
assert_error_matches badpcr "--pcr10 '1234': expected 40 hex digits \(sha1 bank\) or 64 \(sha256 bank\)"
run_fail hexpcr oima check-log --repo=repo --pcr10 "$(printf 'zz%062d' 0)" os/signed clean.ascii
assert_error_matches hexpcr 'PCR'
run_fail nocert oima check-log --repo=repo --cert "$TEST_TMPDIR/none.pem" os/signed clean.ascii
assert_error_matches nocert 'none.pem'
run_fail noargs oima check-log --repo=repo os/signed
assert_error_matches noargs 'expected REV and LOG'
printf '10 garbage\n' > garbage.ascii
run_fail garbage oima check-log --repo=repo os/signed garbage.ascii
assert_error_matches garbage 'line 1'
printf 'this is not a measurement list, only words\n' > words.txt
run_fail words oima check-log --repo=repo os/signed words.txt
assert_error_matches words 'entry 0 at byte offset 0'
assert_streq "$(repo_state repo)" "$before"
echo "PASS: $TEST_NAME"
