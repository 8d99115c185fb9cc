#!/bin/bash
# Run Debian's ostree-tests (upstream's installed tests) against an ostree.
#
#   upstream-suite.sh [--stock | --patched PREFIX] [--testsdir DIR] [--jobs N] [--out DIR] [TEST-GLOB...]
#
# --stock runs them against /usr (Debian's ostree); --patched PREFIX puts
# PREFIX/bin first in PATH and PREFIX/lib first in LD_LIBRARY_PATH and
# GI_TYPELIB_PATH, so the shell, C and gjs tests all use the patched ostree.
# Prints one line per test (PASS/FAIL/SKIP/TIMEOUT) and a summary; writes
# DIR/results.txt (test result) and DIR/<test>.log.  --testsdir runs the
# .test files of DIR instead of Debian's (e.g. the patched build's own,
# PREFIX/share/installed-tests/libostree, for the series' tests).  Exit status 0 even when
# tests fail: the caller compares result sets (see upstream-compare.sh).
set -uo pipefail

mode=stock
prefix=
jobs=$(nproc)
out=
per_test_timeout=${OSTREE_IMA_UPSTREAM_TIMEOUT:-300}
globs=()
testsdir=/usr/share/installed-tests/libostree
while [ $# -gt 0 ]; do
    case $1 in
        --stock) mode=stock ;;
        --patched) mode=patched; prefix=$2; shift ;;
        --jobs) jobs=$2; shift ;;
        --testsdir) testsdir=$2; shift ;;
        --out) out=$2; shift ;;
        *) globs+=("$1") ;;
    esac
    shift
done

if [ ! -d "$testsdir" ]; then
    echo "SKIP: $testsdir missing (apt-get install ostree-tests)"
    exit 77
fi
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/var/tmp}/ostree-upstream.XXXXXX")
mkdir -p "$out"

if [ "$mode" = patched ]; then
    [ -x "$prefix/bin/ostree" ] || { echo "no $prefix/bin/ostree"; exit 1; }
    export PATH="$prefix/bin:$PATH"
    export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export GI_TYPELIB_PATH="$prefix/lib/girepository-1.0${GI_TYPELIB_PATH:+:$GI_TYPELIB_PATH}"
fi
echo "== $mode: ostree is $(command -v ostree), libostree from ${LD_LIBRARY_PATH:-the system}"
# Plugins must not change upstream's results: load none from the
# environment (an installed one in PREFIX/lib/ostree/plugins still loads).
unset OSTREE_PLUGIN_PATH

run_one() {
    local testfile=$1 out=$2 timeout=$3
    local name
    name=$(basename "$testfile" .test)
    local cmd
    cmd=$(sed -n 's/^Exec=//p' "$testfile")
    local tmp
    tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/ostree-upstream-t.XXXXXX")
    local start=$SECONDS
    (cd "$tmp" && exec timeout -k 10 "$timeout" bash -c "exec $cmd") >"$out/$name.log" 2>&1 </dev/null
    local rc=$?
    local secs=$((SECONDS - start))
    local res
    if [ $rc = 0 ]; then
        # TAP tests that skip everything say so
        if grep -qE '^1\.\.0 # (SKIP|skip)' "$out/$name.log"; then res=SKIP; else res=PASS; fi
    elif [ $rc = 77 ]; then res=SKIP
    elif [ $rc = 124 ] || [ $rc = 137 ]; then res=TIMEOUT
    else res=FAIL
    fi
    rm -rf "$tmp" 2>/dev/null || { chattr -R -i "$tmp" 2>/dev/null; rm -rf "$tmp"; } || true
    echo "$name $res ${secs}s"
}
export -f run_one

mapfile -t tests < <(ls -1 "$testsdir"/*.test | sort)
if [ ${#globs[@]} -gt 0 ]; then
    sel=()
    for t in "${tests[@]}"; do
        n=$(basename "$t" .test)
        for g in "${globs[@]}"; do
            # shellcheck disable=SC2053
            if [[ $n == $g ]]; then sel+=("$t"); break; fi
        done
    done
    tests=("${sel[@]}")
fi

start=$SECONDS
printf '%s\n' "${tests[@]}" |
    xargs -P "$jobs" -I{} bash -c 'run_one "$1" "$2" "$3"' _ {} "$out" "$per_test_timeout" |
    tee "$out/results.unsorted"
sort "$out/results.unsorted" | awk '{print $1, $2}' > "$out/results.txt"
rm -f "$out/results.unsorted"
echo "== $mode ostree: $(grep -c ' PASS$' "$out/results.txt") pass," \
     "$(grep -c ' FAIL$' "$out/results.txt") fail," \
     "$(grep -c ' SKIP$' "$out/results.txt") skip," \
     "$(grep -c ' TIMEOUT$' "$out/results.txt") timeout" \
     "of ${#tests[@]} in $((SECONDS - start))s (logs: $out)"
