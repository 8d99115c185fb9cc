#!/bin/bash
# Benchmark (not a meson test): the cost of signing inline.  Times the
# patched `ostree commit` of one tree without signing (the baseline) and
# with --ima-sign (worker threads: all cores, and 1), and prints each as a
# ratio of the unsigned commit.
#
# Usage: tests/bench/commit-bench.sh --ostree PREFIX --plugin-dir DIR
#          [--files N] [--mode bare|bare-user|archive] [--runs R] [--tar]
#          [--key rsa2048|p256]
# PREFIX is an ostree-patches/build prefix; DIR holds ostree-ima-plugin.so
# (e.g. _build/plugin/module).  Defaults: 3000 files (1..32 KiB) + 4 x 16
# MiB, RSA-2048 (--key p256: a P-256 key, whose signatures cost about a
# tenth), bare repo (needs root), best of 3 runs.  --tar commits
# the tree as --tree=tar=tree.tar, and adds --ima-sign without the
# plugin's read-ahead of the archive (OSTREE_IMA_TAR_READ_AHEAD=0).
set -euo pipefail
TEST_NAME=commit-bench
. "$(dirname "$0")/../libtest.sh"

PREFIX=${OSTREE_IMA_PATCHED_OSTREE:-}
PLUGIN_DIR=${OSTREE_IMA_PLUGIN_DIR:-}
NFILES=3000
MODE=bare
RUNS=3
TAR=0
KEY=rsa2048
while [ $# -gt 0 ]; do
  case "$1" in
  --ostree) PREFIX=$2; shift 2 ;;
  --plugin-dir) PLUGIN_DIR=$2; shift 2 ;;
  --files) NFILES=$2; shift 2 ;;
  --mode) MODE=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  --tar) TAR=1; shift ;;
  --key) KEY=$2; shift 2 ;;
  -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
  *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
bench_use_patched_ostree "$PREFIX" "$PLUGIN_DIR"
oima_setup_tmpdir

echo "# building tree: $NFILES small files + 4 x 16 MiB" >&2
bench_small_files "$NFILES" 60 31744 0
for i in 1 2 3 4; do gen_bytes "large-$i" $((16 * 1024 * 1024)) > "tree/usr/lib/large$i"; done
gen_key "$KEY" key
tree=dir=tree
if [ "$TAR" = 1 ]; then
  tar -C tree -cf tree.tar .
  tree=tar=tree.tar
fi

now() { date +%s.%N; }
# time_commit ARGS...: wall time of one commit into a fresh repo.
time_commit() {
  local t0 t1
  bench_trash repo && patched --repo=repo init --mode="$MODE"
  sync
  t0=$(now)
  patched --repo=repo commit -b b --tree="$tree" "$@" >/dev/null
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}'
}
min() { awk -v a="$1" -v b="$2" 'BEGIN {print (a == "" || b < a) ? b : a}'; }

# The variants take turns in every round; best of RUNS each.  Old repos
# go to the trash, not away (bench_trash: ext4's recently_deleted).
sign=(--ima-sign --ima-key=key.key.pem --ima-cert=key.cert.pem)
base= signed= signed1= noahead=
for r in $(seq 1 "$RUNS"); do
  base=$(min "$base" "$(time_commit)")
  signed=$(min "$signed" "$(time_commit "${sign[@]}")")
  signed1=$(min "$signed1" "$(time_commit "${sign[@]}" --ima-jobs=1)")
  [ "$TAR" = 0 ] || noahead=$(min "$noahead" "$(OSTREE_IMA_TAR_READ_AHEAD=0 time_commit "${sign[@]}")")
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "tree: $NFILES files + 4 x 16 MiB as ${tree%%=*}=, $MODE repo, $KEY, $(nproc) cores, best of $RUNS"
echo "ostree commit (unsigned, baseline):        ${base}s  1.00x"
echo "ostree commit --ima-sign (all cores):      ${signed}s  $(ratio "$signed" "$base")x of unsigned"
echo "ostree commit --ima-sign --ima-jobs=1:     ${signed1}s  $(ratio "$signed1" "$base")x of unsigned"
[ "$TAR" = 0 ] ||
  echo "ostree commit --ima-sign, no read-ahead:   ${noahead}s  $(ratio "$noahead" "$base")x of unsigned"
