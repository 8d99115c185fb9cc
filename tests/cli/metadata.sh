#!/bin/bash
# Commit metadata is preserved (subject, body, a{sv} metadata incl. custom
# keys, timestamp, parent; ostree.ref-binding is pull.sh's): the signed commit's raw
# GVariant equals the source's up to the two root tree checksums.  The
# ostree-ext drop-in `ostree-ima-sign REPO SRC TARGET ALG KEY [--overwrite]`
# gives the same commit as `ostree-ima sign`, and both work as external
# commands of stock ostree (`ostree ima sign`, `ostree ima-sign`).
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init sign

gen_key rsa2048 key
gen_key rsa2048 other
mkdir tree
oima_make_fixture_tree tree
make_repo bare-user repo
first=$(commit_tree repo main tree)
echo changed >tree/etc/conf
src=$(ostree --repo=repo commit --branch=main --tree=dir=tree \
  --subject='release 1.2.3: with "quotes" and ünïcödé' \
  --body=$'first body line\n\nthird line' \
  --add-metadata-string=version=1.2.3 \
  --add-metadata-string=org.example.custom='custom value' \
  --add-metadata=org.example.number='uint32 42' \
  --timestamp=2024-02-03T04:05:06Z)
assert_streq "$(ostree --repo=repo rev-parse "$src^")" "$first" "fixture parent"

# raw commit minus the trailing root dirtree/dirmeta checksums
raw_head() {
  ostree --repo=repo show --raw "$1" | sed -n '2,$p' |
    "$PYTHON" -c '
import re, sys
s = sys.stdin.read().strip()
# ostree.ref-binding names the ref a commit was made for; the signed commit
# lives under another ref, so a signer may legitimately rewrite it (pull.sh
# checks the signed commit is pullable by its target ref).
rb = r"\x27ostree\.ref-binding\x27: <\[[^\]]*\]>"
s = re.sub(", " + rb, "", s)
s = re.sub(rb + "(, )?", "", s)
# a checksum ending in its only NUL prints as a bytestring, b"..." if it
# holds a quote
csum = r"(\[(?:byte )?[^\]]*\]|b\x27(?:[^\x27\\]|\\.)*\x27|b\x22(?:[^\x22\\]|\\.)*\x22)"
m = re.match(r"^(.*, uint64 \d+), " + csum + ", " + csum + r"\)$", s, re.S)
if not m:
    sys.exit("cannot parse raw commit: " + s[:200])
head = m.group(1)
# a{sv} entry order is GVariantDict hash order, not meaningful: sort entries
assert head.startswith("({")
depth, i = 0, 1
for i in range(1, len(head)):
    c = head[i]
    if c in "{[(<":
        depth += 1
    elif c in "}])>":
        depth -= 1
        if depth == 0:
            break
inner, rest = head[2:i], head[i + 1:]
entries, d, cur = [], 0, ""
for c in inner:
    if c in "{[(<":
        d += 1
    elif c in "}])>":
        d -= 1
    if c == "," and d == 0:
        entries.append(cur.strip()); cur = ""
    else:
        cur += c
if cur.strip():
    entries.append(cur.strip())
print("metadata:")
for e in sorted(entries):
    print("  " + e)
print("rest:" + rest)'
}

run_ok sign oima sign --repo=repo --key key.key.pem "$src" signed
cat "$TEST_TMPDIR/sign.out"
raw_head "$src" >raw-src
raw_head signed >raw-signed
diff -u raw-src raw-signed >&2 || fatal "commit metadata/subject/body/timestamp/parent not preserved"
assert_streq "$(ostree --repo=repo rev-parse signed^)" "$first" "parent"
assert_streq "$(ostree --repo=repo show --print-metadata-key=version signed)" "'1.2.3'" "version key"
assert_streq "$(ostree --repo=repo show --print-metadata-key=org.example.custom signed)" "'custom value'" "custom key"
assert_streq "$(ostree --repo=repo show --print-metadata-key=org.example.number signed)" \
  "$(ostree --repo=repo show --print-metadata-key=org.example.number "$src")" "typed key"
