#!/bin/bash
# Benchmark (not a meson test): signing real OS trees, side by side.
#
# Trees: Debian bookworm minbase (about 5,300 files) and the same with
# python3, perl, systemd and gcc (about 25,000), both debootstrapped once
# and cached (tests/lib-os-tree.sh).  Each tree is committed unsigned
# into a bare repository; then, every round, the variants take turns
# (interleaved, medians over the rounds, wall time and peak RSS):
#   sign       ostree-ima sign (no signing cache, no reuse: a first build)
#   per-file   the ostree-ext way: checkout, one `evmctl ima_sign` per
#              file, commit
#   evmctl-r   checkout, `evmctl ima_sign -r` (one process), commit
#   hash-only  ostree-ima sign --hash-only: the same repository write
#              without signing (the write floor)
#   commit / commit-signed   `ostree commit` of the checked-out tree,
#              unsigned and with --ima-sign (patched ostree + this tree's
#              plugin, when --ostree/--plugin-dir are given), bare and
#              archive; and commit-signed-p256, bare, with a P-256 key
# and prints the ratios the project tracks, with the CPU floor (bytes at
# OpenSSL's sha256 speed + files x RSA-2048 sign time, over the cores).
# --scale adds `ostree-ima sign` on synthetic trees of 5k, 25k and 100k
# small files and on one 2 GiB file: time and peak RSS against the work,
# next to the peak RSS of stock `ostree commit` of the same tree (and of
# `ostree commit --ima-sign`, with --ostree/--plugin-dir).
#
# Usage: tests/bench/os-bench.sh [--trees minbase,large] [--rounds N]
#          [--ostree PREFIX --plugin-dir DIR] [--scale] [--cold]
# Needs root, debootstrap and the network once; OSTREE_IMA is the signing
# tool (default build/plugin/tools/ostree-ima).  Every repository is a
# hardlink copy of the unsigned one (objects shared, never changed).
set -euo pipefail
TEST_NAME=os-bench
. "$(dirname "$0")/../libtest.sh"
. "$(dirname "$0")/../lib-os-tree.sh"

TREES=minbase,large
ROUNDS=3
PREFIX=
PLUGIN_DIR=
SCALE=0
COLD=0
while [ $# -gt 0 ]; do
  case "$1" in
  --trees) TREES=$2; shift 2 ;;
  --rounds) ROUNDS=$2; shift 2 ;;
  --ostree) PREFIX=$2; shift 2 ;;
  --plugin-dir) PLUGIN_DIR=$2; shift 2 ;;
  --scale) SCALE=1; shift ;;
  --cold) COLD=1; shift ;;
  -h | --help) sed -n '2,29p' "$0"; exit 0 ;;
  *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
require_root
require_cmd ostree evmctl openssl /usr/bin/time
[ -x "$OSTREE_IMA" ] || { echo "ostree-ima not built: $OSTREE_IMA (set OSTREE_IMA)" >&2; exit 2; }
PATCHED=0
if [ -n "$PREFIX" ]; then
  bench_use_patched_ostree "$PREFIX" "$PLUGIN_DIR"
  PATCHED=1
  # (the patched ostree with the plugin, as bench_use_patched_ostree's
  # `patched`, but as a program /usr/bin/time can run)
  P=(env LD_LIBRARY_PATH="$_BENCH_OSTREE/lib" OSTREE_PLUGIN_PATH="$_BENCH_PLUGIN_DIR" "$_BENCH_OSTREE/bin/ostree")
fi
oima_setup_tmpdir
NCPU=$(nproc)
gen_key rsa2048 key
gen_key p256 eckey

# run LABEL CMD...: time and peak RSS (KiB) of CMD, appended to results.
run() {
  local label=$1
  shift
  /usr/bin/time -f '%e %M' -o time.out "$@" >/dev/null 2>cmd.err || {
    cat cmd.err >&2
    echo "$label failed" >&2
    exit 1
  }
  echo "$TREE $label $(cat time.out)" >>results
}
# Nothing is deleted between measurements (bench_trash: ext4's
# recently_deleted); the temp dir goes on exit.
fresh() { bench_trash "$1" && cp -al base "$1"; }
# Before every measurement: write back what the last one left dirty (and
# with --cold, drop the page cache: every variant then reads from disk).
drop_caches() {
  sync
  [ $COLD = 0 ] || echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
}

