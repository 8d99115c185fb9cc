#!/bin/bash
# fs-verity signatures (security.ima type 0x06, signature v3) under the real
# kernel, and check-log's verdicts on the entries the kernel logs for them.
# The signatures are made here with openssl from the kernel's documented
# format (a signature over the hash of struct ima_file_id { 0x06, hash algo,
# the file's fs-verity digest }, `fsverity digest` giving the digest), not by
# ostree-ima: the kernel is the judge, check-log the code under test.
# One boot; the guest enables fs-verity (sha256, 4096-byte blocks) on the
# files of a verity-capable image before the policy is loaded:
#   usr/bin/good      sigv3 by the trusted key: runs; check-log: matches
#   usr/bin/badsig    sigv3 by the trusted key, one signature byte flipped:
#                     denied; check-log: bad-signature
#   usr/bin/stranger  sigv3 by a key the guest does not trust: denied;
#                     check-log: untrusted-key
#   usr/bin/swapped   usr/bin/other's bytes with other's valid sigv3: runs
#                     (a valid signature), check-log: content-differs (the
#                     logged verity digest is not the commit's for that path)
#   usr/bin/noverity  a valid sigv3, fs-verity not enabled: denied
#                     (no-verity-digest), and not in the list
# Policy: appraise and measure (template ima-sigv2) BPRM_CHECK on the image
# with digest_type=verity, appraise_type=sigv3.
. "$(dirname "$0")/lib-kernel.sh"
kt_init "fs-verity sigv3: the kernel appraises verity signatures; check-log verifies them in its list"
[ -n "${OSTREE_IMA:-}" ] && [ -x "$OSTREE_IMA" ] || kt_die "OSTREE_IMA is not set or not executable"
kt_need_cmd fsverity

kt_keygen_rsa rsa
kt_keygen_rsa stranger
tree=$KT_TMP/tree
kt_build_programs "$tree" good badsig stranger swapped other noverity
kt_add_files "$tree"
kt_repo_init
kt_commit src "$tree"
rev=$("$KT_OSTREE" --repo="$KT_REPO" rev-parse src) || kt_die "rev-parse src failed"
rmdir "$KT_IMGROOT"
"$KT_OSTREE" --repo="$KT_REPO" checkout --force-copy src "$KT_IMGROOT" ||
	kt_die "ostree checkout of src failed"
root=$KT_IMGROOT

