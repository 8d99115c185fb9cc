#!/bin/bash
# The patch series' own tests, in ostree's test framework
# (ostree-patches/BASE/000N-*.patch add tests/test-plugins*.sh,
# test-fsck-evm.sh, test-commit-order.sh and the test plugin module),
# installed with the patched build (--enable-installed-tests) and run here
# from PREFIX/share/installed-tests/libostree against that build.  Every
# one must pass; a skip is reported (needs root, strace).
set -uo pipefail
P=${OSTREE_IMA_PATCHED_OSTREE:-}
[ -n "$P" ] || { echo "SKIP: meson option patched_ostree is not set"; exit 77; }
# Only ostree's own code runs here: the sanitizer stage of ci/test, which
# preloads the ASan runtime into ostree, adds nothing (and is slow at it).
case ${LD_PRELOAD:-} in *libasan*) echo "SKIP: no code of ours runs; not repeated under ASan"; exit 77 ;; esac
testsdir=$P/share/installed-tests/libostree
series=(test-plugins.sh test-plugins-pull.sh test-plugins-deploy.sh test-fsck-evm.sh test-commit-order.sh)
for t in "${series[@]}"; do
  [ -f "$testsdir/$t.test" ] || { echo "FAIL: $testsdir/$t.test missing (rebuild with ostree-patches/build)"; exit 1; }
done
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d "${TMPDIR:-/var/tmp}/ostree-ima-series.XXXXXX")
trap 'rm -rf "$out"' EXIT
"$here/upstream-suite.sh" --patched "$P" --testsdir "$testsdir" --jobs 2 --out "$out" "${series[@]}"
rc=0
for t in "${series[@]}"; do
  r=$(awk -v t="$t" '$1 == t { print $2 }' "$out/results.txt")
  case $r in
  PASS) grep -E '^(ok|not ok)' "$out/$t.log" | sed "s/^/  $t: /" ;;
  SKIP) echo "  $t: SKIP: $(grep -m1 -E 'SKIP|skip' "$out/$t.log")" ;;
  *) echo "FAIL: $t: ${r:-no result}"; sed 's/^/    /' "$out/$t.log" | tail -40; rc=1 ;;
  esac
done
[ $rc = 0 ] && echo "PASS: the series' own tests"
exit $rc
