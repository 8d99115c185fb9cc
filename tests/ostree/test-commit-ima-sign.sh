#!/bin/bash
# ostree commit --ima-sign (our plugin in the patched ostree) for dir=, tar=
# and ref= trees into bare, bare-user and archive repositories: every
# regular file verifies with evmctl, RSA signatures are byte-identical to
# `evmctl ima_sign`, and the commits pass Debian's stock ostree fsck and
# check out with it.
. "$(dirname "$0")/lib.sh"
is_root || skip "needs root (security.* xattrs on checkouts)"
[ -n "$PLUGIN_DIR" ] && [ -e "$PLUGIN_DIR/ostree-ima-plugin.so" ] || skip "plugin not built"
command -v getfattr >/dev/null || skip "getfattr (attr) not installed"

make_key k

# The tree: executables, a hardlink, a symlink, an empty file, duplicate
# contents, a big file, an xattr that must survive, and a stale security.ima
# that must be replaced.
mkdir -p tree/usr/bin tree/usr/lib tree/usr/share tree/etc
printf '#!/bin/sh\necho hello\n' > tree/usr/bin/hello
chmod 0755 tree/usr/bin/hello
ln tree/usr/bin/hello tree/usr/bin/hello2
ln -s hello tree/usr/bin/link
: > tree/etc/empty
echo "conf=1" > tree/etc/conf
setfattr -n user.foo -v bar tree/etc/conf
setfattr -n security.ima -v 0x04041111111111111111111111111111111111111111111111111111111111111111 tree/usr/bin/hello
echo same > tree/usr/share/dup1
echo same > tree/usr/share/dup2
head -c 3000000 /dev/urandom > tree/usr/lib/big
n_regular=7
tar --xattrs --xattrs-include='*' -C tree -cf tree.tar .

check_checkout() {  # DIR WHAT
    local dir=$1 what=$2 n
    n=$(verify_tree "$dir" k.der)
    [ "$n" = "$n_regular" ] || fail "$what: $n regular files verified, expected $n_regular"
    # user.foo kept next to security.ima
    getfattr -n user.foo --only-values "$dir/etc/conf" | grep -qx bar || fail "$what: user.foo lost"
}

# evmctl's signature of the same content, as hex
evmctl_sig() {  # FILE ALG
    cp "$1" "$T/oracle"
    evmctl ima_sign --key k.pem -a "$2" "$T/oracle" >/dev/null 2>&1
    getfattr -n security.ima -e hex --only-values "$T/oracle" 2>/dev/null | xxd -p | tr -d '\n'
    rm -f "$T/oracle"
}
ima_hex() { getfattr -n security.ima --only-values "$1" | xxd -p | tr -d '\n'; }