# sigv3 KEYNAME FILE: security.ima of FILE as hex: 06 03 04 KEYID SIZE SIG,
# SIG = RSA PKCS#1 v1.5 sha256 over sha256(06 04 VERITY-DIGEST).
sigv3() {
	local key=$1 f=$2 d keyid
	d=$(fsverity digest --compact --hash-alg=sha256 --block-size=4096 "$f") ||
		kt_die "fsverity digest $f failed"
	[ ${#d} = 64 ] || kt_die "fsverity digest $f: '$d'"
	printf "\\x06\\x04$(echo "$d" | sed 's/../\\x&/g')" >"$KT_TMP/file-id"
	openssl dgst -sha256 -sign "$(kt_key "$key")" -out "$KT_TMP/sig" "$KT_TMP/file-id" ||
		kt_die "openssl dgst -sign failed"
	keyid=$(openssl x509 -in "$(kt_cert "$key")" -noout -ext subjectKeyIdentifier |
		tail -n 1 | tr -d ' :\n' | tail -c 8)
	[ ${#keyid} = 8 ] || kt_die "no key id in $(kt_cert "$key")"
	printf '060304%s%04x%s' "$keyid" "$(stat -c %s "$KT_TMP/sig")" "$(od -An -v -tx1 "$KT_TMP/sig" | tr -d ' \n')"
}
set_ima() { setfattr -n security.ima -v "0x$2" "$root/$1" || kt_die "setfattr security.ima on $1 failed"; }

good=$(sigv3 rsa "$root/usr/bin/good")
set_ima usr/bin/good "$good"
bad=$(sigv3 rsa "$root/usr/bin/badsig")
last=${bad: -2}
set_ima usr/bin/badsig "${bad%??}$(printf '%02x' $((0x$last ^ 0x01)))"
set_ima usr/bin/stranger "$(sigv3 stranger "$root/usr/bin/stranger")"
cp "$root/usr/bin/other" "$root/usr/bin/swapped"
set_ima usr/bin/swapped "$(sigv3 rsa "$root/usr/bin/other")"
set_ima usr/bin/noverity "$(sigv3 rsa "$root/usr/bin/noverity")"

# The guest's helper, outside the commit's paths; it runs before the policy.
mkdir -p "$root/.oima"
gcc -static -O2 -s -o "$root/.oima/enable-verity" "$KT_LIBDIR/enable-verity.c" ||
	kt_die "gcc -static enable-verity.c failed"
cat >"$KT_TMP/verity-hook.sh" <<'HOOK'
if /mnt/.oima/enable-verity /mnt/usr/bin/good /mnt/usr/bin/badsig /mnt/usr/bin/stranger /mnt/usr/bin/swapped; then
	echo "KT-VERITY enabled"
else
	echo "KT-VERITY failed"
fi
HOOK
kt_guest_hook pre-policy "$KT_TMP/verity-hook.sh"
KT_IMAGE_VERITY=1

kt_guest_policy 'measure func=BPRM_CHECK fsuuid=@UUID@ digest_type=verity template=ima-sigv2'
kt_guest_policy 'appraise func=BPRM_CHECK fsuuid=@UUID@ digest_type=verity appraise_type=sigv3'
kt_guest_ima_cert rsa
for p in good badsig stranger swapped noverity; do
	kt_guest_program "$p" "usr/bin/$p"
done
KT_DUMP_MEASUREMENTS=1
kt_boot

grep -q '^KT-VERITY enabled' "$KT_SERIAL_LOG" ||
	kt_die "the guest could not enable fs-verity: $(grep -E 'KT-VERITY|enable-verity' "$KT_SERIAL_LOG" | head -n 5)"

# --- what the kernel decided ----------------------------------------------------
kt_expect_ran good
kt_expect_ran swapped
kt_expect_denied badsig invalid-verity-signature
kt_expect_denied stranger invalid-verity-signature
# Its audit record names the file by its last component only (collect_data).
if [ "$(kt_result noverity)" = denied ] &&
	grep -q 'op=collect_data cause=no-verity-digest .*name="noverity"' "$KT_SERIAL_LOG"; then
	kt_pass "noverity denied (cause=no-verity-digest)"
else
	kt_fail "noverity: '$(kt_result noverity)', no collect_data cause=no-verity-digest for it"
fi

# --- check-log on the kernel's list --------------------------------------------
log=$KT_TMP/ascii.log
kt_measurements >"$log"
kt_log "ascii measurement list:"
sed 's/^/    /' "$log"
for p in good badsig stranger swapped; do
	if grep -Eq " ima-sigv2 verity:sha256:[0-9a-f]{64} /mnt/usr/bin/$p 06" "$log"; then
		kt_pass "/mnt/usr/bin/$p is logged with its verity digest and sigv3"
	else
		kt_fail "/mnt/usr/bin/$p is not in the list as ima-sigv2 verity:sha256 with a sigv3"
	fi
done
out=$KT_TMP/check-log.out
rc=0
"$OSTREE_IMA" check-log --repo="$KT_REPO" --prefix /mnt --cert "$(kt_cert rsa)" "$rev" "$log" >"$out" 2>&1 || rc=$?
kt_log "check-log -> rc $rc"
sed 's/^/    /' "$out"
# verdict PATH KIND: check-log has a problem line "PATH: KIND: ..." for PATH.
verdict() {
	if grep -Eq "^(/mnt)?/usr/bin/$1: $2:" "$out"; then
		kt_pass "check-log: /usr/bin/$1 $2"
	else
		kt_fail "check-log: /usr/bin/$1 not flagged $2"
	fi
}
verdict badsig bad-signature
verdict stranger untrusted-key
verdict swapped content-differs
if grep -Eq '^(/mnt)?/usr/bin/good: ' "$out"; then
	kt_fail "check-log flagged the validly verity-signed good: $(grep -E '^(/mnt)?/usr/bin/good: ' "$out")"
else
	kt_pass "check-log: the verity-signed good matches the commit"
fi
if grep -q 'unverifiable' "$out"; then
	kt_fail "check-log calls an entry unverifiable"
else
	kt_pass "check-log: no entry unverifiable"
fi
[ "$rc" != 0 ] && kt_pass "check-log fails on the list (rc $rc)" || kt_fail "check-log exited 0"
# Without the three foreign entries, the list is accounted for.
grep -Ev ' /mnt/usr/bin/(badsig|stranger|swapped) ' "$log" >"$KT_TMP/clean.log"
rc=0
"$OSTREE_IMA" check-log --repo="$KT_REPO" --prefix /mnt --cert "$(kt_cert rsa)" "$rev" "$KT_TMP/clean.log" >"$KT_TMP/clean.out" 2>&1 || rc=$?
if [ "$rc" = 0 ]; then
	kt_pass "check-log exits 0 on the list without badsig, stranger and swapped"
else
	kt_fail "check-log rc $rc on the clean list: $(tail -n 3 "$KT_TMP/clean.out")"
fi
kt_finish
