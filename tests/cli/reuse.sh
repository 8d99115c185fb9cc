#!/bin/bash
# No churn: ECDSA signatures are randomized, so without reuse every rebuild
# gives new objects for every file.  `sign` reuses the valid signatures of
# the target's current commit (or of --reuse-from=REV, e.g. the production
# ref pulled into a fresh build repo); `ostree commit --ima-sign` does the
# same with the branch it updates and --ima-reuse-from, and takes files
# from content objects (ref= trees, --base) through the signing cache.
# Printed: objects changed by an unchanged rebuild (must be 0, P-256 and
# RSA-2048) and by a rebuild with 1 of 40 files changed (must be 1).
# The time of a rebuild against the first build: tests/bench/rebuild-bench.sh.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

gen_key p256 key
gen_key p256 other
mkdir -p tree/usr/bin
for i in $(seq 1 40); do echo "program $i" > "tree/usr/bin/p$i"; done
make_repo bare repo
src=$(commit_tree repo src tree)

changed() { ostree_objects_changed repo "$1" repo "$2"; }

# The control: without reuse, ECDSA changes every object.
run_ok first oima sign --repo=repo --key key.key.pem --no-cache "$src" signed
first=$(ostree --repo=repo rev-parse signed)
run_ok control oima sign --repo=repo --key key.key.pem --no-cache --no-reuse "$src" control
n=$(changed signed control)
info "unchanged rebuild without reuse: $n of 40 objects changed"
[ "$n" = 40 ] || fatal "control: expected all 40 ECDSA objects to differ, got $n"

# Same repo: the target's current commit is reused by default.
run_ok rebuild oima sign --repo=repo --key key.key.pem --no-cache "$src" signed
assert_file_has_content "$TEST_TMPDIR/rebuild.out" 'Reused 40 signatures of earlier commits'
n=$(changed "$first" signed)
info "unchanged rebuild, same repo: $n objects changed"
[ "$n" = 0 ] || fatal "unchanged rebuild changed $n objects"

# 1 of 40 files changed: only that object changes.
echo "program 7, fixed" > tree/usr/bin/p7
src2=$(commit_tree repo src tree)
run_ok one-change oima sign --repo=repo --key key.key.pem --no-cache "$src2" signed
n=$(changed "$first" signed)
info "1 file changed: $n objects changed"
[ "$n" = 1 ] || fatal "one changed file changed $n objects"
run_ok verify-one oima verify --repo=repo --cert key.cert.pem signed

# A fresh build repo with the production commit pulled: --reuse-from.
make_repo bare fresh
ostree --repo=fresh pull-local repo "$first" >/dev/null
ostree --repo=fresh refs --create=prod "$first"
sed -i 's/program 7, fixed/program 7/' tree/usr/bin/p7
fresh_src=$(ostree --repo=fresh commit -b src --tree=dir=tree --subject="test src" \
  --timestamp=2024-01-01T00:00:00Z)
run_ok fresh oima sign --repo=fresh --key key.key.pem --reuse-from=prod "$fresh_src" build
n=$(ostree_objects_changed repo "$first" fresh build)
info "unchanged rebuild in a fresh repo with --reuse-from: $n objects changed"
[ "$n" = 0 ] || fatal "fresh repo rebuild changed $n objects"

# Signatures of another key are never reused; neither is a value that does
# not verify for the new content.
run_ok other-key oima sign --repo=fresh --key other.key.pem --reuse-from=prod "$fresh_src" other
assert_not_file_has_content "$TEST_TMPDIR/other-key.out" 'Reused'
run_ok verify-other oima verify --repo=fresh --cert other.cert.pem other

# Bad input: an unknown REV is one line, nothing written.
state=$(repo_state fresh)
run_fail bad-reuse oima sign --repo=fresh --key key.key.pem --reuse-from=no-such-ref "$fresh_src" x
assert_error_matches bad-reuse '--reuse-from=no-such-ref: '
assert_ref_unchanged fresh "$state"

