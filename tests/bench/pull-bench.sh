#!/bin/bash
# Benchmark (not a meson test): the cost of the ima plugin's pull hook.
# Times `ostree pull` (the patched ostree) of a signed Debian bookworm
# minbase commit over HTTP (python3 -m http.server on 127.0.0.1) into a
# fresh sysroot's repository, with the hook verifying it ([pull]
# mode=enforce, the vendor's certificate, builtin=appraise_tcb) and
# without it; prints medians (wall and CPU time) and the ratio.  The
# baseline loads no plugin at all (OSTREE_PLUGINS_DISABLE=1), the stock
# pull: an empty OSTREE_PLUGIN_PATH would still load an installed plugin,
# and mode=off still loads the plugin and reads ima.conf.
#
# Usage: tests/bench/pull-bench.sh --ostree PREFIX --plugin-dir DIR [--runs R]
# PREFIX is an ostree-patches/build prefix; DIR holds ostree-ima-plugin.so
# (e.g. _build/plugin/module); $OSTREE_IMA is the signing tool (default
# build/plugin/tools/ostree-ima).  Default: 5 rounds.  Needs root and, once,
# debootstrap and the network: the tree is cached in
# ${OSTREE_IMA_CACHE:-/var/cache/ostree-ima}/debootstrap-bookworm-minbase.
# The hook has no thread knob (it uses every CPU it may run on): for one
# core, run the whole bench under `taskset -c 0`.
set -euo pipefail
TEST_NAME=pull-bench
. "$(dirname "$0")/../libtest.sh"
. "$(dirname "$0")/../lib-os-tree.sh"

PREFIX=${OSTREE_IMA_PATCHED_OSTREE:-}
PLUGIN_DIR=${OSTREE_IMA_PLUGIN_DIR:-}
RUNS=5
while [ $# -gt 0 ]; do
  case "$1" in
  --ostree) PREFIX=$2; shift 2 ;;
  --plugin-dir) PLUGIN_DIR=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
  *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
bench_use_patched_ostree "$PREFIX" "$PLUGIN_DIR"
[ -x "$OSTREE_IMA" ] || { echo "ostree-ima not built: $OSTREE_IMA (set OSTREE_IMA)" >&2; exit 2; }
OSTREE_IMA=$(realpath "$OSTREE_IMA")
require_root
require_cmd curl openssl

# ------------------------------------------------------------ the tree
# debootstrap --variant=minbase bookworm in the ostree layout, built once
# and cached (tests/lib-os-tree.sh).
rc=0
ROOTFS=$(oima_minbase_rootfs) || rc=$?
[ "$rc" = 0 ] || { [ "$rc" = 77 ] && skip "no debootstrap to build the minbase tree"; fatal "no minbase tree"; }

oima_setup_tmpdir
nfiles=$(find "$ROOTFS" -type f | wc -l)
mib=$(($(du -sb "$ROOTFS" | cut -f1) / 1024 / 1024))
info "tree: $ROOTFS, $nfiles regular files, $mib MiB"

# ------------------------------------------------------------ the vendor
gen_key rsa2048 vendor
make_repo archive vendor
src=$(commit_tree vendor src "$ROOTFS")
"$OSTREE_IMA" sign --repo=vendor --key vendor.key.pem "$src" os/signed >sign.out ||
  fatal "ostree-ima sign failed"
oima_serve_http "$TEST_TMPDIR"

# ------------------------------------------------------------ the device
# new_sysroot: a fresh sysroot (and repository) that trusts the vendor and
# refuses what appraise_tcb would deny.
new_sysroot() {
  bench_trash sysroot
  mkdir sysroot
  patched admin init-fs sysroot >/dev/null
  patched admin os-init --sysroot=sysroot os >/dev/null
  patched --repo=sysroot/ostree/repo remote add --no-gpg-verify origin "http://127.0.0.1:$HTTP_PORT/vendor"
  mkdir -p sysroot/etc/ostree sysroot/etc/keys/ima
  cp vendor.cert.der sysroot/etc/keys/ima/
  printf '[policy]\nbuiltin=appraise_tcb\nfsmagic=ext4\n[pull]\nmode=enforce\n' >sysroot/etc/ostree/ima.conf
}

# time_pull LABEL REF: one pull into a fresh sysroot; prints its wall time
# and CPU time (user + system), in seconds.  (OSTREE_PLUGINS_DISABLE=1
# time_pull ...: without any plugin.)
time_pull() {
  local label=$1 ref=$2 TIMEFORMAT='%3R %3U %3S' real user sys
  new_sysroot
  sync
  { time patched --repo=sysroot/ostree/repo pull origin "$ref" >"$label.out" 2>"$label.err"; } 2>"$label.time" ||
    { cat "$label.err" >&2; fatal "$label: pull of $ref failed"; }
  patched --repo=sysroot/ostree/repo rev-parse "origin:$ref" >/dev/null
  read -r real user sys <"$label.time"
  echo "$real $(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.3f", u + s}')"
}
median() { tr ' ' '\n' <<<"$*" | bench_median; }

# The hook is on: the unsigned commit is refused (a whole pull, once).
new_sysroot
if patched --repo=sysroot/ostree/repo pull origin src >refused.out 2>refused.err; then
  fatal "the unsigned commit was pulled under mode=enforce: is the hook loaded?"
fi
grep -q "ima: refusing commit" refused.err || { cat refused.err >&2; fatal "the unsigned pull failed for another reason"; }

# Rounds alternate which variant goes first (creating inodes gets slower
# as sysroots are made and deleted: ext4's allocator, not ostree).
base=() hook=() base_cpu=() hook_cpu=()
for r in $(seq 1 "$RUNS"); do
  info "round $r/$RUNS"
  for v in $( ((r % 2)) && echo base hook || echo hook base); do
    if [ "$v" = base ]; then
      read -r t c < <(OSTREE_PLUGINS_DISABLE=1 time_pull base os/signed)
      base+=("$t") base_cpu+=("$c")
    else
      read -r t c < <(time_pull hook os/signed)
      hook+=("$t") hook_cpu+=("$c")
    fi
  done
done
info "wall, without the plugin: ${base[*]}"
info "wall, with the hook:      ${hook[*]}"
info "CPU, without the plugin:  ${base_cpu[*]}"
info "CPU, with the hook:       ${hook_cpu[*]}"
b=$(median "${base[@]}") h=$(median "${hook[@]}")
bc=$(median "${base_cpu[@]}") hc=$(median "${hook_cpu[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "commit: debootstrap --variant=$OIMA_MINBASE_VARIANT $OIMA_MINBASE_SUITE, $nfiles files, $mib MiB, RSA-2048; archive repo over HTTP (127.0.0.1) into a sysroot's bare repo; CPUs: $(nproc); median of $RUNS; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ostree pull without the plugin (baseline):   ${b}s  1.00x   CPU ${bc}s"
echo "ostree pull, pull hook mode=enforce:         ${h}s  $(ratio "$h" "$b")x of the baseline   CPU ${hc}s ($(ratio "$hc" "$bc")x)"
