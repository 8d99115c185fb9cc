#!/bin/bash
# The pull and deploy hooks cannot be bypassed (issue: "The hook mechanism
# must not be bypassable"), with the test plugin that vetoes:
#  1. a vetoed pull leaves nothing a later transaction can adopt;
#  2. the pull hook runs for pulls by checksum and for a ref that already
#     points at the commit (not for --commit-metadata-only);
#  3. the /etc merge and ostree_break_hardlink() never copy an inode-bound
#     security.evm (0x02 HMAC, 0x03 signature); a portable one (0x05) stays;
#  4. ostree_break_hardlink() is the deploy hooks' helper: a new inode with
#     the same content, mode, owner and xattrs;
#  5. a vetoed deploy leaves no deployment directory and no origin file.
. "$(dirname "$0")/lib.sh"
[ -n "$TEST_PLUGIN_DIR" ] || skip "the patched build has no test plugin (ostree-patches/build installs it)"
is_root || skip "needs root (sysroots, security.* xattrs, ownership)"
command -v setfattr >/dev/null || skip "setfattr (attr) not installed"
touch xattr-probe
setfattr -n security.evm -v 0x0201 xattr-probe 2>/dev/null ||
    skip "$T does not take security.* xattrs"

export OSTREE_TEST_PLUGIN_LOG=$T/plugin.log
tpostree() { OSTREE_PLUGIN_PATH=$TEST_PLUGIN_DIR postree "$@"; }
veto_pull() { OSTREE_TEST_PLUGIN_VETO_PULL=1 tpostree "$@"; }
hook_calls() { grep -c "^pull " plugin.log 2>/dev/null || true; }
xattr_hex() { getfattr -h -e hex -n "$2" "$1" 2>/dev/null | sed -n "s/^$2=0x//p" || true; }
# Objects, refs, partial markers and anything staged under tmp/.
full_state() {
    (cd "$1" && { find objects refs state -type f; find tmp -mindepth 1 -path '*staging*' -type f; } \
        2>/dev/null | sort | sha256sum)
}

mkdir -p tree/usr/bin; echo a > tree/usr/bin/a
postree init --repo=src --mode=archive
rev1=$(postree commit --repo=src -b p --tree=dir=tree -s one)
echo a2 > tree/usr/bin/a; echo new > tree/usr/bin/new
rev2=$(postree commit --repo=src -b p --tree=dir=tree -s two)

# 1. A vetoed pull leaves nothing behind.
postree init --repo=dst --mode=bare
tpostree pull-local --repo=dst src "$rev1" >/dev/null
postree refs --repo=dst --create=p "$rev1"
before=$(full_state dst)
if veto_pull pull-local --repo=dst src p >out 2>err; then fail "vetoed pull succeeded"; fi
assert_file_has err "$TEST_VETO"
[ "$(postree rev-parse --repo=dst p)" = "$rev1" ] || fail "vetoed pull moved the ref"
[ "$(full_state dst)" = "$before" ] || {
    find dst/tmp dst/state -type f; fail "vetoed pull left files in the repository"; }
# The next unrelated transaction must not adopt the rejected commit.
mkdir -p other; echo other > other/o
postree commit --repo=dst -b unrelated --tree=dir=other >/dev/null
if postree show --repo=dst "$rev2" >/dev/null 2>&1; then
    fail "a later transaction adopted the vetoed commit $rev2"
fi
postree fsck --repo=dst >/dev/null 2>&1 || fail "fsck after a vetoed pull"
ok "vetoed pull: ref, objects, partial markers and staging unchanged; a later commit adopts nothing"

# The same through a sysroot: the rejected commit cannot be deployed.
mkdir -p os/usr/lib/modules/1.0 os/usr/etc os/usr/bin
echo kernel > os/usr/lib/modules/1.0/vmlinuz
echo initrd > os/usr/lib/modules/1.0/initramfs.img
echo "ID=testos" > os/usr/lib/os-release
echo tool > os/usr/bin/tool
echo vendor > os/usr/etc/hostname
echo portable > os/usr/etc/portable.conf
postree init --repo=osrepo --mode=archive
osrev=$(postree commit --repo=osrepo -b testos/1 --tree=dir=os -s os)
mkdir -p sysroot
postree admin init-fs sysroot >/dev/null
postree admin os-init --sysroot=sysroot testos >/dev/null
if veto_pull pull-local --repo=sysroot/ostree/repo osrepo testos/1 >out 2>err; then
    fail "vetoed pull into the sysroot succeeded"
fi
postree commit --repo=sysroot/ostree/repo -b unrelated --tree=dir=other >/dev/null
if postree admin deploy --sysroot=sysroot --os=testos --karg-none "$osrev" >out 2>err; then
    fail "deployed a commit whose pull was vetoed"
fi
ok "a commit whose pull was vetoed cannot be deployed later ($(head -1 err))"

# 2. Every pulled commit goes through the hook.
postree init --repo=bysum --mode=archive
before=$(full_state bysum)
if veto_pull pull-local --repo=bysum src "$rev2" >out 2>err; then
    fail "vetoed pull by checksum succeeded"
fi
assert_file_has err "$TEST_VETO"
[ "$(full_state bysum)" = "$before" ] || fail "vetoed pull by checksum wrote objects"
tpostree pull-local --repo=bysum src "$rev2" >/dev/null
assert_file_has plugin.log "pull (none) (none) $rev2"
ok "pull by checksum: the hook runs, a veto writes nothing"

n=$(hook_calls)
tpostree pull-local --repo=bysum src p >/dev/null
tpostree pull-local --repo=bysum src p >/dev/null
[ "$(hook_calls)" = $((n + 2)) ] || fail "the hook did not run for a ref already at the commit"
if veto_pull pull-local --repo=bysum src p >out 2>err; then
    fail "vetoed re-pull of an unchanged ref succeeded"
