#!/bin/bash
# `ostree-ima appraise`: what the device's kernel would deny, for a commit
# (--repo) and for the deployment the next boot runs (--sysroot, merged
# /etc included): unsigned files, files signed by an untrusted key, a
# device-changed /etc file (stale signature), a new /etc file; JSON output.
# With EVM (--evm, [policy] evm=x509): missing-HMAC without sign --evm,
# invalid-fail-immutable for another key or a changed mode, invalid-HMAC
# for an HMAC or a truncated value, a hash plus EVM signature under imasig.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

gen_key rsa2048 vendor
gen_key rsa2048 stranger
mkdir -p tree/usr/bin tree/usr/lib/modules/6.1.0-test tree/usr/etc
printf '#!/bin/sh\necho a\n' > tree/usr/bin/a
printf '#!/bin/sh\necho b\n' > tree/usr/bin/b
chmod 0755 tree/usr/bin/*
echo kernel > tree/usr/lib/modules/6.1.0-test/vmlinuz
echo vendor > tree/usr/etc/hostname
printf 'NAME=testos\nID=testos\n' > tree/usr/etc/os-release

mkdir sysroot
ostree admin init-fs sysroot >/dev/null
ostree admin os-init --sysroot=sysroot testos >/dev/null
repo=sysroot/ostree/repo
src=$(commit_tree $repo src tree)
run_ok sign oima sign --repo=$repo --key vendor.key.pem "$src" testos/stable
run_ok sign-stranger oima sign --repo=$repo --key stranger.key.pem "$src" stranger
run_ok sign-partial oima sign --repo=$repo --key vendor.key.pem --exclude /usr/bin/b "$src" partial

# Commits
run_ok repo-good oima appraise --repo=$repo --cert vendor.cert.pem testos/stable
assert_file_has_content "$TEST_TMPDIR/repo-good.out" ': 0 of 5 files would be denied'
run_fail repo-partial oima appraise --repo=$repo --cert vendor.cert.pem partial
assert_file_has_content "$TEST_TMPDIR/repo-partial.out" '^/usr/bin/b: IMA-signature-required'
assert_error_matches repo-partial '1 files would be denied'
run_fail repo-stranger oima appraise --repo=$repo --cert vendor.cert.pem stranger
assert_file_has_content "$TEST_TMPDIR/repo-stranger.out" '^/usr/bin/a: invalid-signature: no trusted certificate has key id'
run_fail repo-json oima appraise --repo=$repo --cert vendor.cert.pem --json partial
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["denied_files"] == 1 and d["denials"][0]["path"] == "/usr/bin/b" and d["denials"][0]["cause"] == "IMA-signature-required", d' \
  "$TEST_TMPDIR/repo-json.out" || fatal "--json output"

# The deployment, as the next boot sees it: a changed /etc file carries
# the vendor's (now stale) signature, a new one none.
ostree admin deploy --sysroot=sysroot --os=testos --karg-none testos/stable >/dev/null 2>&1 ||
  fatal "ostree admin deploy"
run_ok deployed oima appraise --sysroot=sysroot --cert vendor.cert.pem
dep=$(ls -d sysroot/ostree/deploy/testos/deploy/*.0)
cp --preserve=mode,ownership,xattr "$dep/etc/hostname" "$dep/etc/hostname.tmp"
echo device > "$dep/etc/hostname.tmp"
mv "$dep/etc/hostname.tmp" "$dep/etc/hostname"
echo new > "$dep/etc/foo.conf"
run_fail deployed-etc oima appraise --sysroot=sysroot --cert vendor.cert.pem
assert_file_has_content "$TEST_TMPDIR/deployed-etc.out" '^/etc/hostname: invalid-signature'
assert_file_has_content "$TEST_TMPDIR/deployed-etc.out" '^/etc/foo.conf: IMA-signature-required'
# A REV with --sysroot is a commit of the sysroot's repo.
run_ok sysroot-rev oima appraise --sysroot=sysroot --cert vendor.cert.pem testos/stable

# With a policy: only what the policy appraises counts.  Under an exec
# policy the changed /etc files are read, not executed: no denial; under
# appraise_tcb (root-owned files, a hash is enough) the new one lacks a
# hash and the changed one's signature is stale.
cat > exec.policy <<'POL'
appraise func=BPRM_CHECK appraise_type=imasig
appraise func=MMAP_CHECK mask=MAY_EXEC appraise_type=imasig
POL
run_ok exec-policy oima appraise --sysroot=sysroot --cert vendor.cert.pem --policy exec.policy
assert_file_has_content "$TEST_TMPDIR/exec-policy.out" '^policy: exec.policy'
run_fail exec-partial oima appraise --repo=$repo --cert vendor.cert.pem --policy exec.policy partial
assert_file_has_content "$TEST_TMPDIR/exec-partial.out" '^/usr/bin/b: BPRM_CHECK: IMA-signature-required: no security.ima \(policy line 1\)'
run_fail tcb oima appraise --sysroot=sysroot --cert vendor.cert.pem --builtin appraise_tcb
assert_file_has_content "$TEST_TMPDIR/tcb.out" '^/etc/foo.conf: FILE_CHECK: missing-hash'
assert_file_has_content "$TEST_TMPDIR/tcb.out" '^/etc/hostname: FILE_CHECK: invalid-signature'
# The subject: root unless --as-uid.  Reads by root (uid=0) need a
# signature; the same files read by uid 1000 are not appraised.
printf 'appraise func=FILE_CHECK mask=^MAY_READ uid=0 appraise_type=imasig\n' > root-reads.policy
run_fail as-root oima appraise --repo=$repo --cert vendor.cert.pem --policy root-reads.policy partial
assert_file_has_content "$TEST_TMPDIR/as-root.out" '^/usr/bin/b: FILE_CHECK: IMA-signature-required'
run_ok as-user oima appraise --repo=$repo --cert vendor.cert.pem --policy root-reads.policy --as-uid 1000 partial
assert_not_file_has_content "$TEST_TMPDIR/as-user.out" '^/usr/bin/b:'
run_fail as-bad oima appraise --repo=$repo --cert vendor.cert.pem --as-uid=-5 partial
assert_error_matches as-bad '--as-uid and --as-gid take a user or group id'

# The device's own configuration, read inside the sysroot.
mkdir -p sysroot/etc/ostree sysroot/etc/keys/ima sysroot/etc/ima
cp vendor.cert.der sysroot/etc/keys/ima/
cp exec.policy sysroot/etc/ima/ima-policy
printf '[policy]\nfile=/etc/ima/ima-policy\nkernel=6.1\n' > sysroot/etc/ostree/ima.conf
run_ok configured oima appraise --sysroot=sysroot
assert_file_has_content "$TEST_TMPDIR/configured.out" '^policy: /etc/ima/ima-policy'
printf '[policy]\nbuiltin=appraise_tcb\n' > sysroot/etc/ostree/ima.conf
run_fail configured-tcb oima appraise --sysroot=sysroot
assert_file_has_content "$TEST_TMPDIR/configured-tcb.out" '^policy: ima_policy=appraise_tcb'
# A policy the kernel would refuse, and a broken configuration: one line.
printf 'appraise func=BPRM_CHECK path=/usr\n' > sysroot/etc/ima/ima-policy
printf '[policy]\nfile=/etc/ima/ima-policy\n' > sysroot/etc/ostree/ima.conf
run_fail badpolicy oima appraise --sysroot=sysroot
assert_error_matches badpolicy 'ima.conf: \[policy\]: /etc/ima/ima-policy: line 1, column 26: unknown keyword "path=/usr"'
printf '[policy]\nfile=/etc/ima/ima-policy\ndigest_type=verity\n' > sysroot/etc/ostree/ima.conf
run_fail badconf oima appraise --sysroot=sysroot
assert_error_matches badconf 'ima.conf:3: \[policy\] digest_type: unknown key'
rm -r sysroot/etc/keys
printf '[trust]\ncerts=/etc/keys/ima\n' > sysroot/etc/ostree/ima.conf
run_fail nocertdir oima appraise --sysroot=sysroot
assert_error_matches nocertdir 'ima.conf: \[trust\] certs: Certificate .*/etc/keys/ima: No such file'
rm sysroot/etc/ostree/ima.conf

