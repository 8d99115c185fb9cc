#!/bin/bash
# Determinism: --jobs 1, --jobs 4 and the default give the identical commit
# checksum (RSA is deterministic and the commit keeps the source timestamp);
# so do bare, bare-user and archive repos, and a repeated run.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

gen_key rsa2048 key
mkdir tree
oima_make_fixture_tree tree
# a few hundred more files, many shared contents, in many directories
for i in $(seq 1 300); do
  d="tree/usr/share/many/d$((i % 17))"
  mkdir -p "$d"
  gen_bytes "m$((i % 120))" $((i * 37 % 5000 + 1)) >"$d/f$i"
done
declare -A sums
for mode in bare bare-user archive; do
  make_repo "$mode" "repo-$mode"
  commit_tree "repo-$mode" src tree >/dev/null
done
src=$(ostree --repo=repo-bare rev-parse src)
assert_streq "$(ostree --repo=repo-archive rev-parse src)" "$src" "source commit independent of repo mode"

# Each run signs in a fresh copy of the repo to the same target ref name, so
# whole commit checksums (ref binding included) must be identical.
for j in 1 4 default; do
  args=()
  [ "$j" = default ] || args=(--jobs "$j")
  rm -rf "repo-j$j"
  cp -a repo-bare "repo-j$j"
  run_ok "sign-j$j" oima sign --repo="repo-j$j" --key key.key.pem "${args[@]}" "$src" signed
  sums[$j]=$(ostree --repo="repo-j$j" rev-parse signed)
  info "--jobs $j: ${sums[$j]}"
done
assert_streq "${sums[4]}" "${sums[1]}" "--jobs 4 vs --jobs 1"
assert_streq "${sums[default]}" "${sums[1]}" "default jobs vs --jobs 1"

# repeated run into another ref of the same repo: same tree
run_ok sign-again oima sign --repo=repo-j1 --key key.key.pem --jobs 2 "$src" signed-again
assert_streq "$(content_of repo-j1 signed-again)" "$(content_of repo-j1 signed)" "repeated run (tree)"

for mode in bare-user archive; do
  run_ok "sign-$mode" oima sign --repo="repo-$mode" --key key.key.pem --jobs 3 "$src" signed
  assert_streq "$(ostree --repo="repo-$mode" rev-parse signed)" "${sums[1]}" "$mode repo vs bare repo"
done

# timestamp kept
assert_streq "$(ostree --repo=repo-j1 show signed | grep '^Date:')" \
  "$(ostree --repo=repo-bare show src | grep '^Date:')" "commit timestamp"
echo "PASS: $TEST_NAME"
