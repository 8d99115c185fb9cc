#!/bin/bash
# --include / --exclude: fnmatch without FNM_PATHNAME over absolute paths
# ('/usr/bin/*' selects subdirectories too); excluded/unselected files keep
# their object unchanged (no security.ima added); verify honours the same
# filters.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

gen_key rsa2048 key
src=$(fixture_commit bare)
ostree_regular_files repo src | LC_ALL=C sort >all-files

# check_selection REF EXPECTED_SIGNED_FILE
check_selection() {
  local ref=$1 want=$2 p
  LC_ALL=C sort -o "$want" "$want"
  : >got
  while IFS= read -r p; do
    if ostree_xattr_hex repo "$ref" "$p" >/dev/null; then echo "$p" >>got; fi
    if ! grep -qxF -- "$p" "$want"; then
      # unselected: the very same object as in the source
      assert_streq "$(ostree_content_checksum repo "$ref" "$p")" "$(ostree_content_checksum repo "$src" "$p")" \
        "$ref: unselected $p must keep its object"
    fi
  done <all-files
  LC_ALL=C sort -o got got
  if ! diff -u "$want" got >&2; then fatal "$ref: wrong set of signed files"; fi
  assert_tree_kept repo "$src" "$ref" "$want"
  ostree --repo=repo fsck -q >/dev/null 2>&1 || fatal "fsck after $ref"
}

# 1. include '/usr/bin/*' also matches /usr/bin/sub/deep/x
run_ok inc oima sign --repo=repo --key key.key.pem --include '/usr/bin/*' "$src" inc
grep '^/usr/bin/' all-files >want-inc
grep -qx /usr/bin/sub/deep/x want-inc || fatal "fixture lacks /usr/bin/sub/deep/x"
check_selection inc want-inc

# 2. exclude only
run_ok exc oima sign --repo=repo --key key.key.pem --exclude '/usr/bin/sub/*' --exclude '/etc/*' "$src" exc
grep -v -e '^/usr/bin/sub/' -e '^/etc/' all-files >want-exc
check_selection exc want-exc

# 3. include + exclude (exclude wins), several includes
run_ok incexc oima sign --repo=repo --key key.key.pem --include '/usr/bin/*' --include '/opt/*' \
  --exclude '/*hardlink*' --exclude '/opt/ü*' "$src" incexc
grep -e '^/usr/bin/' -e '^/opt/' all-files | grep -v -e hardlink -e '^/opt/ü' >want-incexc
check_selection incexc want-incexc
# tool and tool-hardlink were one object; now only one of the paths is signed
assert_not_streq "$(ostree_content_checksum repo incexc /usr/bin/tool)" \
  "$(ostree_content_checksum repo incexc /usr/bin/tool-hardlink)" "excluded hardlink must keep the unsigned object"

# 4. glob metacharacters in a file name, matched with a bracket expression
run_ok glob oima sign --repo=repo --key key.key.pem --include '/opt/glob\[x\]\*\?' "$src" glob
echo '/opt/glob[x]*?' >want-glob
check_selection glob want-glob
# ...and '?' / '[...]' patterns
run_ok glob2 oima sign --repo=repo --key key.key.pem --include '/usr/lib/empty?' --include '/usr/share/doc/readme*' "$src" glob2
printf '%s\n' /usr/lib/empty2 /usr/share/doc/readme /usr/share/doc/readme-copy >want-glob2
check_selection glob2 want-glob2

# 5. include matching nothing: an error (signing nothing is never what was
# meant), no ref written; verify of such a selection, or of an empty
# commit, proves nothing: an error too.
state=$(repo_state repo)
run_fail none oima sign --repo=repo --key key.key.pem --include '/nothing/*' "$src" none
assert_error_matches none 'No file of the commit is selected: nothing to rewrite \(check REV and --include/--exclude\)'
assert_ref_unchanged repo "$state"
run_fail verify-none oima verify --repo=repo --cert key.cert.pem --include '/nothing/*' "$src"
assert_error_matches verify-none 'No regular file of .* is selected: nothing was checked'
mkdir empty-tree
empty=$(commit_tree repo empty empty-tree)
run_fail sign-empty oima sign --repo=repo --key key.key.pem "$empty" empty-signed
assert_error_matches sign-empty 'The commit has no files'
run_fail verify-empty oima verify --repo=repo --cert key.cert.pem "$empty"
assert_error_matches verify-empty 'nothing was checked'


# 6. verify honours filters: the inc commit verifies when restricted to /usr/bin
run_ok verify-inc oima verify --repo=repo --cert key.cert.pem --include '/usr/bin/*' inc
rc=0
oima verify --repo=repo --cert key.cert.pem inc >verify-all.out 2>&1 || rc=$?
[ "$rc" != 0 ] || { cat verify-all.out; fatal "verify of a partly signed commit must fail"; }
assert_file_has_content verify-all.out '/etc/conf'
assert_not_file_has_content verify-all.out '/usr/bin/tool[^-]|/usr/bin/tool$'
run_ok verify-exc oima verify --repo=repo --cert key.cert.pem --exclude '/usr/bin/sub/*' --exclude '/etc/*' exc

# 7. a relative glob is rejected (globs are absolute paths)
state=$(repo_state repo)
run_fail relglob oima sign --repo=repo --key key.key.pem --include 'usr/bin/*' "$src" relglob
assert_error_matches relglob 'absolute|glob|/'
# ...and so is a glob fnmatch would take literally
run_fail badglob oima sign --repo=repo --key key.key.pem --include '/usr/bin/[' "$src" badglob
assert_error_matches badglob "Include glob '/usr/bin/\\[' has a '\\[' that is never closed"
run_fail badglob2 oima verify --repo=repo --cert key.cert.pem --exclude '/usr/bin\' inc
assert_error_matches badglob2 'ends in a backslash'
assert_ref_unchanged repo "$state"
echo "PASS: $TEST_NAME"