# EVM in x509 mode (--evm, or [policy] evm=x509): every appraised file also
# needs a portable security.evm that verifies, with the kernel's causes.
run_ok sign-evm oima sign --repo=$repo --key vendor.key.pem --evm "$src" evm
run_ok sign-evm-hash oima sign --repo=$repo --key vendor.key.pem --evm --hash-only=/usr/bin/b "$src" evm-hash
run_ok sign-evm-stranger oima sign --repo=$repo --key stranger.key.pem --evm "$src" evm-stranger
run_ok evm-good oima appraise --repo=$repo --cert vendor.cert.pem --evm evm
assert_file_has_content "$TEST_TMPDIR/evm-good.out" '^evm: x509'
assert_file_has_content "$TEST_TMPDIR/evm-good.out" ': 0 of 5 files would be denied'
run_fail evm-missing oima appraise --repo=$repo --cert vendor.cert.pem --evm testos/stable
assert_file_has_content "$TEST_TMPDIR/evm-missing.out" '^/usr/bin/a: missing-HMAC: no security.evm$'
assert_error_matches evm-missing '^error: 5 files would be denied'
# Without EVM the same commit passes: the denial is EVM's.
run_ok evm-off oima appraise --repo=$repo --cert vendor.cert.pem testos/stable
run_fail evm-stranger oima appraise --repo=$repo --cert vendor.cert.pem --evm evm-stranger
assert_file_has_content "$TEST_TMPDIR/evm-stranger.out" \
  '^/usr/bin/a: invalid-fail-immutable: portable EVM signature: no trusted certificate has key id'