per_file() {
  ostree --repo=r checkout --force-copy src co
  find co -type f -print0 | while IFS= read -r -d '' f; do
    evmctl ima_sign --key key.key.pem -a sha256 "$f" >/dev/null 2>&1
  done
  ostree --repo=r commit -b per-file --tree=dir=co --no-bindings >/dev/null
}
evmctl_r() {
  ostree --repo=r checkout --force-copy src co
  evmctl ima_sign -r --key "$PWD/key.key.pem" -a sha256 co >/dev/null 2>&1
  ostree --repo=r commit -b evmctl-r --tree=dir=co --no-bindings >/dev/null
}
export -f per_file evmctl_r

: >results
: >trees
for TREE in ${TREES//,/ }; do
  case $TREE in
  minbase) rootfs=$(oima_minbase_rootfs) ;;
  large) rootfs=$(oima_large_rootfs) ;;
  *) echo "unknown tree $TREE" >&2; exit 2 ;;
  esac
  bench_trash base co-src && ostree --repo=base init --mode=bare
  ostree --repo=base commit -b src --tree=dir="$rootfs" --no-bindings >/dev/null
  ostree --repo=base checkout --force-copy src co-src
  nfiles=$(find co-src -type f | wc -l)
  bytes=$(find co-src -type f -printf '%s\n' | awk '{s += $1} END {print s}')
  echo "$TREE $nfiles $bytes" >>trees
  info "$TREE: $nfiles files, $((bytes / 1048576)) MiB ($rootfs)"
  for ((r = 1; r <= ROUNDS; r++)); do
    info "$TREE: round $r/$ROUNDS"
    fresh r; drop_caches; run sign "$OSTREE_IMA" sign --repo=r --key key.key.pem --no-cache --no-reuse src signed
    fresh r; drop_caches; run hash-only "$OSTREE_IMA" sign --repo=r --key key.key.pem --no-cache --no-reuse --hash-only src hashed
    fresh r; bench_trash co; drop_caches; run per-file bash -c per_file
    fresh r; bench_trash co; drop_caches; run evmctl-r bash -c evmctl_r
    if [ $PATCHED = 1 ]; then
      for mode in bare archive; do
        bench_trash c && "${P[@]}" init --repo=c --mode=$mode && drop_caches
        run "commit-$mode" "${P[@]}" commit --repo=c -b x --tree=dir=co-src --no-bindings
        bench_trash c && "${P[@]}" init --repo=c --mode=$mode && drop_caches
        run "commit-signed-$mode" "${P[@]}" commit --repo=c -b x --tree=dir=co-src --no-bindings \
          --ima-sign --ima-key=key.key.pem
      done
      # The same with a P-256 key: the signatures cost about a tenth.
      bench_trash c && "${P[@]}" init --repo=c --mode=bare && drop_caches
      run commit-signed-p256-bare "${P[@]}" commit --repo=c -b x --tree=dir=co-src --no-bindings \
        --ima-sign --ima-key=eckey.key.pem
    fi
  done
  bench_trash r co c
done

# The CPU floor: sha256 over the bytes plus one RSA-2048 signature a file,
# spread over the cores.
sha_bps=$(openssl speed -seconds 2 -evp sha256 2>/dev/null | awk '$1 == "sha256" || $1 == "SHA256" {v = $NF} END {sub(/k$/, "", v); print v * 1000}')
rsa_sps=$(openssl speed -seconds 2 rsa2048 2>/dev/null | awk '$1 == "rsa" && $2 == "2048" {print $(NF - 1); exit}')

# The machine's cost of new file data: every variant writes each file's
# content into new page-cache pages at least once (the ostree-ext ways
# twice).  On some virtual machines a page the guest touches for the
# first time costs far more than the copy: on this project's machine, dd
# writes a new file at about 400 MB/s and overwrites one in tmpfs at
# 6 GB/s.
sync
write_mbps=$(LC_ALL=C dd if=/dev/zero of=dd-write bs=1M count=256 2>&1 | awk '/copied/ {printf "%.0f", $1 / $(NF - 3) / 1e6; exit}' | sed 's/^$/?/')
bench_trash dd-write

stat_of() { awk -v t="$1" -v l="$2" -v f="$3" '$1 == t && $2 == l {print $f}' results | bench_median; }

