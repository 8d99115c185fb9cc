#!/bin/bash
# The repository's signing cache: a second run of the same source reuses
# every signed object (and says so), a changed file is the only one signed
# again, --no-cache bypasses it, another key or algorithm does not hit it,
# objects removed by `ostree prune` are not trusted, and a damaged cache
# file is ignored.  Results are identical with and without the cache.
set -euo pipefail
. "$(dirname "$0")/../libtest.sh"
cli_test_init

gen_key rsa2048 key
gen_key rsa2048 other
mkdir -p tree/usr/bin
for i in 1 2 3 4 5; do echo "program $i" > "tree/usr/bin/p$i"; done
make_repo bare repo
src=$(commit_tree repo src tree)

summary() { grep -m1 '^Signed ' "$TEST_TMPDIR/$1.out"; }

run_ok first oima sign --repo=repo --key key.key.pem "$src" signed
assert_file_has_content "$TEST_TMPDIR/first.out" '5 signatures made, 0 from the cache'
cache_files=(repo/extensions/ostree-ima/sign-cache/*)
[ -f "${cache_files[0]}" ] || fatal "no cache file written"

run_ok second oima sign --repo=repo --key key.key.pem "$src" signed
assert_file_has_content "$TEST_TMPDIR/second.out" '0 signatures made, 5 from the cache'

# One changed file: only it is hashed and signed.
echo "program 3, new version" > tree/usr/bin/p3
src2=$(commit_tree repo src tree)
run_ok third oima sign --repo=repo --key key.key.pem "$src2" signed2
assert_file_has_content "$TEST_TMPDIR/third.out" '1 signatures made, 4 from the cache'
run_ok third-nocache oima sign --repo=repo --key key.key.pem --no-cache "$src2" signed2-nocache
assert_file_has_content "$TEST_TMPDIR/third-nocache.out" '5 signatures made, 0 from the cache'
assert_streq "$(content_of repo signed2)" "$(content_of repo signed2-nocache)" "cache changes the result"
run_ok verify2 oima verify --repo=repo --cert key.cert.pem signed2

# Another key, another algorithm: no hits.
run_ok other-key oima sign --repo=repo --key other.key.pem "$src2" by-other
assert_file_has_content "$TEST_TMPDIR/other-key.out" '0 from the cache'
run_ok verify-other oima verify --repo=repo --cert other.cert.pem by-other
run_ok sha512 oima sign --repo=repo --key key.key.pem --hash sha512 "$src2" sha512
assert_file_has_content "$TEST_TMPDIR/sha512.out" '0 from the cache'

# Prune the signed objects away: the cache must not point at them.
for r in signed signed2 signed2-nocache by-other sha512; do ostree --repo=repo refs --delete "$r"; done
ostree --repo=repo prune --refs-only >/dev/null
run_ok after-prune oima sign --repo=repo --key key.key.pem "$src2" again
assert_file_has_content "$TEST_TMPDIR/after-prune.out" '5 signatures made, 0 from the cache'
ostree --repo=repo fsck -q >/dev/null 2>fsck.err || { cat fsck.err >&2; fatal "fsck"; }
run_ok verify-again oima verify --repo=repo --cert key.cert.pem again

# A damaged cache file is ignored, not fatal.
for f in repo/extensions/ostree-ima/sign-cache/*; do printf 'garbage' > "$f"; done
run_ok damaged oima sign --repo=repo --key key.key.pem "$src2" again2
assert_streq "$(content_of repo again2)" "$(content_of repo again)" "damaged cache"

# A hostile cache: an entry pointing a source object at another file's
# signed object must never put that content at the path.  The entry is
# checked, reported and redone.
run_ok refill oima sign --repo=repo --key key.key.pem --no-cache "$src2" honest
run_ok fill oima sign --repo=repo --key key.key.pem "$src2" filled
p1_src=$(ostree_content_checksum repo "$src2" /usr/bin/p1)
p2_signed=$(ostree_content_checksum repo filled /usr/bin/p2)
cache_file=$(grep -l "^$p1_src " repo/extensions/ostree-ima/sign-cache/* | head -1)
sed -i "s/^$p1_src .*/$p1_src $p2_signed/" "$cache_file"
grep -q "^$p1_src $p2_signed\$" "$cache_file" || fatal "fixture: cache entry not rewritten"
run_ok hostile oima sign --repo=repo --key key.key.pem "$src2" hostile
assert_file_has_content "$TEST_TMPDIR/hostile.err" 'warning: 1 entries of the signing cache did not match'
assert_streq "$(ostree --repo=repo cat hostile /usr/bin/p1)" "program 1" "cache entry swapped content"
assert_streq "$(content_of repo hostile)" "$(content_of repo honest)" "hostile cache changed the result"
run_ok verify-hostile oima verify --repo=repo --cert key.cert.pem hostile
# The bad entry was replaced: the next run takes everything from the cache.
run_ok after-hostile oima sign --repo=repo --key key.key.pem "$src2" hostile2
assert_file_has_content "$TEST_TMPDIR/after-hostile.out" '0 signatures made, 5 from the cache'
echo "PASS: $TEST_NAME"