ostree --repo=repo show signed | grep -v -e '^commit ' -e '^ContentChecksum:' >show-signed
ostree --repo=repo show "$src" | grep -v -e '^commit ' -e '^ContentChecksum:' >show-src
diff -u show-src show-signed >&2 || fatal "ostree show differs"
signed=$(content_of repo signed)

# A ref name as SRC_REV works as well as a checksum
run_ok sign-by-ref oima sign --repo=repo --key key.key.pem main signed-by-ref
assert_streq "$(content_of repo signed-by-ref)" "$signed" "sign by ref name"

# Drop-in: ostree-ima-sign --repo=R SRC TARGET ALG KEY
run_ok dropin oima_sign_dropin --repo=repo "$src" dropin sha256 key.key.pem
assert_streq "$(content_of repo dropin)" "$signed" "drop-in vs ostree-ima sign"
run_ok dropin-512 oima_sign_dropin --repo=repo "$src" dropin-512 sha512 key.key.pem
run_ok sign-512 oima sign --repo=repo --key key.key.pem --hash sha512 "$src" signed-512
assert_streq "$(content_of repo dropin-512)" "$(content_of repo signed-512)" "drop-in sha512"
# drop-in without --overwrite keeps, with --overwrite replaces
run_ok dropin-keep oima_sign_dropin --repo=repo signed dropin-keep sha256 other.key.pem
assert_streq "$(content_of repo dropin-keep)" "$signed" "drop-in re-sign without --overwrite changes nothing"
run_ok dropin-ow oima_sign_dropin --repo=repo signed dropin-ow sha256 other.key.pem --overwrite
assert_sig_v2 "$(ostree_xattr_hex repo dropin-ow /usr/bin/tool)" sha256 "$(keyid_of other.key.pem)"
# drop-in error: unknown algorithm
state=$(repo_state repo)
run_fail dropin-badalg oima_sign_dropin --repo=repo "$src" dropin-bad sha999 key.key.pem
assert_error_matches dropin-badalg 'unknown|unsupported|invalid'
assert_error_matches dropin-badalg 'sha999'
assert_ref_unchanged repo "$state"

# As external commands of stock ostree
bindir=$(dirname "$OSTREE_IMA")
run_ok ext-ima env PATH="$bindir:$PATH" ostree ima sign --repo=repo --key key.key.pem "$src" ext-ima
assert_streq "$(content_of repo ext-ima)" "$signed" "ostree ima sign"
signbindir=$(dirname "$OSTREE_IMA_SIGN")
run_ok ext-ima-sign env PATH="$signbindir:$PATH" ostree ima-sign --repo=repo "$src" ext-ima-sign sha256 key.key.pem
assert_streq "$(content_of repo ext-ima-sign)" "$signed" "ostree ima-sign"

# The three-argument form of ostree's IMA documentation signs a ref in place.
ostree --repo=repo refs --create=inplace "$src"
run_ok ext-ima-sign-inplace env PATH="$signbindir:$PATH" ostree ima-sign --repo=repo inplace sha256 key.key.pem
assert_streq "$(content_of repo inplace)" "$signed" "ostree ima-sign REF ALG KEY"
run_fail dropin-twoargs oima_sign_dropin --repo=repo inplace sha256
assert_error_matches dropin-twoargs 'expected \[SRC_REV\] TARGET_REF ALGORITHM KEY'

# remote:ref style target is not tested (no remotes); a pre-existing target
# ref is moved to the new commit
run_ok move oima sign --repo=repo --key other.key.pem "$src" signed-512
assert_sig_v2 "$(ostree_xattr_hex repo signed-512 /usr/bin/tool)" sha256 "$(keyid_of other.key.pem)"

ostree --repo=repo fsck -q >/dev/null 2>fsck.err || { cat fsck.err >&2; fatal "fsck"; }
echo "PASS: $TEST_NAME"
