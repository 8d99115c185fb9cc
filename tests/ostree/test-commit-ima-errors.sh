#!/bin/bash
# Bad input to ostree commit --ima-sign: a clear one-line error, nothing written.
. "$(dirname "$0")/lib.sh"
[ -n "$PLUGIN_DIR" ] && [ -e "$PLUGIN_DIR/ostree-ima-plugin.so" ] || skip "plugin not built"

make_key k
make_key other
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes-256-cbc -pass pass:secret \
    -out enc.pem 2>/dev/null
echo secret > pass.txt
echo wrong > wrongpass.txt
mkdir -p tree; echo data > tree/f
postree init --repo=repo --mode=archive
postree init --repo=ruo --mode=bare-user-only

expect_fail() {  # REPO EXPECTED-TEXT ARGS...
    local repo=$1 text=$2; shift 2
    local before after
    before=$(repo_objects_state "$repo")
    if iostree commit --repo="$repo" -b b --tree=dir=tree "$@" >out 2>err; then
        fail "commit $* succeeded"
    fi
    assert_file_has err "$text"
    [ "$(wc -l < err)" = 1 ] || { cat err; fail "error is not one line: $*"; }
    after=$(repo_objects_state "$repo")
    [ "$before" = "$after" ] || fail "commit $* wrote to the repository"
    ok "$* -> $(cat err)"
}

expect_fail repo "--ima-sign requires --ima-key=KEY" --ima-sign
expect_fail repo "--ima-key requires --ima-sign" --ima-key=k.pem
expect_fail repo "--ima-cert requires --ima-sign" --ima-cert=k.crt
expect_fail repo "--ima-key:" --ima-sign --ima-key=missing.pem
expect_fail repo "--ima-key:" --ima-sign --ima-key=tree/f
expect_fail repo "--ima-hash:" --ima-sign --ima-key=k.pem --ima-hash=nosuchhash
expect_fail repo "--ima-hash: sha1 is too weak to sign with: the kernel accepts it, but collisions are practical, so a signature over it proves little (--ima-allow-weak-hash signs with it anyway)" \
    --ima-sign --ima-key=k.pem --ima-hash=sha1
expect_fail repo "--ima-cert:" --ima-sign --ima-key=k.pem --ima-cert=other.crt
expect_fail repo "--ima-cert:" --ima-sign --ima-key=k.pem --ima-cert=missing.crt
expect_fail repo "--ima-key:" --ima-sign --ima-key=enc.pem
expect_fail repo "--ima-key:" --ima-sign --ima-key=enc.pem --ima-key-pass-file=wrongpass.txt
expect_fail repo "--ima-key-pass-file:" --ima-sign --ima-key=enc.pem --ima-key-pass-file=missing.txt
expect_fail repo "--ima-jobs must be between 1 and 1024" --ima-sign --ima-key=k.pem --ima-jobs=0
expect_fail repo "--ima-exclude requires --ima-sign" --ima-exclude='/usr/*'
expect_fail repo "--ima-include/--ima-exclude: Include glob 'usr/*' is not an absolute path" \
    --ima-sign --ima-key=k.pem --ima-include='usr/*'
expect_fail repo "--ima-include/--ima-exclude: Exclude glob '/usr/[a' has a '[' that is never closed" \
    --ima-sign --ima-key=k.pem --ima-exclude='/usr/[a'
expect_fail ruo "bare-user-only repository cannot store xattrs" --ima-sign --ima-key=k.pem
# an unreadable file in the tree: the commit fails, the ref does not move
if [ "$(id -u)" != 0 ]; then
    chmod 000 tree/f
    expect_fail repo "tree/f" --ima-sign --ima-key=k.pem
    chmod 644 tree/f
fi

# The encrypted key works with the right passphrase file, and with the env var
iostree commit --repo=repo -b enc --tree=dir=tree --ima-sign --ima-key=enc.pem \
    --ima-key-pass-file=pass.txt >/dev/null
OSTREE_IMA_KEY_PASS=secret iostree commit --repo=repo -b enc2 --tree=dir=tree --ima-sign \
    --ima-key=enc.pem >/dev/null
ok "encrypted key with --ima-key-pass-file and OSTREE_IMA_KEY_PASS"
echo PASS