for mode in bare bare-user archive; do
    rm -rf repo; postree init --repo=repo --mode=$mode
    # a plain commit for ref=
    postree commit --repo=repo -b plain --tree=dir=tree >/dev/null
    for kind in dir tar ref; do
        case $kind in
            dir) src=dir=tree ;;
            tar) src=tar=tree.tar ;;
            ref) src=ref=plain ;;
        esac
        for alg in sha256 sha512; do
            b=$kind-$alg
            iostree commit --repo=repo -b "$b" --tree="$src" --ima-sign --ima-key=k.pem \
                --ima-cert=k.crt --ima-hash=$alg > commit.out
            rm -rf co; postree checkout --repo=repo "$b" co
            check_checkout co "$mode $kind $alg"
            for f in usr/bin/hello usr/lib/big etc/empty usr/share/dup2; do
                [ "$(ima_hex co/$f)" = "$(evmctl_sig co/$f $alg)" ] ||
                    fail "$mode $kind $alg: $f signature differs from evmctl ima_sign"
            done
            rm -rf co
        done
        ok "$mode: --tree=$kind signs every file (sha256, sha512), byte-identical to evmctl"
    done
    # --base: the files taken unchanged from the base commit are signed too,
    # and the overlay's file wins.
    rm -rf overlay; mkdir -p overlay/usr/bin overlay/usr/local
    echo overlay > overlay/usr/local/new
    printf '#!/bin/sh\necho overlaid\n' > overlay/usr/bin/hello2
    iostree commit --repo=repo -b based --base=plain --tree=dir=overlay --ima-sign \
        --ima-key=k.pem >/dev/null
    rm -rf co; postree checkout --repo=repo based co
    n=$(verify_tree co k.der)
    [ "$n" = $((n_regular + 1)) ] || fail "$mode --base: $n of $((n_regular + 1)) files signed"
    grep -qx 'echo overlaid' co/usr/bin/hello2 || fail "$mode --base: the overlay did not win"
    [ "$(ima_hex co/usr/lib/big)" = "$(evmctl_sig co/usr/lib/big sha256)" ] ||
        fail "$mode --base: a base file's signature differs from evmctl ima_sign"
    rm -rf co
    ok "$mode: --base: files from the base commit are signed too ($n files)"
    # --ima-include/--ima-exclude select among them, as `ostree ima sign` does.
    iostree commit --repo=repo -b based-sel --base=plain --tree=dir=overlay --ima-sign \
        --ima-key=k.pem --ima-include='/usr/*' --ima-exclude='/usr/share/*' >/dev/null
    rm -rf co; postree checkout --repo=repo based-sel co
    for f in usr/bin/hello usr/lib/big usr/local/new; do
        evmctl ima_verify --key k.der "co/$f" >/dev/null 2>&1 || fail "$mode --ima-include: $f not signed"
    done
    for f in usr/share/dup1 etc/conf; do
        ! getfattr -n security.ima "co/$f" >/dev/null 2>&1 || fail "$mode --ima-exclude: $f signed"
    done
    rm -rf co
    ok "$mode: --ima-include/--ima-exclude select the files to sign, --base files included"
    # Devino cache hits (a hardlinked checkout of the repository's objects)
    # go through the hook, with and without --devino-canonical.
    if [ "$mode" = bare ]; then
        for speedup in --link-checkout-speedup --devino-canonical; do
            rm -rf hl; postree checkout --repo=repo -H plain hl
            iostree commit --repo=repo -b "hl$speedup" --tree=dir=hl $speedup --ima-sign \
                --ima-key=k.pem >/dev/null
            rm -rf co; postree checkout --repo=repo "hl$speedup" co
            check_checkout co "$mode $speedup"
            rm -rf co hl
        done
        ok "$mode: hardlinked checkouts with --link-checkout-speedup and --devino-canonical are signed"
    fi
    # stock Debian ostree accepts and checks out what we wrote
    sostree fsck --repo=repo >fsck.out 2>&1 || { cat fsck.out; fail "$mode: stock ostree fsck"; }
    rm -rf co; sostree checkout --repo=repo dir-sha256 co
    check_checkout co "$mode stock checkout"
    rm -rf co
    ok "$mode: stock ostree fsck passes and its checkout verifies"
done

# Combined with --owner-uid, --statoverride, --add-metadata: the signature
# covers the final content, and the other changes apply.
rm -rf repo; postree init --repo=repo --mode=bare
echo "+04000 /usr/bin/hello" > so.txt
iostree commit --repo=repo -b combo --tree=dir=tree --owner-uid=4242 --owner-gid=4343 \
    --statoverride=so.txt --ima-sign --ima-key=k.pem >/dev/null
rm -rf co; postree checkout --repo=repo combo co
check_checkout co "combined options"
[ "$(stat -c %u:%g co/usr/lib/big)" = 4242:4343 ] || fail "--owner-uid/gid not applied"
# same mode as stock ostree gives with the same --statoverride
rm -rf srepo; sostree init --repo=srepo --mode=bare
sostree commit --repo=srepo -b combo --tree=dir=tree --owner-uid=4242 --owner-gid=4343 \
    --statoverride=so.txt >/dev/null
[ "$(postree ls --repo=repo combo /usr/bin/hello | awk '{print $1}')" = \
  "$(sostree ls --repo=srepo combo /usr/bin/hello | awk '{print $1}')" ] || fail "--statoverride applied differently"
[ "$(stat -c %a co/usr/bin/hello)" != 755 ] || fail "--statoverride not applied"
sostree fsck --repo=repo >/dev/null
ok "--ima-sign combines with --owner-uid, --owner-gid and --statoverride"

# Several trees in one commit: the later tree's file wins, signed for its content
mkdir -p over/usr/bin; echo "overridden" > over/usr/bin/hello; chmod 755 over/usr/bin/hello
iostree commit --repo=repo -b layered --tree=dir=tree --tree=dir=over --ima-sign --ima-key=k.pem >/dev/null
rm -rf co; postree checkout --repo=repo layered co
check_checkout co "layered trees"
grep -qx overridden co/usr/bin/hello || fail "layered: wrong content"
ok "several --tree arguments: each file signed for its final content"

# tar from stdin
iostree commit --repo=repo -b stdin --tree=tar=- --ima-sign --ima-key=k.pem < tree.tar >/dev/null
rm -rf co; postree checkout --repo=repo stdin co
check_checkout co "tar from stdin"
ok "--tree=tar=- (stdin) is signed too"

