#!/bin/bash
# Case 6: hash appraisal.  Policy rule WITHOUT appraise_type (so a plain hash in
# security.ima is enough), on a checkout of an unsigned ostree commit:
#   good      security.ima = 04 04 sha256(file) written by `evmctl ima_hash` -> runs
#   good512   same with sha512 (04 06 ...)                                 -> runs
#   wrong     security.ima = 04 04 <sha256 of other bytes> (setfattr)      -> denied invalid-hash
#   stale     evmctl ima_hash, then content changed (xattr kept)           -> denied invalid-hash
#   nohash    no security.ima                                              -> denied missing-hash
#   signed    checkout signed by ostree-ima sign (a signature also
#             satisfies a hash rule)                                        -> runs
. "$(dirname "$0")/lib-kernel.sh"
kt_init "case 6: hash-only security.ima under a hash appraisal rule"

kt_keygen_rsa rsa
tree=$KT_TMP/tree
kt_build_programs "$tree" good good512 wrong stale nohash
kt_add_files "$tree"
kt_repo_init
kt_commit src "$tree"
kt_sign rsa sha256 src signed
kt_checkout src plain
kt_checkout signed signed
bin=$KT_IMGROOT/plain/usr/bin

evmctl ima_hash -a sha256 "$bin/good" >/dev/null || kt_die "evmctl ima_hash failed"
evmctl ima_hash -a sha512 "$bin/good512" >/dev/null || kt_die "evmctl ima_hash failed"
evmctl ima_hash -a sha256 "$bin/stale" >/dev/null || kt_die "evmctl ima_hash failed"
printf '\0' >>"$bin/stale"
other=$(printf 'not the content of wrong' | sha256sum | cut -c1-64)
setfattr -n security.ima -v "0x0404$other" "$bin/wrong"

# Host side: the values are what we claim they are.
[ "$(kt_ima_xattr "$bin/good")" = "0404$(sha256sum <"$bin/good" | cut -c1-64)" ] ||
	kt_die "security.ima of good is not 04 04 sha256(content): $(kt_ima_xattr "$bin/good")"
[ "$(kt_ima_xattr "$bin/good512")" = "0406$(sha512sum <"$bin/good512" | cut -c1-128)" ] ||
	kt_die "security.ima of good512 is not 04 06 sha512(content)"
x=$(kt_ima_xattr "$bin/stale")
[ "${x:0:4}" = 0404 ] && [ "${x:4}" != "$(sha256sum <"$bin/stale" | cut -c1-64)" ] ||
	kt_die "stale does not carry an outdated sha256: $x"
[ -z "$(kt_ima_xattr "$bin/nohash")" ] || kt_die "nohash has a security.ima"
kt_require_ima_sig "$KT_IMGROOT/signed/usr/bin/good" 4

kt_guest_policy 'appraise func=BPRM_CHECK fsuuid=@UUID@'
kt_guest_ima_cert rsa
for p in good good512 wrong stale nohash; do kt_guest_program "$p" "plain/usr/bin/$p"; done
kt_guest_program signed signed/usr/bin/good
kt_boot

kt_expect_ran good
kt_expect_ran good512
kt_expect_denied wrong invalid-hash
kt_expect_denied stale invalid-hash
kt_expect_denied nohash missing-hash
kt_expect_ran signed
kt_finish
