#!/bin/bash
# sign --evm: portable EVM signatures (security.evm type 0x05) over the
# final security.ima, owner, mode, security.selinux and
# security.capability, byte-identical to `evmctl sign --portable` for RSA
# (2048/3072/4096; sha256, sha384, sha512), with and without those xattrs
# and with several owners and modes; ECDSA verified with evmctl.  Bad input:
# --evm with --repair, one line, nothing written.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

mkdir -p tree/usr/bin tree/usr/sbin tree/etc
printf '#!/bin/sh\necho plain\n' > tree/usr/bin/plain
printf '#!/bin/sh\necho cap\n' > tree/usr/sbin/capped
printf '#!/bin/sh\necho label\n' > tree/usr/bin/labelled
printf 'conf\n' > tree/etc/conf
printf '#!/bin/sh\necho suid\n' > tree/usr/bin/suid
chmod 0755 tree/usr/bin/* tree/usr/sbin/*
chmod 4755 tree/usr/bin/suid
chown 1000:100 tree/etc/conf
# security.capability: cap_net_raw+ep (VFS v2 value, as setcap writes it)
setfattr -n security.capability -v 0x0100000200200000000000000000000000000000 tree/usr/sbin/capped
setfattr -n security.selinux -v 'system_u:object_r:bin_t:s0' tree/usr/bin/labelled
make_repo bare repo
src=$(commit_tree repo src tree)

# evmctl on a copy with the same xattrs (but security.evm), owner and mode.
evmctl_evm() {  # FILE KEY ALG
  rm -f evm-copy
  cp --preserve=mode,ownership,xattr "$1" evm-copy
  setfattr -x security.evm evm-copy 2>/dev/null || true
  evmctl sign --portable -a "$3" --key "$2" evm-copy >/dev/null 2>&1 || fatal "evmctl sign --portable on $1"
  ima_hex evm-copy security.evm
}

for k in rsa2048 rsa3072 rsa4096; do
  gen_key "$k" "$k"
  for alg in sha256 sha384 sha512; do
    run_ok "sign-$k-$alg" oima sign --repo=repo --key "$k.key.pem" --hash "$alg" --evm --no-reuse "$src" "evm-$k-$alg"
    assert_file_has_content "$TEST_TMPDIR/sign-$k-$alg.out" 'Wrote a portable EVM signature for 5 objects'
    checkout_rev repo "evm-$k-$alg" "co-$k-$alg"
    for f in usr/bin/plain usr/sbin/capped usr/bin/labelled etc/conf usr/bin/suid; do
      got=$(ima_hex "co-$k-$alg/$f" security.evm)
      assert_streq "${got:0:4}" 0502 "$f: a portable signature v2"
      assert_streq "$got" "$(evmctl_evm "co-$k-$alg/$f" "$k.key.pem" "$alg")" "$k $alg $f: byte-identical to evmctl sign --portable"
    done
  done
  info "$k: 15 security.evm values byte-identical to evmctl"
done

# ECDSA (randomized): evmctl verifies it.
gen_key p256 ec
run_ok sign-ec oima sign --repo=repo --key ec.key.pem --evm "$src" evm-ec
checkout_rev repo evm-ec co-ec
for f in usr/bin/plain usr/sbin/capped etc/conf; do
  evmctl verify --key ec.cert.der "co-ec/$f" >evm-verify.out 2>&1 ||
    { cat evm-verify.out >&2; fatal "evmctl verify of the ECDSA security.evm of $f"; }
done

# The signature covers the metadata: a changed mode or owner does not verify.
# (on a copy: the checkout's files are the repository's objects)
# (cp drops security.evm, as Debian's /etc/xattr.conf says: set it again)
cp --preserve=mode,ownership,xattr co-ec/usr/bin/plain moded
setfattr -n security.evm -v "0x$(ima_hex co-ec/usr/bin/plain security.evm)" moded
evmctl verify --key ec.cert.der moded >/dev/null 2>&1 || fatal "the copy must verify"
chmod 0700 moded
! evmctl verify --key ec.cert.der moded >/dev/null 2>&1 || fatal "a changed mode still verified"

# Stock fsck and checkout accept the objects; the patched fsck treats 0x05
# as part of the object (tests/ostree).
ostree --repo=repo fsck -q >/dev/null

# Inline: ostree commit --ima-sign --ima-evm, over the final values
# (--owner-uid, --owner-gid, --statoverride), byte-identical to evmctl too.
if patched_ostree_with_plugin; then
  echo "+1024 /usr/bin/plain" > so.txt   # setgid; ostree reads the mode in decimal
  iostree commit --repo=repo -b inline --tree=dir=tree --owner-uid=42 --owner-gid=43 \
    --statoverride=so.txt --ima-sign --ima-key=rsa2048.key.pem --ima-evm >/dev/null
  checkout_rev repo inline co-inline
  assert_streq "$(stat -c %a co-inline/usr/bin/plain)" "$(printf '%o' $((0$(stat -c %a tree/usr/bin/plain) | 02000)))" \
    "--statoverride applied"
  for f in usr/bin/plain usr/sbin/capped usr/bin/labelled; do
    assert_streq "$(stat -c %u:%g "co-inline/$f")" 42:43 "--owner-uid/--owner-gid applied"
    assert_streq "$(ima_hex "co-inline/$f" security.evm)" "$(evmctl_evm "co-inline/$f" rsa2048.key.pem sha256)" \
      "commit --ima-evm $f: byte-identical to evmctl"
  done
else
  info "patched ostree with a usable plugin not here: commit --ima-evm not tested in this run"
fi

state=$(repo_state repo)
run_fail repair-evm oima sign --repo=repo --repair --evm "$src" x
assert_error_matches repair-evm '--repair signs nothing'
assert_ref_unchanged repo "$state"
echo "PASS: $TEST_NAME"
