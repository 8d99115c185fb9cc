#!/bin/bash
# Benchmark (not a meson test): `ostree-ima sign` with one job and with all
# cores against the ostree-ext baseline (`ostree ima-sign`: one
# `evmctl ima_sign` process per file, then a re-commit), emulated here as
# checkout --force-copy + evmctl per regular file + ostree commit.
#
# Usage: tests/bench/sign-bench.sh [--files N] [--large K] [--large-mib M]
#          [--key-type rsa2048|rsa4096|p256|...] [--mode bare|bare-user|archive]
#          [--runs R]
# Defaults: 2000 small files (1..16 KiB, ~10% duplicate content), 4 large
# files of 32 MiB, rsa2048, bare repo, 1 run each (best of R is reported).
# Needs root (bare repo, security.ima on the baseline checkout).
# OSTREE_IMA may point at the binary; default build/plugin/tools/ostree-ima.
set -euo pipefail
TEST_NAME=sign-bench
. "$(dirname "$0")/../libtest.sh"

NFILES=2000
NLARGE=4
LARGE_MIB=32
KEYTYPE=rsa2048
MODE=bare
RUNS=1
while [ $# -gt 0 ]; do
  case "$1" in
  --files) NFILES=$2; shift 2 ;;
  --large) NLARGE=$2; shift 2 ;;
  --large-mib) LARGE_MIB=$2; shift 2 ;;
  --key-type) KEYTYPE=$2; shift 2 ;;
  --mode) MODE=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
  *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

require_root
require_cmd ostree evmctl openssl
[ -x "$OSTREE_IMA" ] || { echo "ostree-ima not built: $OSTREE_IMA (set OSTREE_IMA)" >&2; exit 2; }
oima_setup_tmpdir
NCPU=$(nproc)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }

echo "# building tree: $NFILES small files + $NLARGE x $LARGE_MIB MiB" >&2
mkdir -p tree
# small files: slices of the pool; ~10% share content with another file
bench_small_files "$NFILES" 50 15360 1
for ((i = 0; i < NLARGE; i++)); do
  gen_bytes "large$i" $((LARGE_MIB * 1024 * 1024)) >"tree/usr/lib/large$i"
done
total_bytes=$(du -sb tree | cut -f1)
nreg=$(find tree -type f | wc -l)
echo "# tree: $nreg regular files, $((total_bytes / 1024 / 1024)) MiB" >&2

gen_key "$KEYTYPE" key
make_repo "$MODE" base
commit_tree base src tree >/dev/null
src=$(ostree --repo=base rev-parse src)

# fresh copy of the repo for every measurement (no object already present);
# old ones go to the trash, not away (bench_trash: ext4's recently_deleted)
fresh_repo() {
  bench_trash "$1"
  cp -a base "$1"
}
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }

declare -A best
record() {
  local name=$1 t=$2
  if [ -z "${best[$name]:-}" ] || awk -v a="$t" -v b="${best[$name]}" 'BEGIN {exit !(a < b)}'; then
    best[$name]=$t
  fi
}

baseline() {
  fresh_repo r-base
  drop_caches
  local t0 t1 f
  t0=$(now)
  ostree --repo=r-base checkout --force-copy src co
  while IFS= read -r -d '' f; do
    evmctl ima_sign --key key.key.pem -a sha256 "$f" >/dev/null 2>&1
  done < <(find co -type f -print0)
  ostree --repo=r-base commit --branch=evmctl --tree=dir=co --subject=evmctl-per-file \
    --timestamp=2024-01-01T00:00:00Z >/dev/null
  t1=$(now)
  bench_trash co
  record evmctl-per-file "$(elapsed "$t0" "$t1")"
}

ours() {
  local jobs=$1 t0 t1
  fresh_repo "r-j$jobs"
  drop_caches
  t0=$(now)
  "$OSTREE_IMA" sign --repo="r-j$jobs" --key key.key.pem --jobs "$jobs" "$src" signed >"sign-j$jobs.out"
  t1=$(now)
  record "ostree-ima sign --jobs=$jobs" "$(elapsed "$t0" "$t1")"
}

for ((r = 0; r < RUNS; r++)); do
  echo "# run $((r + 1))/$RUNS: baseline" >&2
  baseline
  echo "# run $((r + 1))/$RUNS: ostree-ima --jobs=1" >&2
  ours 1
  if [ "$NCPU" != 1 ]; then
    echo "# run $((r + 1))/$RUNS: ostree-ima --jobs=$NCPU" >&2
    ours "$NCPU"
  fi
done

# sanity: same signatures as the baseline (RSA is deterministic)
if [[ "$KEYTYPE" == rsa* ]]; then
  sample=/usr/lib/d7/f7
  a=$(ostree_xattr_hex r-j1 signed "$sample" || true)
  b=$(ostree_xattr_hex r-base evmctl "$sample" || true)
  [ -n "$a" ] && [ "$a" = "$b" ] || echo "WARNING: $sample signature differs from evmctl's" >&2
fi

echo
echo "ostree-ima sign benchmark: $nreg files ($NFILES small + $NLARGE x $LARGE_MIB MiB, $((total_bytes / 1024 / 1024)) MiB), $KEYTYPE, $MODE repo, $NCPU cores, best of $RUNS"
base_t=${best[evmctl-per-file]}
printf 'evmctl-per-file (ostree-ext ima-sign emulation): %.2fs\n' "$base_t"
for name in "ostree-ima sign --jobs=1" "ostree-ima sign --jobs=$NCPU"; do
  [ -n "${best[$name]:-}" ] || continue
  t=${best[$name]}
  awk -v n="$name" -v t="$t" -v b="$base_t" \
    'BEGIN {printf "%s: %.3fx of evmctl-per-file (%.1fx faster)   [%.2fs]\n", n, t / b, b / t, t}'
done
echo "summary of the last --jobs=$NCPU run:"
sed 's/^/  /' "sign-j$NCPU.out" 2>/dev/null || sed 's/^/  /' sign-j1.out