echo
echo "## os-bench: $(date -u +%Y-%m-%d), $NCPU CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), RSA-2048, sha256, bare repository, median of $ROUNDS rounds, $([ $COLD = 1 ] && echo "cold page cache" || echo "warm page cache"), new file data written at $write_mbps MB/s (dd)"
echo
echo "| tree | files | MiB | variant | wall s | peak RSS MiB | ratio | each round s |"
echo "|---|---|---|---|---|---|---|---|"
while read -r TREE nfiles bytes; do
  sign=$(stat_of "$TREE" sign 3)
  floor=$(awk -v b="$bytes" -v s="$sha_bps" -v n="$nfiles" -v r="$rsa_sps" -v c="$NCPU" \
    'BEGIN {printf "%.2f", (b / s + n / r) / c}')
  for v in sign hash-only per-file evmctl-r commit-bare commit-signed-bare commit-signed-p256-bare commit-archive commit-signed-archive; do
    t=$(stat_of "$TREE" "$v" 3)
    [ -n "$t" ] || continue
    rss=$(stat_of "$TREE" "$v" 4)
    case $v in
    per-file | evmctl-r) ratio=$(awk -v a="$t" -v b="$sign" 'BEGIN {printf "sign is %.1fx faster", a / b}') ;;
    hash-only) ratio=$(awk -v a="$sign" -v h="$t" -v f="$floor" -v n="$nfiles" -v r="$rsa_sps" -v c="$NCPU" \
      'BEGIN {m = h > f ? h : f; s = h + n / r / c
        printf "sign = %.2fx of the floor (max of this and the CPU floor %.2f s); %.2fx of this write plus the signatures over the cores (%.2f s)", a / m, f, a / s, s}') ;;
    commit-signed-*) ratio=$(awk -v a="$t" -v b="$(stat_of "$TREE" "commit-${v##*-}" 3)" 'BEGIN {printf "%.2fx the unsigned commit", a / b}') ;;
    *) ratio= ;;
    esac
    # (Every round, in order: the spread says how far to trust the median.)
    rounds=$(awk -v t="$TREE" -v l="$v" '$1 == t && $2 == l {printf "%s%s", sep, $3; sep = " "}' results)
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$TREE" "$nfiles" "$((bytes / 1048576))" "$v" "$t" \
      "$(awk -v k="$rss" 'BEGIN {printf "%.0f", k / 1024}')" "$ratio" "$rounds"
  done
done <trees

if [ $SCALE = 1 ]; then
  # The baseline for memory: stock `ostree commit` of the same tree keeps
  # a record of every file too (its mutable tree); with the patched ostree,
  # also `ostree commit --ima-sign` of the tree.
  echo
  echo "| scale | files | MiB | sign wall s | per file ms | MiB/s | peak RSS MiB | ostree commit peak RSS MiB | commit --ima-sign peak RSS MiB |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for n in 5000 25000 100000 big; do
    bench_trash tree base && mkdir -p tree
    if [ "$n" = big ]; then
      gen_bytes big $((2048 * 1048576)) >tree/big
      n=1
    else
      bench_small_files "$n" 100 15360 0
    fi
    ostree --repo=base init --mode=bare
    TREE=scale-$n
    drop_caches
    run commit ostree --repo=base commit -b src --tree=dir=tree --no-bindings
    bytes=$(du -sb tree | cut -f1)
    fresh r; drop_caches; run sign "$OSTREE_IMA" sign --repo=r --key key.key.pem --no-cache --no-reuse src signed
    if [ $PATCHED = 1 ]; then
      "${P[@]}" init --repo=c --mode=bare && drop_caches
      run commit-signed "${P[@]}" commit --repo=c -b x --tree=dir=tree --no-bindings --ima-sign --ima-key=key.key.pem
    fi
    t=$(stat_of "$TREE" sign 3) k=$(stat_of "$TREE" sign 4)
    ck=$(stat_of "$TREE" commit 4) sk=$(stat_of "$TREE" commit-signed 4)
    awk -v n="$n" -v b="$bytes" -v t="$t" -v k="$k" -v ck="$ck" -v sk="$sk" \
      'BEGIN {printf "| %s | %d | %d | %.2f | %s | %.0f | %.0f | %.0f | %s |\n", (n == 1 ? "one file" : n " files"), n, b / 1048576, t, (n == 1 ? "" : sprintf("%.3f", t * 1000 / n)), b / 1048576 / t, k / 1024, ck / 1024, (sk == "" ? "" : sprintf("%.0f", sk / 1024))}'
    bench_trash tree base r c
  done
  # Memory per file: the slope from 5k to 100k files.
  awk '$1 == "scale-5000" || $1 == "scale-100000" {k[$1 " " $2] = $4}
    END {printf "\nPeak RSS grows %.2f KiB a file for ostree-ima sign, %.2f KiB a file for ostree commit",
      (k["scale-100000 sign"] - k["scale-5000 sign"]) / 95000, (k["scale-100000 commit"] - k["scale-5000 commit"]) / 95000
      if (k["scale-100000 commit-signed"] != "")
        printf ", %.2f KiB a file for ostree commit --ima-sign", (k["scale-100000 commit-signed"] - k["scale-5000 commit-signed"]) / 95000
      printf " (5k to 100k files).\n"}' results
fi
