#!/bin/bash
# `ostree-ima keylime-policy`: a Keylime runtime policy for a signed commit.
# It validates against Keylime's own schema (tests/data/keylime); every
# regular file's digest is sha256sum (sha384sum) of the checked-out file,
# /usr/etc files are also listed under /etc, symlinks are not; --prefix,
# --exclude (Keylime's anchored regexes), --output; verification-keys holds
# the certificate's IMA key id and DER public key; bad input fails cleanly
# without leaving an output file.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init
require_cmd sha256sum sha384sum base64
"$PYTHON" -c 'import jsonschema' 2>/dev/null || skip "python3 jsonschema missing"
SCHEMA_DIR=$OSTREE_IMA_SRCDIR/tests/data/keylime

gen_key rsa2048 key
gen_key p256 eckey
mkdir -p tree/usr/bin tree/usr/lib tree/usr/etc/sub tree/usr/share/dir
gen_bytes tool 30000 >tree/usr/bin/tool
chmod 0755 tree/usr/bin/tool
gen_bytes libfoo 50000 >tree/usr/lib/libfoo.so.1
ln -s libfoo.so.1 tree/usr/lib/libfoo.so
ln -s /usr/etc/app.conf tree/usr/lib/conf-link
echo 'key=value' >tree/usr/etc/app.conf
echo 'nested' >tree/usr/etc/sub/nested.conf
: >tree/usr/share/empty
echo 'spaced' >"tree/usr/share/with space"
echo 'quoted' >'tree/usr/share/quo"te\back'

make_repo bare repo
src=$(commit_tree repo src tree)
run_ok sign oima sign --repo=repo --key key.key.pem "$src" signed
checkout_rev repo signed co

# check_policy POLICY ALGO PREFIX [KEYIDS_HEX PUBKEYS_B64 CERT_PREFIX...]:
# the schema, and every digest against the checked-out files (DIGEST<TAB>PATH
# records from ${ALGO}sum, NUL-separated).
check_policy() {
  local policy=$1 algo=$2 prefix=$3 f
  shift 3
  while IFS= read -r -d '' f; do
    printf '%s\t%s\0' "$("${algo}sum" <"$f" | cut -d' ' -f1)" "${f#co}"
  done < <(find co -type f -print0) >"$TEST_TMPDIR/expected-$algo"
  "$PYTHON" - "$policy" "$SCHEMA_DIR" "$TEST_TMPDIR/expected-$algo" "$prefix" "$@" <<'PYEOF' ||
import json, jsonschema, sys
policy_file, schema_dir, expected_file, prefix = sys.argv[1:5]
keyids = [int(k, 16) for k in sys.argv[5].split()] if len(sys.argv) > 5 else []
pubkeys = sys.argv[6].split() if len(sys.argv) > 6 else []
policy = json.load(open(policy_file))
jsonschema.validate(policy, json.load(open(f"{schema_dir}/runtime-policy-schema.json")))
expected = {}
for rec in open(expected_file, encoding="utf-8").read().split("\0"):
    if not rec:
        continue
    digest, path = rec.split("\t", 1)
    expected[prefix + path] = [digest]
    if path.startswith("/usr/etc/"):
        expected[prefix + path[len("/usr"):]] = [digest]
got = policy["digests"]
assert got == expected, f"digests differ:\n missing {sorted(set(expected) - set(got))}\n " \
    f"extra {sorted(set(got) - set(expected))}\n wrong {[p for p in got if p in expected and got[p] != expected[p]]}"
assert policy["meta"] == {"version": 1, "generator": 3}, policy["meta"]
assert policy["ima"] == {"ignored_keyrings": [], "log_hash_alg": "sha1", "dm_policy": None}
assert policy["keyrings"] == {} and policy["ima-buf"] == {} and policy["release"] == 0
vk = policy["verification-keys"]
if not keyids:
    assert vk == "", vk
else:
    ring = json.loads(vk)
    jsonschema.validate(ring, json.load(open(f"{schema_dir}/ima-keyring-schema.json")))
    assert ring == {"pubkeys": pubkeys, "keyids": keyids}, (ring, pubkeys, keyids)
print(len(got), "paths checked")
PYEOF
    fatal "$policy does not match the checkout"
}

spki_b64() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | base64 -w0; }
keyid=$(skid_keyid_of key.cert.pem)
eckeyid=$(skid_keyid_of eckey.cert.pem)
# The key id is the one the signatures carry (what the kernel looks up).
assert_streq "$(sig_keyid "$(ima_hex co/usr/bin/tool)")" "$keyid" "signature key id"

# Default: sha256, no prefix, one certificate; stdout and --output agree.
mkdir out
run_ok policy oima keylime-policy --repo=repo signed --cert key.cert.pem --output out/policy.json
assert_file_empty "$TEST_TMPDIR/policy.out"
check_policy out/policy.json sha256 "" "$keyid" "$(spki_b64 key.cert.pem)"
assert_streq "$(ls out)" policy.json "files in the output directory"
run_ok stdout oima keylime-policy --repo=repo signed --cert key.cert.pem
cmp "$TEST_TMPDIR/stdout.out" out/policy.json || fatal "stdout and --output differ"
"$PYTHON" - out/policy.json <<'PYEOF' || fatal "paths"
import json, sys
d = json.load(open(sys.argv[1]))["digests"]
for p in ["/usr/bin/tool", "/usr/lib/libfoo.so.1", "/usr/etc/app.conf", "/etc/app.conf",
          "/etc/sub/nested.conf", "/usr/share/empty", "/usr/share/with space",
          '/usr/share/quo"te\\back']:
    assert p in d, p
