#!/bin/bash
# Ctrl-C (SIGINT) and SIGTERM during a long sign: exit 1 with one
# "error: Interrupted: REF was not changed" line, the target ref neither
# created nor moved, and the repository still passes fsck; a later run
# completes.  A second Ctrl-C ends the process at once.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

gen_key rsa2048 key
gen_key rsa2048 key2
mkdir -p tree/usr/lib
# Enough work that a run takes seconds with one thread in an archive repo.
for i in $(seq 1 40); do gen_bytes "file-$i" $((4 * 1024 * 1024)) > "tree/usr/lib/f$i"; done
make_repo archive repo
src=$(commit_tree repo src tree)
# (With another key: a sign finds the objects of an earlier identical sign
# already there and writes none, which leaves little to interrupt.)
run_ok presign oima sign --repo=repo --key key2.key.pem --jobs 1 --no-cache "$src" existing

# A background job of a non-interactive shell (and a test harness) may
# start with SIGINT ignored, and the program rightly keeps an inherited
# "ignore": start it with the default disposition, as a terminal would.
py=$(command -v /usr/bin/python3 || command -v python3)
# Used as `with_default_sigint CMD... &`: exec, so that $! is the program.
with_default_sigint() {
  exec "$py" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

# wait_running PID: until PID is ostree-ima with its signal thread started
# (a signal sent before that would hit the launcher instead).
wait_running() {
  local i
  for i in $(seq 1 100); do
    if [[ "$(readlink "/proc/$1/exe" 2>/dev/null)" == */ostree-ima ]] &&
       [ "$(ls "/proc/$1/task" 2>/dev/null | wc -l)" -ge 2 ]; then
      return 0
    fi
    sleep 0.05
  done
  fatal "ostree-ima did not start"
}

# interrupt LABEL SIGNAL TARGET: start a sign, signal it once it is running.
interrupt() {
  local label=$1 sig=$2 target=$3 rc=0
  with_default_sigint "$OSTREE_IMA" sign --repo=repo --key key.key.pem --jobs 1 --no-cache "$src" "$target" \
    >"$TEST_TMPDIR/$label.out" 2>"$TEST_TMPDIR/$label.err" &
  local pid=$!
  wait_running "$pid"
  sleep 0.5
  kill -0 "$pid" 2>/dev/null || fatal "$label: sign finished before it could be interrupted"
  kill "-$sig" "$pid"
  wait "$pid" || rc=$?
  echo "OBSERVED-ERROR [$label] (exit $rc): $(tr '\n' '|' <"$TEST_TMPDIR/$label.err")" >&2
  [ "$rc" = 1 ] || { cat "$TEST_TMPDIR/$label.out" >&2; fatal "$label: exit $rc, expected 1"; }
  assert_streq "$(cat "$TEST_TMPDIR/$label.err")" "error: Interrupted: $target was not changed" \
    "$label: error line"
}

state=$(repo_state repo)
interrupt int-new INT new-ref
assert_ref_unchanged repo "$state" "SIGINT, new target"
interrupt term-existing TERM existing
assert_ref_unchanged repo "$state" "SIGTERM, existing target"
ostree --repo=repo fsck -q >/dev/null 2>fsck.err || { cat fsck.err >&2; fatal "fsck after interrupts"; }

# Two signals: the second ends the process at once (128 + SIGINT).
with_default_sigint "$OSTREE_IMA" sign --repo=repo --key key.key.pem --jobs 1 --no-cache "$src" twice \
  >twice.out 2>twice.err &
pid=$!
wait_running "$pid"
sleep 0.5
# (The second may find it already gone, or coalesce with the first.)
kill -INT "$pid"; kill -INT "$pid" 2>/dev/null || true
rc=0; wait "$pid" || rc=$?
[ "$rc" = 130 ] || [ "$rc" = 1 ] || fatal "double interrupt: exit $rc"
assert_ref_unchanged repo "$state" "double SIGINT"

run_ok resign oima sign --repo=repo --key key.key.pem "$src" new-ref
ostree --repo=repo fsck -q >/dev/null 2>fsck.err || { cat fsck.err >&2; fatal "fsck after the resign"; }
run_ok reference oima sign --repo=repo --key key.key.pem --no-cache "$src" reference
assert_streq "$(content_of repo new-ref)" "$(content_of repo reference)" "sign after interrupts"
echo "PASS: $TEST_NAME"
