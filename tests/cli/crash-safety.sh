#!/bin/bash
# A kill -9 at any moment of `ostree-ima sign` leaves the target ref
# unchanged or complete, `ostree fsck` clean, and the next run succeeds.
# strace kills the process at the Nth rename/link of an object into place
# (libostree moves a transaction's objects in directory order, so a commit
# object could land before its dirtrees: the signer writes content and
# trees in one transaction and the commit and ref in a second).  strace
# counts per thread, so N sweeps up to the first run that is not killed:
# every rename of the thread that commits (the main one) is covered.  In
# each repository mode.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init strace

gen_key rsa2048 key
mkdir -p tree/usr/bin tree/usr/lib tree/etc
for i in $(seq 1 12); do echo "file $i" > "tree/usr/bin/f$i"; done
for i in $(seq 1 4); do echo "lib $i" > "tree/usr/lib/l$i"; done
echo conf > tree/etc/conf
ln -s f1 tree/usr/bin/link

for mode in bare archive; do
  make_repo "$mode" "repo-$mode"
  src=$(commit_tree "repo-$mode" src tree)
  killed=0
  for n in $(seq 1 500); do
    rc=0
    # LeakSanitizer cannot stop the world under strace: no leak check here.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
      strace -f -o /dev/null -e trace=rename,renameat,renameat2,linkat \
      -e inject=rename,renameat,renameat2,linkat:signal=KILL:when="$n" \
      "$OSTREE_IMA" sign --repo="repo-$mode" --key key.key.pem --no-cache "$src" target \
      >"$TEST_TMPDIR/kill.out" 2>&1 || rc=$?
    # Killed (128 + SIGKILL) or done: anything else is a failure of its own.
    case $rc in
    0 | 137) ;;
    *) cat "$TEST_TMPDIR/kill.out" >&2; fatal "$mode: run $n failed with exit status $rc" ;;
    esac
    if ostree --repo="repo-$mode" rev-parse target >/dev/null 2>&1; then
      # The ref moved only after everything was written.
      run_ok "$mode-$n-verify" oima verify --repo="repo-$mode" --cert key.cert.pem target
      ostree --repo="repo-$mode" refs --delete target
    fi
    ostree --repo="repo-$mode" fsck -q >"$TEST_TMPDIR/fsck.out" 2>&1 ||
      { cat "$TEST_TMPDIR/fsck.out" >&2; fatal "$mode: fsck fails after a kill at point $n"; }
    [ "$rc" != 0 ] || break
    killed=$((killed + 1))
  done
  info "$mode: killed at $killed points, then a run completed"
  [ "$killed" -ge 5 ] || fatal "$mode: only $killed kill points: the sweep did not cover the commit"
  # And the next run succeeds.
  run_ok "$mode-after" oima sign --repo="repo-$mode" --key key.key.pem "$src" target
  run_ok "$mode-after-verify" oima verify --repo="repo-$mode" --cert key.cert.pem target
done
echo "PASS: $TEST_NAME"