# An archive file is read ahead on another thread (its files signed there);
# stdin cannot be, and a compression the read-ahead does not read only
# stops the read-ahead: every file is signed all the same.
gzip -c tree.tar > tree.tar.gz
tar_commit() {  # NAME SOURCE [< stdin]
    OSTREE_IMA_DEBUG=1 iostree commit --repo=repo -b "$1" --tree=tar="$2" --ima-sign \
        --ima-key=k.pem 2>"$T/$1.err" >/dev/null
    rm -rf co; postree checkout --repo=repo "$1" co
    check_checkout co "$1"
}
tar_commit ahead tree.tar
grep -q '^ima: tar read-ahead hashed 6 files$' "$T/ahead.err" ||
    fail "tar=tree.tar: no read-ahead of its 6 regular entries: $(cat "$T/ahead.err")"
tar_commit ahead-gz tree.tar.gz
grep -q '^ima: tar read-ahead hashed 6 files$' "$T/ahead-gz.err" ||
    fail "tar=tree.tar.gz: no read-ahead: $(cat "$T/ahead-gz.err")"
tar_commit ahead-stdin - < tree.tar
grep -q 'read-ahead' "$T/ahead-stdin.err" && fail "tar=- was read ahead: $(cat "$T/ahead-stdin.err")"
if command -v xz >/dev/null; then
    xz -c tree.tar > tree.tar.xz
    tar_commit ahead-xz tree.tar.xz
    grep -q '^ima: tar read-ahead hashed 0 files, then stopped: xz-compressed tar archives are not read' \
        "$T/ahead-xz.err" || fail "tar=tree.tar.xz: $(cat "$T/ahead-xz.err")"
fi
for b in ahead ahead-gz ahead-stdin; do
    [ "$(postree ls --repo=repo -R -X "$b" | sort)" = "$(postree ls --repo=repo -R -X stdin | sort)" ] ||
        fail "$b differs from the commit of the same archive from stdin"
done
ok "tar= archives (plain, gzip) are read ahead and signed on another thread, with the same result"

# A fast key lets the read-ahead race ahead of the import.  It stays at
# most about a thousand files ahead, so the import finds every signature
# made ahead still remembered: one signature a distinct file, not two.
# (Unbounded, this archive took 11,081 P-256 signatures for 6,000 files.)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem 2>/dev/null
chmod 600 ec.pem
mkdir -p many6k
for i in $(seq 1 6000); do echo "file $i" >"many6k/f$i"; done
tar -C many6k -cf many6k.tar .
# Both ways of signing ahead: on the read-ahead thread (two CPUs, as here)
# and on the workers (more CPUs; forced here).
for w in 0 1; do
    OSTREE_IMA_TAR_SIGN_ON_WORKERS=$w OSTREE_IMA_DEBUG=1 iostree commit --repo=repo -b many6k-$w \
        --tree=tar=many6k.tar --ima-sign --ima-key=ec.pem --ima-no-reuse --ima-no-cache \
        2>"$T/many6k-$w.err" >/dev/null
    grep -q '^ima: tar read-ahead hashed 6000 files$' "$T/many6k-$w.err" ||
        fail "6000-file archive (workers: $w): $(cat "$T/many6k-$w.err")"
    grep -q '^ima: 6000 signatures made, 0 reused$' "$T/many6k-$w.err" ||
        fail "6000-file archive (workers: $w) signed more than once a file: $(cat "$T/many6k-$w.err")"
    [ "$(postree ls --repo=repo -R -X many6k-$w | grep -c security.ima)" = 6000 ] ||
        fail "6000-file archive (workers: $w): not every file signed"
done
ok "the tar= read-ahead stays within the signatures the import can still find (6,000 files, P-256, on its thread and on the workers)"

# Cost: a signed commit of many small files vs an unsigned one (printed only)
mkdir -p many
for i in $(seq 1 1500); do echo "file $i" > many/f$i; done
head -c 20000000 /dev/urandom > many/big
s0=$(date +%s%N); postree commit --repo=repo -b u --tree=dir=many >/dev/null; s1=$(date +%s%N)
iostree commit --repo=repo -b s --tree=dir=many --ima-sign --ima-key=k.pem >/dev/null; s2=$(date +%s%N)
echo "# 1501 files: unsigned commit $(( (s1 - s0) / 1000000 )) ms, signed $(( (s2 - s1) / 1000000 )) ms"

# --selinux-policy: needs a policy to label with
if [ -f /etc/selinux/config ] && [ -d /etc/selinux/default ]; then
    iostree commit --repo=repo -b selinux --tree=dir=tree --selinux-policy=/ --ima-sign --ima-key=k.pem >/dev/null
    rm -rf co; postree checkout --repo=repo selinux co
    check_checkout co "selinux"
    getfattr -n security.selinux co/usr/lib/big >/dev/null || fail "no SELinux label"
    ok "--ima-sign combines with --selinux-policy"
else
    echo "ok - # SKIP --selinux-policy: no SELinux policy installed on this machine"
fi
echo "PASS"
