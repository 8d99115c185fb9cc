#!/bin/bash
# `ostree-ima verify-deployment` on a real sysroot (`ostree admin deploy`):
# clean deployments pass; a validly signed binary copied over another path,
# an added executable, a setuid bit, a removed file are each named and fail;
# local /etc changes are listed as configuration, not failures.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

gen_key rsa2048 key
mkdir -p tree/usr/bin tree/usr/lib/modules/6.1.0-test tree/usr/etc
printf '#!/bin/sh\necho a\n' > tree/usr/bin/a
printf '#!/bin/sh\necho b\n' > tree/usr/bin/b
printf '#!/bin/sh\necho c\n' > tree/usr/bin/c
chmod 0755 tree/usr/bin/*
echo lib > tree/usr/lib/libx.so
echo kernel > tree/usr/lib/modules/6.1.0-test/vmlinuz
echo vendor > tree/usr/etc/hostname
echo conf > tree/usr/etc/app.conf
printf 'NAME=testos\nID=testos\n' > tree/usr/etc/os-release

mkdir sysroot
ostree admin init-fs sysroot >/dev/null
ostree admin os-init --sysroot=sysroot testos >/dev/null
src=$(commit_tree sysroot/ostree/repo src tree)
run_ok sign oima sign --repo=sysroot/ostree/repo --key key.key.pem "$src" testos/stable
ostree admin deploy --sysroot=sysroot --os=testos --karg-none testos/stable >/dev/null 2>&1 ||
  fatal "ostree admin deploy failed"
dep=$(ls -d sysroot/ostree/deploy/testos/deploy/*.0)

run_ok clean oima verify-deployment --sysroot=sysroot
assert_file_has_content "$TEST_TMPDIR/clean.out" ' 0 differences from the commit, 0 configuration differences'

# Tamper, always on a new inode: the deployed files are the repo's objects.
replace() {  # SRC DEST: copy SRC (with its xattrs) over DEST as a new file
  cp --preserve=mode,ownership,xattr "$1" "$2.tmp" && mv "$2.tmp" "$2"
}
replace "$dep/usr/bin/b" "$dep/usr/bin/a"    # validly signed, wrong path
printf '#!/bin/sh\necho evil\n' > "$dep/usr/bin/evil"
chmod 0755 "$dep/usr/bin/evil"
replace "$dep/usr/bin/c" "$dep/usr/bin/c"
chmod 4755 "$dep/usr/bin/c"
rm "$dep/usr/lib/libx.so"
echo device > "$dep/etc/hostname.tmp" && mv "$dep/etc/hostname.tmp" "$dep/etc/hostname"
echo new > "$dep/etc/local.conf"

run_fail tampered oima verify-deployment --sysroot=sysroot
out=$TEST_TMPDIR/tampered.out
cat "$out" >&2
assert_file_has_content "$out" '^/usr/bin/a: content: content is not the commit.s /usr/bin/a'
assert_file_has_content "$out" '^/usr/bin/evil: added: not in the commit \(executable\)'
assert_file_has_content "$out" '^/usr/bin/c: metadata: mode 0755 -> 4755'
assert_file_has_content "$out" '^/usr/lib/libx.so: missing'
assert_file_has_content "$out" '^/etc/hostname: config content'
assert_file_has_content "$out" '^/etc/local.conf: config added'
assert_not_file_has_content "$out" '^/usr/bin/b:'
assert_error_matches tampered '5 differences between the deployment and its commit \(1 content, 2 metadata, 1 added, 1 missing\)'
# The repository is untouched by all of it.
ostree --repo=sysroot/ostree/repo fsck -q >/dev/null
# By index and by checksum; bad input.
run_fail by-index oima verify-deployment --sysroot=sysroot 0
run_fail by-csum oima verify-deployment --sysroot=sysroot "${src:0:10}"
assert_error_matches by-csum "No deployment '${src:0:10}'"
signed=$(ostree --repo=sysroot/ostree/repo rev-parse testos/stable)
run_fail by-signed oima verify-deployment --sysroot=sysroot "${signed:0:12}"
assert_error_matches by-signed 'differences between the deployment and its commit'
run_fail nosysroot oima verify-deployment --sysroot="$TEST_TMPDIR/none"
assert_error_matches nosysroot 'none'
echo "PASS: $TEST_NAME"