fi
[ "$(postree rev-parse --repo=bysum p)" = "$rev2" ] || fail "ref changed"
ok "the hook runs (and can veto) when the ref already points at the commit"

n=$(hook_calls)
postree init --repo=metaonly --mode=archive
veto_pull pull-local --repo=metaonly --commit-metadata-only src p >/dev/null ||
    fail "--commit-metadata-only pull failed"
[ "$(hook_calls)" = "$n" ] || fail "the hook ran for a commit-metadata-only pull"
ok "--commit-metadata-only pulls no content and is not shown to the hook"

# 3-5. Deployments.
tpostree pull-local --repo=sysroot/ostree/repo osrepo testos/1 >/dev/null
postree admin deploy --sysroot=sysroot --os=testos --karg-none testos/1 >/dev/null
d0=$(ls -d sysroot/ostree/deploy/testos/deploy/*.0)
# The device changes /etc: an HMAC the kernel wrote on the old inodes, a
# non-portable signature, and a portable signature that must travel.
echo device > "$d0/etc/hostname"
setfattr -n security.evm -v 0x02aabbccdd "$d0/etc/hostname"
setfattr -n security.ima -v 0x04041122 "$d0/etc/hostname"
setfattr -n user.keep -v kept "$d0/etc/hostname"
echo added > "$d0/etc/foo.conf"
setfattr -n security.evm -v 0x0302040506 "$d0/etc/foo.conf"
mkdir "$d0/etc/newdir"; echo x > "$d0/etc/newdir/x"
setfattr -n security.evm -v 0x02ccdd "$d0/etc/newdir"
setfattr -n security.evm -v 0x02eeff "$d0/etc/newdir/x"
echo changed > "$d0/etc/portable.conf"
setfattr -n security.evm -v 0x0502112233 "$d0/etc/portable.conf"
postree admin deploy --sysroot=sysroot --os=testos --karg-none testos/1 >/dev/null
d1=$(ls -d sysroot/ostree/deploy/testos/deploy/*.1)
[ "$(cat "$d1/etc/hostname")" = device ] || fail "/etc merge lost the change"
for f in etc/hostname etc/foo.conf etc/newdir etc/newdir/x; do
    [ -z "$(xattr_hex "$d1/$f" security.evm)" ] || fail "/etc merge copied the inode-bound security.evm of $f"
done
[ "$(xattr_hex "$d1/etc/hostname" security.ima)" = 04041122 ] || fail "/etc merge lost security.ima"
[ "$(getfattr -n user.keep --only-values "$d1/etc/hostname")" = kept ] || fail "/etc merge lost user.keep"
[ "$(xattr_hex "$d1/etc/portable.conf" security.evm)" = 0502112233 ] ||
    fail "/etc merge dropped a portable EVM signature"
ok "/etc merge: inode-bound security.evm (0x02, 0x03) not copied, files and dirs; 0x05 and other xattrs kept"

# 4. The deploy hook's helper, on an object that carries an HMAC of its own
# inode (a kernel with EVM writes one on the hardlinked object).
obj=$(ls -i "$d1/usr/bin/tool" | awk '{print $1}')
setfattr -n security.evm -v 0x02a1a2 "$d1/usr/bin/tool"
before_obj=$(getfattr -d -m - -e hex "$d1/usr/bin/tool" | grep -v '^#')
OSTREE_TEST_PLUGIN_DEPLOY_XATTR=usr/bin/tool tpostree admin deploy --sysroot=sysroot \
    --os=testos --karg-none testos/1 >out 2>err || { cat err; fail "deploy with the xattr change"; }
d2=$(ls -d sysroot/ostree/deploy/testos/deploy/*.2)
f=$d2/usr/bin/tool
[ "$(ls -i "$f" | awk '{print $1}')" != "$obj" ] || fail "the hardlink was not broken"
[ "$(cat "$f")" = tool ] || fail "content changed"
[ "$(stat -c '%a %u %g' "$f")" = "$(stat -c '%a %u %g' "$d1/usr/bin/tool")" ] || fail "mode or owner changed"
[ "$(getfattr -n user.ostree-test --only-values "$f")" = deployed ] || fail "the hook's xattr is missing"
[ -z "$(xattr_hex "$f" security.evm)" ] || fail "ostree_break_hardlink copied an inode-bound security.evm"
[ "$(getfattr -d -m - -e hex "$d1/usr/bin/tool" | grep -v '^#')" = "$before_obj" ] ||
    fail "the repository object changed"
ok "ostree_break_hardlink: new inode, same content, mode and owner; the object's HMAC stays with the object"

# 5. A vetoed deploy leaves nothing behind.
status_before=$(postree admin status --sysroot=sysroot)
list_before=$(ls -a sysroot/ostree/deploy/testos/deploy/)
if OSTREE_TEST_PLUGIN_VETO_DEPLOY=1 tpostree admin deploy --sysroot=sysroot --os=testos \
    --karg-none testos/1 >out 2>err; then
    fail "vetoed deploy succeeded"
fi
assert_file_has err "$TEST_VETO"
[ "$(ls -a sysroot/ostree/deploy/testos/deploy/)" = "$list_before" ] || {
    ls -a sysroot/ostree/deploy/testos/deploy/; fail "vetoed deploy left a deployment behind"; }
[ "$(postree admin status --sysroot=sysroot)" = "$status_before" ] || fail "admin status changed"
ok "vetoed deploy: no deployment directory, no origin file, status unchanged"
echo PASS