# A hash covered by a portable EVM signature satisfies appraise_type=imasig
# (the kernel's INTEGRITY_PASS_IMMUTABLE); without EVM it does not.
run_ok evm-hash oima appraise --repo=$repo --cert vendor.cert.pem --policy exec.policy --evm evm-hash
run_fail evm-hash-off oima appraise --repo=$repo --cert vendor.cert.pem --policy exec.policy evm-hash
assert_file_has_content "$TEST_TMPDIR/evm-hash-off.out" '^/usr/bin/b: BPRM_CHECK: IMA-signature-required'
run_fail evm-policy oima appraise --repo=$repo --cert vendor.cert.pem --policy exec.policy --evm partial
assert_file_has_content "$TEST_TMPDIR/evm-policy.out" \
  '^/usr/bin/a: BPRM_CHECK: missing-HMAC: no security.evm \(policy line 1\)'
assert_file_has_content "$TEST_TMPDIR/evm-policy.out" '^/usr/bin/b: BPRM_CHECK: IMA-signature-required'
# Files on disk: a mode changed after signing, an HMAC (0x02, which x509
# mode cannot check), a truncated portable signature.  (cp drops
# security.evm, as Debian's /etc/xattr.conf says: set it again.)
checkout_rev $repo evm evmdir
mkdir -p evmtree/usr/bin
for f in moded hmac short good; do
  cp --preserve=mode,ownership,xattr evmdir/usr/bin/a evmtree/usr/bin/$f
  setfattr -n security.evm -v "0x$(ima_hex evmdir/usr/bin/a security.evm)" evmtree/usr/bin/$f
done
chmod 0700 evmtree/usr/bin/moded
setfattr -n security.evm -v 0x02$(printf '%040d' 0) evmtree/usr/bin/hmac
setfattr -n security.evm -v 0x050204 evmtree/usr/bin/short
run_fail evm-dir oima appraise --dir=evmtree --cert vendor.cert.pem --evm
assert_file_has_content "$TEST_TMPDIR/evm-dir.out" \
  "^/usr/bin/moded: invalid-fail-immutable: the sha256 portable EVM signature by key [0-9a-f]* does not match the file's security xattrs, owner, group and mode"