for p in ["/usr/lib/libfoo.so", "/usr/lib/conf-link", "/usr/share/dir", "/usr/etc", "/etc"]:
    assert p not in d, p
assert d["/usr/share/empty"] == ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]
PYEOF

# DER certificates, two keys (RSA and ECDSA), the same one twice: once each.
run_ok two oima keylime-policy --repo=repo signed --cert key.cert.der --cert eckey.cert.pem \
  --cert key.cert.pem --output two.json
check_policy two.json sha256 "" "$keyid $eckeyid" "$(spki_b64 key.cert.pem) $(spki_b64 eckey.cert.pem)"

# A keyring directory (as /etc/keys/ima): every certificate file in it.
mkdir -p keyring
cp key.cert.der eckey.cert.pem keyring/
run_ok dir oima keylime-policy --repo=repo signed --cert keyring --output dir.json
check_policy dir.json sha256 "" "$eckeyid $keyid" "$(spki_b64 eckey.cert.pem) $(spki_b64 key.cert.pem)"

# No certificate: Keylime's empty verification-keys; --prefix; --hash sha384.
run_ok prefix oima keylime-policy --repo=repo signed --prefix /sysroot/ostree/deploy/os/ \
  --hash sha384 --output prefix.json
check_policy prefix.json sha384 /sysroot/ostree/deploy/os
assert_file_has_content prefix.json '"/sysroot/ostree/deploy/os/etc/app.conf": \["[0-9a-f]{96}"\]'
run_ok root-prefix oima keylime-policy --repo=repo signed --prefix / -o root.json
check_policy root.json sha256 ""

# --exclude: regexes kept verbatim, matched like Keylime (re.match: anchored
# at the start only), against the listed path (/etc/X apart from /usr/etc/X).
run_ok exclude oima keylime-policy --repo=repo signed --exclude '/etc/.*' \
  --exclude '/usr/share/w' --exclude 'lib' --exclude '.*\.so\.[0-9]$' --output excl.json
"$PYTHON" - excl.json "$SCHEMA_DIR" <<'PYEOF' || fatal "excludes"
import json, jsonschema, sys
p = json.load(open(sys.argv[1]))
jsonschema.validate(p, json.load(open(sys.argv[2] + "/runtime-policy-schema.json")))
assert p["excludes"] == ["/etc/.*", "/usr/share/w", "lib", ".*\\.so\\.[0-9]$"], p["excludes"]
d = p["digests"]
assert sorted(d) == ["/usr/bin/tool", "/usr/etc/app.conf", "/usr/etc/sub/nested.conf",
                     "/usr/share/empty", '/usr/share/quo"te\\back'], sorted(d)
PYEOF

# Every repository mode reads the same contents.
make_repo archive archive
ostree --repo=archive pull-local repo signed >/dev/null
run_ok archive oima keylime-policy --repo=archive signed --cert key.cert.pem -o archive.json
cmp archive.json out/policy.json || fatal "archive repo gives another policy"

# Bad input: one error line, no output file (and an existing one untouched).
echo old >out/existing.json
gen_cert key.key.pem noskid "no skid" none
echo 'not a certificate' >not-a-cert
bad() {  # LABEL REGEX ARGS...
  local label=$1 re=$2
  shift 2
  run_fail "$label" oima keylime-policy --repo=repo "$@" --output out/new.json
  assert_error_matches "$label" "$re"
  assert_not_has_file out/new.json
  run_fail "$label-existing" oima keylime-policy --repo=repo "$@" --output out/existing.json
  assert_streq "$(cat out/existing.json)" old "$label: existing output file"
}
bad unknown-rev "nosuchref" nosuchref
bad bad-regex "Invalid exclude pattern: .*'?\(unclosed.*missing" signed \
  --exclude '/ok/.*' --exclude '(unclosed'
bad missing-cert "nonexistent\.pem" signed --cert nonexistent.pem
bad not-cert "not-a-cert: no PEM or DER X\.509 certificate" signed --cert not-a-cert
bad unknown-hash "Hash algorithm 'md7' cannot be used in a Keylime runtime policy \(sha1, sha256, sha384 or sha512\)" signed --hash md7
bad weak-hash "Hash algorithm 'md5' cannot be used in a Keylime runtime policy" signed --hash md5
bad relative-prefix "prefix 'rel/dir' is not absolute" signed --prefix rel/dir
bad no-skid "noskid\.cert\.pem has no subjectKeyIdentifier" signed --cert noskid.cert.pem
mkdir -p empty-keyring
bad empty-keyring "Certificate directory empty-keyring holds no files" signed --cert empty-keyring
bad no-rev "expected REV"
assert_streq "$(ls out | tr '\n' ' ')" "existing.json policy.json " "files left in the output directory"
run_fail no-repo oima keylime-policy signed
assert_error_matches no-repo 'repo=PATH is required'
echo "PASS: $TEST_NAME"
