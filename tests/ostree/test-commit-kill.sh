#!/bin/bash
# A kill -9 at every rename of `ostree commit` (strace fault injection,
# N over the whole range): with the patched ostree the repository always
# fscks (commit objects are moved into place last), the ref is unchanged
# or complete, and the next commit succeeds.  Stock ostree, for the record,
# can leave a commit whose dirtrees are still in the staging directory.
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || skip "strace not installed"
# Only ostree's own code runs here (no plugin): the sanitizer stage of
# ci/test, which preloads the ASan runtime into ostree, adds nothing.
case ${LD_PRELOAD:-} in *libasan*) skip "no code of ours runs; not repeated under ASan" ;; esac

mkdir -p tree/usr/bin tree/usr/lib/deep/er tree/etc
for i in $(seq 1 3); do
    echo "bin $i" > tree/usr/bin/b$i
    echo "lib $i" > tree/usr/lib/deep/er/l$i
    echo "etc $i" > tree/etc/e$i
done
ln -s b1 tree/usr/bin/link

# kill_at OSTREE_FN MODE N: commit into a fresh repo, SIGKILL at the Nth rename.
kill_at() {
    local fn=$1 mode=$2 n=$3
    rm -rf repo
    $fn init --repo=repo --mode="$mode"
    strace -f -qq -o /dev/null -e trace=rename,renameat,renameat2 \
        -e inject=rename,renameat,renameat2:signal=KILL:when="$n" \
        "$OSTREE_FOR_STRACE" commit --repo=repo -b x --tree=dir=tree >/dev/null 2>&1 || true
}
count_renames() {
    local fn=$1 mode=$2
    rm -rf repo
    $fn init --repo=repo --mode="$mode"
    strace -f -qq -o renames.log -e trace=rename,renameat,renameat2 \
        "$OSTREE_FOR_STRACE" commit --repo=repo -b x --tree=dir=tree >/dev/null
    grep -c 'rename' renames.log
}

for mode in bare archive; do
    export LD_LIBRARY_PATH="$P/lib"
    OSTREE_FOR_STRACE=$P/bin/ostree
    total=$(count_renames postree "$mode")
    [ "$total" -gt 10 ] || fail "$mode: only $total renames seen"
    for n in $(seq 1 "$total"); do
        kill_at postree "$mode" "$n"
        postree fsck --repo=repo >fsck.out 2>&1 || {
            cat fsck.out; fail "$mode: kill at rename $n of $total left a repository fsck rejects"; }
        ref=$(postree rev-parse --repo=repo x 2>/dev/null || true)
        [ -z "$ref" ] || postree ls --repo=repo -R x >/dev/null || fail "$mode: kill at $n: ref to an incomplete commit"
        postree commit --repo=repo -b x --tree=dir=tree >/dev/null || fail "$mode: commit after a kill at $n"
        postree fsck --repo=repo >/dev/null 2>&1 || fail "$mode: fsck after recommitting (kill at $n)"
    done
    ok "$mode: kill -9 at each of $total renames of a commit: fsck clean, ref unchanged or complete"

    # Stock ostree, for comparison (not a failure of ours): once.
    [ "$mode" = bare ] || continue
    unset LD_LIBRARY_PATH
    OSTREE_FOR_STRACE=$STOCK_OSTREE
    total=$(count_renames sostree "$mode")
    bad=0
    for n in $(seq 1 "$total"); do
        kill_at sostree "$mode" "$n"
        sostree fsck --repo=repo >/dev/null 2>&1 || bad=$((bad + 1))
    done
    echo "# $mode: stock ostree leaves a repository fsck rejects after $bad of $total kill points"
done
echo PASS
