#!/bin/bash
# The test helpers read xattrs from `ostree ls -X`, whose GVariant text
# prints a value that ends in its only NUL as an escaped bytestring (b'...',
# or b"..." when it holds a quote) and any other value as [byte 0x..].  A
# random signature takes the bytestring form about once in 700: this
# checks both forms, every escape GLib uses, and that lsx-compare.py sees
# such a security.ima (a CI run once failed on a signature ending in 00).
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

mkdir tree
echo content >tree/f
# quote, double quote, backslash, \n, \v, DEL, 0xff, then the only NUL
bytestring=0327225c0a0b7fff4100
setfattr -n user.bytestring -v "0x$bytestring" tree/f
setfattr -n user.array -v 0x410042 tree/f # inner NUL: [byte ...] form
setfattr -n security.ima -v 0x03275c00 tree/f
make_repo bare-user repo
rev=$(commit_tree repo main tree)

ostree_ls_x repo "$rev" /f >ls.out
grep -qF 'b"' ls.out || fatal "expected a double-quoted bytestring in: $(cat ls.out)"
grep -qF '[byte 0x41, 0x00, 0x42]' ls.out || grep -qF '[0x41, 0x00, 0x42]' ls.out ||
  fatal "expected an array in: $(cat ls.out)"
assert_streq "$(ostree_xattr_hex repo "$rev" /f user.bytestring)" "$bytestring" "bytestring value"
assert_streq "$(ostree_xattr_hex repo "$rev" /f user.array)" 410042 "array value"
assert_streq "$(ostree_xattr_hex repo "$rev" /f)" 03275c00 "security.ima value"
if ostree_xattr_hex repo "$rev" /f user.absent >/dev/null; then
  fatal "an absent xattr must fail"
fi
if ostree_xattr_hex repo "$rev" /absent >/dev/null 2>absent.err; then
  fatal "an absent path must fail"
fi
grep -q "No such file" absent.err || fatal "ostree's own error expected: $(cat absent.err)"
! grep -q Traceback absent.err || fatal "the parser must not crash: $(cat absent.err)"
assert_streq "$(ostree_xattr_names repo "$rev" /f | tr '\n' ' ')" \
  "security.ima user.array user.bytestring " "names in stored order"

# lsx-compare.py: the tree equals itself, and its security.ima is seen.
assert_tree_kept repo "$rev" "$rev"
echo "PASS: $TEST_NAME"