assert_file_has_content "$TEST_TMPDIR/evm-dir.out" '^/usr/bin/hmac: invalid-HMAC: security.evm is an HMAC \(0x02\)'
assert_file_has_content "$TEST_TMPDIR/evm-dir.out" '^/usr/bin/short: invalid-HMAC: a portable EVM signature header without a signature'
assert_not_file_has_content "$TEST_TMPDIR/evm-dir.out" '^/usr/bin/good'
assert_file_has_content "$TEST_TMPDIR/evm-dir.out" ': 3 of 4 files would be denied'
# verify --evm and inspect --cert say the same of the EVM value alone.
run_ok verify-evm oima verify --repo=$repo --cert vendor.cert.pem --evm evm
assert_file_has_content "$TEST_TMPDIR/verify-evm.out" '^security.evm: 5 files: 5 valid$'
run_fail verify-noevm oima verify --repo=$repo --cert vendor.cert.pem --evm testos/stable
assert_file_has_content "$TEST_TMPDIR/verify-noevm.out" '^/usr/bin/a: security.evm: unsigned: no security.evm$'
assert_error_matches verify-noevm '^error: 5 of 5 files have no valid portable EVM signature$'
run_ok inspect-evm oima inspect --cert vendor.cert.pem evmtree/usr/bin/good evmtree/usr/bin/moded evmtree/usr/bin/hmac
assert_file_has_content "$TEST_TMPDIR/inspect-evm.out" '^evmtree/usr/bin/good: security.evm: valid$'
assert_file_has_content "$TEST_TMPDIR/inspect-evm.out" '^evmtree/usr/bin/moded: security.evm: bad-signature: the sha256 portable EVM signature'
assert_file_has_content "$TEST_TMPDIR/inspect-evm.out" '^evmtree/usr/bin/hmac: security.evm: bad-signature: security.evm is bound to one inode'
run_ok inspect-evm-repo oima inspect --repo=$repo --cert stranger.cert.pem evm /usr/bin/a
assert_file_has_content "$TEST_TMPDIR/inspect-evm-repo.out" '^/usr/bin/a: security.evm: unknown-key: portable EVM signature: no trusted certificate has key id'
# The device's configuration turns it on; a bad value is one line.
mkdir -p sysroot/etc/ostree
printf '[policy]\nevm=x509\n' > sysroot/etc/ostree/ima.conf
run_fail evm-conf oima appraise --sysroot=sysroot --cert vendor.cert.pem
assert_file_has_content "$TEST_TMPDIR/evm-conf.out" '^/usr/bin/a: missing-HMAC'
assert_file_has_content "$TEST_TMPDIR/evm-conf.out" '^/etc/foo.conf: IMA-signature-required'
printf '[policy]\nevm=on\n' > sysroot/etc/ostree/ima.conf
run_fail evm-badconf oima appraise --sysroot=sysroot --cert vendor.cert.pem
assert_error_matches evm-badconf 'ima.conf:2: \[policy\] evm: invalid value "on" \(expected off, x509 or hmac\)$'
rm sysroot/etc/ostree/ima.conf

# Bad input: one line each.
run_fail both oima appraise --repo=$repo --sysroot=sysroot --cert vendor.cert.pem x
assert_error_matches both 'give --repo=PATH REV, --sysroot=DIR \[REV\] or --dir=DIR'
run_fail nocert oima appraise --repo=$repo testos/stable
assert_error_matches nocert '--cert=CERT is required'
run_fail badcert oima appraise --repo=$repo --cert "$TEST_TMPDIR/nope" testos/stable
assert_error_matches badcert 'nope'
run_fail badrev oima appraise --repo=$repo --cert vendor.cert.pem no-such-ref
assert_error_matches badrev 'no-such-ref'
echo "PASS: $TEST_NAME"