# Inline signing through the patched ostree, when it is built here.
P=${OSTREE_IMA_PATCHED_OSTREE:-}
if patched_ostree_with_plugin; then
  gen_key rsa2048 rsa
  posttree() {
    OSTREE_IMA_DEBUG=1 OSTREE_PLUGIN_PATH="$OSTREE_IMA_PLUGIN_DIR" LD_LIBRARY_PATH="$P/lib" \
      "$P/bin/ostree" "$@"
  }
  # pcommit LOG REPO KEY ARGS...: the commit's checksum; stderr in LOG.
  pcommit() {
    local log=$1 r=$2 k=$3
    shift 3
    posttree commit --repo="$r" --timestamp=2024-01-01T00:00:00Z --subject=inline \
      --ima-sign --ima-key="$k.key.pem" "$@" 2>"$TEST_TMPDIR/$log.err"
  }
  # made LOG: the "ima: N signatures made, M reused" line of LOG.
  made() { grep '^ima: .* signatures made' "$TEST_TMPDIR/$1.err"; }
  sed -i 's/program 7, fixed/program 7/' tree/usr/bin/p7
  for k in key rsa; do
    one=$(pcommit "$k-one" repo "$k" -b "inline-$k" --tree=dir=tree)
    # The control: a new branch has nothing to reuse.
    control=$(pcommit "$k-control" repo "$k" -b "control-$k" --tree=dir=tree)
    n=$(changed "$one" "$control")
    info "$k: commit --ima-sign of the same tree to a new branch: $n of 40 objects changed"
    if [ "$k" = key ]; then
      [ "$n" = 40 ] || fatal "inline control: expected 40 changed objects, got $n"
    fi
    # The branch's current commit is reused by default.
    two=$(pcommit "$k-two" repo "$k" -b "inline-$k" --tree=dir=tree)
    n=$(changed "$one" "$two")
    info "$k: commit --ima-sign unchanged rebuild, same branch: $n objects changed ($(made "$k-two"))"
    [ "$n" = 0 ] || fatal "$k: inline rebuild changed $n objects"
    made "$k-two" | grep -q '^ima: 0 signatures made, 40 reused$' ||
      fatal "$k: expected 40 reused signatures: $(made "$k-two")"
    # 1 of 40 files changed: only that object changes.
    echo "program 7, fixed" > tree/usr/bin/p7
    three=$(pcommit "$k-three" repo "$k" -b "inline-$k" --tree=dir=tree)
    n=$(changed "$two" "$three")
    info "$k: commit --ima-sign with 1 of 40 files changed: $n objects changed"
    [ "$n" = 1 ] || fatal "$k: one changed file changed $n objects"
    sed -i 's/program 7, fixed/program 7/' tree/usr/bin/p7
    # A fresh build repo with the production commit pulled.
    rm -rf "fresh-$k" && make_repo bare "fresh-$k"
    ostree --repo="fresh-$k" pull-local repo "$one" >/dev/null
    ostree --repo="fresh-$k" refs --create=prod "$one"
    four=$(pcommit "$k-four" "fresh-$k" "$k" -b build --tree=dir=tree --ima-reuse-from=prod)
    n=$(ostree_objects_changed repo "$one" "fresh-$k" "$four")
    info "$k: commit --ima-sign in a fresh repo with --ima-reuse-from: $n objects changed"
    [ "$n" = 0 ] || fatal "$k: fresh repo inline rebuild changed $n objects"
  done

  # Files taken from content objects (ref= trees, --base) go through the
  # signing cache: a new branch from the same unsigned source keeps the
  # objects the first signed commit made.
  a=$(pcommit ref-a repo key -b ref-a --tree=ref="$src")
  b=$(pcommit ref-b repo key -b ref-b --tree=ref="$src")
  n=$(changed "$a" "$b")
  info "commit --ima-sign --tree=ref= to a new branch, same source: $n objects changed ($(made ref-b))"
  [ "$n" = 0 ] || fatal "ref= rebuild through the signing cache changed $n objects"
  made ref-b | grep -q '^ima: 0 signatures made, 40 reused$' || fatal "ref-b: $(made ref-b)"
  mkdir -p overlay/etc && echo x > overlay/etc/x
  c=$(pcommit base-c repo key -b base-c --base="$src" --tree=dir=overlay)
  n=$(changed "$a" "$c")
  info "commit --ima-sign --base=SRC with an overlay: $n of 40 base objects changed ($(made base-c))"
  [ "$n" = 1 ] || fatal "--base through the signing cache: expected only /etc/x new, got $n"
  # A hardlinked checkout of the source committed with
  # --link-checkout-speedup: every file is a devino cache hit of its
  # object, which the cache knows too.
  ostree --repo=repo checkout -H "$src" co-h
  h=$(pcommit devino repo key -b devino --tree=dir=co-h --link-checkout-speedup)
  n=$(changed "$a" "$h")
  info "commit --ima-sign of a hardlinked checkout to a new branch: $n objects changed ($(made devino))"
  [ "$n" = 0 ] || fatal "devino cache hits through the signing cache changed $n objects"
  made devino | grep -q ' 40 reused$' || fatal "devino: $(made devino)"
  h2=$(pcommit devino2 repo key -b devino2 --tree=dir=co-h --link-checkout-speedup --ima-no-cache)
  n=$(changed "$a" "$h2")
  [ "$n" = 40 ] || fatal "devino with --ima-no-cache: expected 40 changed objects, got $n"
  # Without the cache, the control: all new.
  d=$(pcommit ref-d repo key -b ref-d --tree=ref="$src" --ima-no-cache)
  n=$(changed "$a" "$d")
  [ "$n" = 40 ] || fatal "--ima-no-cache: expected 40 changed objects, got $n"
  # --ima-no-reuse signs afresh even on the same branch.
  cur=$(ostree --repo=repo rev-parse inline-key)
  e=$(pcommit noreuse repo key -b inline-key --tree=dir=tree --ima-no-reuse)
  n=$(changed "$cur" "$e")
  [ "$n" = 40 ] || fatal "--ima-no-reuse: expected 40 changed objects, got $n"

  # Bad input: --ima-reuse-from of an unknown REV names it; both reuse
  # options together are refused; nothing is written.
  state=$(repo_state repo)
  if pcommit bad-rev repo key -b inline-key --tree=dir=tree --ima-reuse-from=no-such-ref >/dev/null; then
    fatal "an unknown --ima-reuse-from was accepted"
  fi
  grep -q -- '--ima-reuse-from=no-such-ref: ' "$TEST_TMPDIR/bad-rev.err" || fatal "$(cat "$TEST_TMPDIR/bad-rev.err")"
  if pcommit both repo key -b inline-key --tree=dir=tree --ima-reuse-from=src --ima-no-reuse >/dev/null; then
    fatal "--ima-reuse-from with --ima-no-reuse was accepted"
  fi
  grep -q -- '--ima-reuse-from and --ima-no-reuse cannot be combined' "$TEST_TMPDIR/both.err" ||
    fatal "$(cat "$TEST_TMPDIR/both.err")"
  assert_ref_unchanged repo "$state"
else
  info "patched ostree with a usable plugin not here: commit --ima-sign reuse not tested in this run"
fi
echo "PASS: $TEST_NAME"
