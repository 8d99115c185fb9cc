#!/bin/bash
# Benchmark (not a meson test): rebuilds.  A build system signs the same OS
# again and again; unchanged files must keep their objects (no churn:
# devices download nothing, static deltas stay small) and cost little.
#
# On a real Debian tree (minbase, about 5,300 files, or --tree large), for
# an RSA-2048 and a P-256 key, prints the objects changed and the wall time
# (median of the rounds) against the first build for:
#   first       the first signed build (nothing to reuse)
#   unchanged   the same tree again, same repository (reuse of the target
#               ref's current commit and the repository's signing cache)
#   1%          every 100th file changed (only those objects may change)
#   fresh       the unchanged tree in a fresh repository holding only the
#               previous signed commit (--reuse-from / --ima-reuse-from)
# with `ostree-ima sign` and, given --ostree/--plugin-dir, with `ostree
# commit --ima-sign` of the checked-out tree.
#
# Usage: tests/bench/rebuild-bench.sh [--tree minbase|large] [--rounds N]
#          [--ostree PREFIX --plugin-dir DIR]
# Needs root and debootstrap (or the cached tree); OSTREE_IMA is the
# signing tool (default build/plugin/tools/ostree-ima).
set -euo pipefail
TEST_NAME=rebuild-bench
. "$(dirname "$0")/../libtest.sh"
. "$(dirname "$0")/../lib-os-tree.sh"

TREE=minbase
ROUNDS=3
PREFIX=
PLUGIN_DIR=
while [ $# -gt 0 ]; do
  case "$1" in
  --tree) TREE=$2; shift 2 ;;
  --rounds) ROUNDS=$2; shift 2 ;;
  --ostree) PREFIX=$2; shift 2 ;;
  --plugin-dir) PLUGIN_DIR=$2; shift 2 ;;
  -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
  *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
require_root
require_cmd ostree openssl
[ -x "$OSTREE_IMA" ] || { echo "ostree-ima not built: $OSTREE_IMA (set OSTREE_IMA)" >&2; exit 2; }
PATCHED=0
if [ -n "$PREFIX" ]; then
  bench_use_patched_ostree "$PREFIX" "$PLUGIN_DIR"
  PATCHED=1
fi
case $TREE in
minbase) rootfs=$(oima_minbase_rootfs) ;;
large) rootfs=$(oima_large_rootfs) ;;
*) echo "unknown tree $TREE" >&2; exit 2 ;;
esac
oima_setup_tmpdir
gen_key rsa2048 rsa
gen_key p256 p256

# The tree, and the same with every 100th regular file changed.
ostree --repo=base init --mode=bare
ostree --repo=base commit -b src --tree=dir="$rootfs" --no-bindings >/dev/null
ostree --repo=base checkout --force-copy src co
cp -a co co1
mapfile -t files < <(cd co1 && find . -type f | LC_ALL=C sort)
nchanged=0
for ((i = 0; i < ${#files[@]}; i += 100)); do
  echo "rebuild-bench change" >>"co1/${files[$i]}"
  nchanged=$((nchanged + 1))
done
ostree --repo=base commit -b src1 --tree=dir=co1 --no-bindings >/dev/null
nfiles=${#files[@]}
info "$TREE: $nfiles files, $nchanged changed in the 1% variant ($rootfs)"

now() { date +%s.%N; }
# timed LABEL CMD...: wall time of CMD appended to results as "LABEL s".
timed() {
  local label=$1 t0 t1
  shift
  sync
  t0=$(now)
  "$@" >/dev/null 2>cmd.err || { cat cmd.err >&2; echo "$label failed" >&2; exit 1; }
  t1=$(now)
  awk -v l="$label" -v a="$t0" -v b="$t1" 'BEGIN {printf "%s %.3f\n", l, b - a}' >>results
}
# changed LABEL REPO_A REV_A REPO_B REV_B: files of B whose object is not A's.
changed() { echo "$1 $(ostree_objects_changed "$2" "$3" "$4" "$5")" >>objects; }

# Repositories are hardlink copies of base; nothing is deleted while
# measuring (bench_trash: ext4's recently_deleted).
fresh() { bench_trash "$1" && cp -al base "$1"; }
: >results
: >objects
for ((r = 1; r <= ROUNDS; r++)); do
  info "round $r/$ROUNDS"
  for k in rsa p256; do
    # ostree-ima sign
    fresh s
    timed "sign-$k-first" "$OSTREE_IMA" sign --repo=s --key "$k.key.pem" src signed
    first=$(ostree --repo=s rev-parse signed)
    timed "sign-$k-unchanged" "$OSTREE_IMA" sign --repo=s --key "$k.key.pem" src signed
    changed "sign-$k-unchanged" s "$first" s signed
    timed "sign-$k-1%" "$OSTREE_IMA" sign --repo=s --key "$k.key.pem" src1 signed
    changed "sign-$k-1%" s "$first" s signed
    bench_trash f && ostree --repo=f init --mode=bare
    ostree --repo=f pull-local s "$first" >/dev/null
    ostree --repo=f refs --create=prod "$first"
    ostree --repo=f pull-local base src >/dev/null
    timed "sign-$k-fresh" "$OSTREE_IMA" sign --repo=f --key "$k.key.pem" --reuse-from=prod src build
    changed "sign-$k-fresh" s "$first" f build
    [ $PATCHED = 1 ] || continue
    # ostree commit --ima-sign
    bench_trash c && patched --repo=c init --mode=bare
    pc() { patched --repo=c commit --no-bindings --ima-sign --ima-key="$k.key.pem" "$@"; }
    timed "commit-$k-first" pc -b x --tree=dir=co
    first=$(patched --repo=c rev-parse x)
    timed "commit-$k-unchanged" pc -b x --tree=dir=co
    changed "commit-$k-unchanged" c "$first" c x
    timed "commit-$k-1%" pc -b x --tree=dir=co1
    changed "commit-$k-1%" c "$first" c x
    bench_trash cf && patched --repo=cf init --mode=bare
    patched --repo=cf pull-local c "$first" >/dev/null
    patched --repo=cf refs --create=prod "$first"
    timed "commit-$k-fresh" patched --repo=cf commit --no-bindings --ima-sign \
      --ima-key="$k.key.pem" -b build --tree=dir=co --ima-reuse-from=prod
    changed "commit-$k-fresh" c "$first" cf build
  done
done

time_of() { awk -v l="$1" '$1 == l {print $2}' results | bench_median; }
objects_of() { awk -v l="$1" '$1 == l {print $2}' objects | sort -u | paste -sd/; }
echo
echo "## rebuild-bench: $(date -u +%Y-%m-%d), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $TREE ($nfiles files, $nchanged in the 1% change), bare repository, median of $ROUNDS rounds"
echo
echo "| tool | key | build | objects changed | wall s | of the first build |"
echo "|---|---|---|---|---|---|"
for tool in sign commit; do
  for k in rsa p256; do
    t1=$(time_of "$tool-$k-first")
    [ -n "$t1" ] || continue
    for b in first unchanged 1% fresh; do
      t=$(time_of "$tool-$k-$b")
      o=$( [ "$b" = first ] && echo "(all $nfiles)" || objects_of "$tool-$k-$b")
      printf '| %s | %s | %s | %s | %s | %s |\n' "$tool" "$([ $k = rsa ] && echo RSA-2048 || echo P-256)" \
        "$b" "$o" "$t" "$(awk -v a="$t" -v b="$t1" 'BEGIN {printf "%.2fx", a / b}')"
    done
  done
done
