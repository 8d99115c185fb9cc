#!/bin/bash
# A signed commit must be usable under its target ref by ostree's own
# transport: `ostree pull-local` and `ostree pull` (file:// remote of an
# archive repo) by the target ref name, with binding verification on.
# ostree commit records `ostree.ref-binding: [SRC_REF]`; if the signer keeps
# it unchanged, pulls of TARGET_REF fail with "Commit has no requested ref
# ... in ref binding metadata".  Also: the pulled commit fscks and checks out
# with security.ima on disk.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

gen_key rsa2048 key
mkdir tree
oima_make_fixture_tree tree
make_repo archive server
src=$(commit_tree server os/x86_64/stable tree)
run_ok sign oima sign --repo=server --key key.key.pem "$src" os/x86_64/stable-ima
signed=$(ostree --repo=server rev-parse os/x86_64/stable-ima)
info "source binding: $(ostree --repo=server show --print-metadata-key=ostree.ref-binding "$src" 2>/dev/null || echo none)"
info "signed binding: $(ostree --repo=server show --print-metadata-key=ostree.ref-binding "$signed" 2>/dev/null || echo none)"

make_repo bare client
rc=0
ostree --repo=client pull-local server os/x86_64/stable-ima >pl.out 2>pl.err || rc=$?
[ "$rc" = 0 ] || { cat pl.err >&2; fatal "pull-local by target ref failed"; }
assert_streq "$(ostree --repo=client rev-parse os/x86_64/stable-ima)" "$signed" "pulled commit"

make_repo bare client2
ostree --repo=client2 remote add --no-gpg-verify origin "file://$TEST_TMPDIR/server"
rc=0
ostree --repo=client2 pull origin os/x86_64/stable-ima >pull.out 2>pull.err || rc=$?
[ "$rc" = 0 ] || { cat pull.err >&2; fatal "ostree pull by target ref failed"; }
ostree --repo=client2 fsck >fsck.out 2>&1 || { cat fsck.out >&2; fatal "fsck of pulled repo"; }
checkout_rev client2 origin:os/x86_64/stable-ima co
assert_checkout_all_signed co key.cert.der sha256 "$(keyid_of key.key.pem)"
echo "PASS: $TEST_NAME"
