#!/bin/bash
# Run one libFuzzer target for a bounded time (a meson test of suite
# "fuzz"): first every regression input once, then fuzzing from the seed
# corpus (copied: libFuzzer adds what it finds to its first directory).
#   run-fuzzer.sh FUZZER SEED_DIR REGRESSION_DIR SECONDS
# A crash leaves its input in $OSTREE_IMA_FUZZ_ARTIFACTS (default: a temp
# dir, printed): add it to REGRESSION_DIR as a regression test.
set -euo pipefail
fuzzer=$1 seeds=$2 regressions=$3 seconds=${OSTREE_IMA_FUZZ_SECONDS:-$4}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/oima-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts=${OSTREE_IMA_FUZZ_ARTIFACTS:-$work/artifacts}
mkdir -p "$work/corpus" "$artifacts"
cp -r "$seeds"/. "$work/corpus/"
if compgen -G "$regressions/*" >/dev/null; then
  "$fuzzer" -runs=1 "$regressions"/* || { echo "FAIL: a regression input crashes $fuzzer" >&2; exit 1; }
fi
if ! "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$artifacts/" "$work/corpus" 2>"$work/log"; then
  tail -n 60 "$work/log" >&2
  cp -r "$artifacts" "${OSTREE_IMA_FUZZ_KEEP:-/var/tmp}/oima-fuzz-crash.$$" 2>/dev/null || true
  echo "FAIL: $fuzzer crashed; input kept in ${OSTREE_IMA_FUZZ_KEEP:-/var/tmp}/oima-fuzz-crash.$$" >&2
  exit 1
fi
grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$work/log" | tail -2
