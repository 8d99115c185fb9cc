#!/bin/bash
# Plugin loading: no plugin = stock behaviour; a broken or incompatible
# module is skipped with a warning; pull and deploy hooks can veto.
. "$(dirname "$0")/lib.sh"

mkdir -p tree/usr/bin; echo a > tree/usr/bin/a; echo b > tree/b
empty=$T/no-plugins; mkdir -p "$empty"

# 1. No plugin: --ima-sign fails naming the plugin; plain commits are stock.
postree init --repo=repo --mode=archive
before=$(repo_objects_state repo)
if OSTREE_PLUGIN_PATH=$empty postree commit --repo=repo -b x --tree=dir=tree --ima-sign --ima-key=k 2>err; then
    fail "--ima-sign without plugin succeeded"
fi
assert_file_has err 'Unknown option --ima-sign (no ostree plugin "ima" is installed'
[ "$(wc -l < err)" = 1 ] || fail "not a one-line error"
[ "$(repo_objects_state repo)" = "$before" ] || fail "failed commit wrote objects"
ok "no plugin: $(cat err)"

sostree init --repo=stock --mode=archive
c1=$(OSTREE_PLUGIN_PATH=$empty postree commit --repo=repo -b p --tree=dir=tree --timestamp=2020-01-01 -s s)
c2=$(sostree commit --repo=stock -b p --tree=dir=tree --timestamp=2020-01-01 -s s)
[ "$c1" = "$c2" ] || fail "plain commit differs from stock ($c1 vs $c2)"
ok "plain commit is byte-identical to stock ostree's ($c1)"
if [ -n "$PLUGIN_DIR" ]; then
    postree init --repo=repo3 --mode=archive
    c3=$(iostree commit --repo=repo3 -b p --tree=dir=tree --timestamp=2020-01-01 -s s)
    [ "$c3" = "$c2" ] || fail "plain commit with the ima plugin loaded differs from stock"
    ok "plain commit with the ima plugin loaded (no --ima-sign) is identical too"
fi

# 2. Broken modules: a warning, never a crash.
mkdir bad; echo "not an ELF" > bad/garbage.so
printf 'int x;\n' > nosym.c
if cc -shared -fPIC -o bad/nosym.so nosym.c 2>/dev/null; then :; fi
OSTREE_PLUGIN_PATH=$T/bad postree commit --repo=repo -b w --tree=dir=tree 2>err >/dev/null ||
    { cat err; fail "commit failed with broken plugins"; }
assert_file_has err "warning: ignoring plugin $T/bad/garbage.so"
[ -e bad/nosym.so ] && assert_file_has err "nosym.so: no ostree_plugin_get_info() entry point"
ok "broken modules are skipped with a warning"

if [ -n "$TEST_PLUGIN_DIR" ]; then
    export OSTREE_TEST_PLUGIN_LOG=$T/plugin.log
    OSTREE_TEST_PLUGIN_ABI=99 OSTREE_PLUGIN_PATH=$TEST_PLUGIN_DIR postree refs --repo=repo >/dev/null 2>err || true
    OSTREE_TEST_PLUGIN_ABI=99 OSTREE_PLUGIN_PATH=$TEST_PLUGIN_DIR postree commit --repo=repo -b abi --tree=dir=tree >/dev/null 2>err ||
        { cat err; fail "commit failed with an incompatible plugin"; }
    assert_file_has err "incompatible with version 1"
    ok "incompatible ABI version: $(cat err)"

    # 3. Pull hook: sees the commit before the ref moves; can veto.
    postree init --repo=dst --mode=archive
    rev=$(postree rev-parse --repo=repo p)
    OSTREE_PLUGIN_PATH=$TEST_PLUGIN_DIR postree pull-local --repo=dst repo p >/dev/null
    assert_file_has plugin.log "pull (none) p $rev"
    [ "$(postree rev-parse --repo=dst p)" = "$rev" ] || fail "allowed pull did not move the ref"
    ok "pull hook runs before the ref moves"
    postree commit --repo=repo -b p --tree=dir=tree -s newer >/dev/null
    if OSTREE_TEST_PLUGIN_VETO_PULL=1 OSTREE_PLUGIN_PATH=$TEST_PLUGIN_DIR postree pull-local --repo=dst repo p >out 2>err; then
        fail "vetoed pull succeeded"
    fi
    assert_file_has err "test plugin rejected commit"
    assert_file_has err "$TEST_VETO"
    [ "$(postree rev-parse --repo=dst p)" = "$rev" ] || fail "vetoed pull moved the ref"
    ok "pull hook veto: ref unchanged ($(cat err))"

    # 4. Deploy hook
    if is_root; then
        mkdir -p os/usr/lib/modules/1.0 os/usr/etc os/usr/bin
        echo kernel > os/usr/lib/modules/1.0/vmlinuz
        echo initrd > os/usr/lib/modules/1.0/initramfs.img
        echo "ID=testos" > os/usr/lib/os-release
        echo tool > os/usr/bin/tool
        mkdir -p sysroot
        postree admin init-fs sysroot >/dev/null
        postree admin os-init --sysroot=sysroot testos >/dev/null
        postree commit --repo=sysroot/ostree/repo -b testos/1 --tree=dir=os >/dev/null
        if OSTREE_TEST_PLUGIN_VETO_DEPLOY=1 OSTREE_PLUGIN_PATH=$TEST_PLUGIN_DIR \
            postree admin deploy --sysroot=sysroot --os=testos testos/1 >out 2>err; then
            fail "vetoed deploy succeeded"
        fi
        assert_file_has err "test plugin rejected deployment"
        ! ls sysroot/boot/loader/entries/*.conf >/dev/null 2>&1 || fail "vetoed deploy wrote a boot entry"
        ok "deploy hook veto: no boot entry ($(cat err))"
        OSTREE_TEST_PLUGIN_DEPLOY_XATTR=usr/bin/tool OSTREE_PLUGIN_PATH=$TEST_PLUGIN_DIR \
            postree admin deploy --sysroot=sysroot --os=testos testos/1 >out 2>err || { cat err; fail "deploy"; }
        ls sysroot/boot/loader/entries/*.conf >/dev/null || fail "no boot entry"
        d=$(ls -d sysroot/ostree/deploy/testos/deploy/*.0)
        getfattr -n user.ostree-test --only-values "$d/usr/bin/tool" | grep -qx deployed || fail "deploy xattr missing"
        postree fsck --repo=sysroot/ostree/repo >/dev/null || fail "deploy hook changed a repo object"
        ok "deploy hook changed xattrs in the deployment before the boot entry was written"
    fi
else
    echo "ok - # SKIP test plugin not built"
fi
echo PASS
