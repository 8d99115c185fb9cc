#!/bin/bash
# Measurement log: the kernel's IMA measurement list (ascii and binary), read
# back by `ostree-ima check-log` against the signed commit, and its PCR 10
# replay against a software TPM's PCR 10.  One boot, the signed commit checked
# out as the image root (so --prefix /mnt maps a measured path to the commit):
#   usr/bin/good, usr/bin/also   signed, untouched: run, measured, not flagged
#   usr/bin/victim    replaced by usr/bin/also WITH its security.ima: IMA lets
#                     it run (a valid signature), the commit says content-differs
#   usr/bin/intruder  validly signed (same key), from another commit, not in
#                     this one: runs, unknown-file
#   usr/libexec/oima/tampered  owned by uid 1000 (the appraise rule is fowner=0,
#                     so it is only measured), bytes changed after signing:
#                     runs, content-differs
#   usr/bin/broken    root-owned, bytes changed after signing: denied
#                     invalid-signature (the appraisal negative control), and
#                     still measured (IMA measures before it appraises):
#                     content-differs
#   usr/libexec/oima/stranger  the commit's content, owned by uid 1000 (only
#                     measured), re-signed on disk with a key the verifier
#                     does not trust: runs, untrusted-key (the list logs
#                     signatures: template=ima-sig)
#   usr/share/oima/data  owned by uid 1001, read (FILE_CHECK, measured) by a
#                     shell that holds it open for writing: the kernel logs
#                     an open_writers violation (a zero digest, 0xff.. in PCR
#                     10): violation, and the replay must still equal the TPM
# Policy: measure BPRM_CHECK and MMAP_CHECK mask=MAY_EXEC on the image only
# (so the busybox that dumps the lists adds nothing after PCR 10 is read), and
# imasig appraisal of root-owned files.
# The software TPM part (swtpm, qemu tpm-tis, KT_TPM=1): the replay of either
# list equals the guest's PCR 10 in the sha1 and the sha256 bank, so
# `--pcr10 <tpm sha256>` and `--pcr10-sha1 <tpm sha1>` pass and a wrong value
# fails with "mismatch".  Without swtpm (or a kernel whose TPM driver is not
# built in) that part is skipped with the reason and the rest still runs.
# Kernels with per-bank lists (6.12; not 6.1): ascii_runtime_measurements_sha1
# is the classic list, and the sha256 one gives check-log the same verdicts
# and the same PCR 10 replay (the TPM's).
. "$(dirname "$0")/lib-kernel.sh"
kt_init "measurement log: check-log maps the kernel's list to the signed commit; replay = TPM PCR 10"
KT_TPM=1

[ -n "${OSTREE_IMA:-}" ] && [ -x "$OSTREE_IMA" ] || kt_die "OSTREE_IMA is not set or not executable"

kt_keygen_rsa rsa
tree=$KT_TMP/tree
kt_build_programs "$tree" good also victim broken
mkdir -p "$tree/usr/libexec/oima"
kt_build_programs "$KT_TMP/t2" tampered stranger
mv "$KT_TMP/t2/usr/bin/tampered" "$KT_TMP/t2/usr/bin/stranger" "$tree/usr/libexec/oima/"
chown 1000:1000 "$tree/usr/libexec/oima/tampered" "$tree/usr/libexec/oima/stranger"
mkdir -p "$tree/usr/share/oima"
echo 'data read while open for writing' >"$tree/usr/share/oima/data"
chown 1001:1001 "$tree/usr/share/oima/data"
chmod 0666 "$tree/usr/share/oima/data"
kt_add_files "$tree"
kt_build_programs "$KT_TMP/extra" intruder
kt_repo_init
kt_commit src "$tree"
kt_commit extra-src "$KT_TMP/extra"
kt_sign rsa sha256 src signed
kt_sign rsa sha256 extra-src extra-signed
rev=$("$KT_OSTREE" --repo="$KT_REPO" rev-parse signed) || kt_die "rev-parse signed failed"

# The deployment is the image root: /mnt/usr/bin/good is /usr/bin/good of $rev.
rmdir "$KT_IMGROOT"
"$KT_OSTREE" --repo="$KT_REPO" checkout --force-copy signed "$KT_IMGROOT" ||
	kt_die "ostree checkout of signed failed"
kt_checkout extra-signed .extra
root=$KT_IMGROOT
for p in usr/bin/good usr/bin/also usr/bin/victim usr/bin/broken usr/libexec/oima/tampered usr/libexec/oima/stranger .extra/usr/bin/intruder; do
	kt_require_ima_sig "$root/$p" 4
done
# The commit's content, signed by a key nobody trusts (same bytes on disk).
kt_keygen_rsa stranger
evmctl ima_sign --key "$(kt_key stranger)" -a sha256 "$root/usr/libexec/oima/stranger" >/dev/null 2>&1 ||
	kt_die "evmctl ima_sign with the stranger key failed"
kt_require_ima_sig "$root/usr/libexec/oima/stranger" 4
[ "$(stat -c %u "$root/usr/libexec/oima/tampered")" = 1000 ] || kt_die "checkout lost the owner of tampered"

# A validly signed program not in the commit.
cp -a --preserve=xattr "$root/.extra/usr/bin/intruder" "$root/usr/bin/intruder"
rm -rf "$root/.extra"
# A validly signed program over another one's path, with its security.ima.
cp --preserve=all "$root/usr/bin/also" "$root/usr/bin/victim"
[ "$(kt_ima_xattr "$root/usr/bin/victim")" = "$(kt_ima_xattr "$root/usr/bin/also")" ] ||
	kt_die "copying also over victim lost its security.ima"
# Bytes changed after signing (appended: the ELF still runs), xattr kept.
printf '\0' >>"$root/usr/libexec/oima/tampered"
printf '\0' >>"$root/usr/bin/broken"
for p in usr/bin/intruder usr/bin/victim usr/libexec/oima/tampered usr/bin/broken; do
	kt_require_ima_sig "$root/$p" 4
done

kt_guest_policy 'measure func=BPRM_CHECK fsuuid=@UUID@ template=ima-sig'
kt_guest_policy 'measure func=MMAP_CHECK mask=MAY_EXEC fsuuid=@UUID@ template=ima-sig'
kt_guest_policy 'measure func=FILE_CHECK mask=MAY_READ fsuuid=@UUID@ fowner=1001'
kt_guest_policy 'appraise func=BPRM_CHECK fsuuid=@UUID@ fowner=0 appraise_type=imasig'
kt_guest_ima_cert rsa
kt_guest_program good usr/bin/good
kt_guest_program also usr/bin/also
kt_guest_program victim usr/bin/victim
kt_guest_program intruder usr/bin/intruder
kt_guest_program tampered usr/libexec/oima/tampered
kt_guest_program broken usr/bin/broken
kt_guest_program stranger usr/libexec/oima/stranger
# Held open for writing (fd 3) while cat reads it: open_writers.
kt_guest_command violation "exec 3>>/mnt/usr/share/oima/data; cat /mnt/usr/share/oima/data"
KT_DUMP_MEASUREMENTS=1
KT_DUMP_BINARY_MEASUREMENTS=1
kt_boot

# --- what the kernel decided --------------------------------------------------
kt_expect_ran good
kt_expect_ran also
kt_expect_ran victim
kt_expect_ran intruder
kt_expect_ran tampered
kt_expect_denied broken invalid-signature
kt_expect_ran stranger

# --- the lists ------------------------------------------------------------------
ascii=$KT_TMP/ascii.log
binary=$KT_TMP/binary.log
kt_measurements >"$ascii"
kt_binary_measurements "$binary"
[ -s "$ascii" ] || kt_die "the guest dumped no ascii measurement list"
[ -s "$binary" ] || kt_die "the guest dumped no binary measurement list"
kt_log "ascii measurement list:"
sed 's/^/    /' "$ascii"
measured=(/usr/bin/good /usr/bin/also /usr/bin/victim /usr/bin/intruder /usr/libexec/oima/tampered /usr/bin/broken /usr/libexec/oima/stranger /usr/share/oima/data)
for p in "${measured[@]}"; do
	if awk -v p="/mnt$p" '$1 == 10 && ($NF == p || $(NF - 1) == p) { f = 1 } END { exit !f }' "$ascii"; then
		kt_pass "/mnt$p is in the ascii list"
	else
		kt_fail "/mnt$p is not in the ascii list"
	fi
done

# check_log NAME ARGS...: run check-log, output in $KT_TMP/NAME.out, rc in $cl_rc.
check_log() {
	local name=$1
	shift
	cl_rc=0
	"$OSTREE_IMA" check-log --repo="$KT_REPO" --prefix /mnt "$@" >"$KT_TMP/$name.out" 2>&1 || cl_rc=$?
	kt_log "check-log $* -> rc $cl_rc"
	sed 's/^/    /' "$KT_TMP/$name.out"
}

# Problem lines: "PATH: [config ]KIND: detail".
kinds='content-differs|unknown-file|bad-signature|untrusted-key|bad-template-hash|violation'
# The foreign entries, as a path regex: all the others must check clean.
foreign='/usr/(bin/(victim|intruder|broken)|libexec/oima/(tampered|stranger)|share/oima/data)'

# flagged NAME PATH [KIND]: check-log's NAME output has a problem line for PATH
# (printed with or without the /mnt prefix) of KIND (any kind if empty).
flagged() {
	grep -Eq "^(/mnt)?$2: (config )?(${3:-$kinds}):" "$KT_TMP/$1.out"
}

# pcr_out NAME BANK: the replayed value check-log printed.
pcr_out() {
	sed -n "s/^PCR 10 $2: *\([0-9a-fA-F]*\).*/\1/p" "$KT_TMP/$1.out" | head -n 1 | tr 'A-F' 'a-f'
}

# expect_problems NAME: the verdict on the full list.
expect_problems() {
	local n=$1 p
	if [ "$cl_rc" != 0 ]; then
		kt_pass "$n: check-log fails on the full list (rc $cl_rc)"
	else
		kt_fail "$n: check-log exited 0 on a list with foreign content"
	fi
	for p in /usr/bin/victim /usr/libexec/oima/tampered /usr/bin/broken; do
		if flagged "$n" "$p" content-differs; then
			kt_pass "$n: $p flagged content-differs"
		else
			kt_fail "$n: $p not flagged content-differs"
		fi
	done
	if flagged "$n" /usr/bin/intruder unknown-file; then
		kt_pass "$n: /usr/bin/intruder flagged unknown-file"
	else
		kt_fail "$n: /usr/bin/intruder not flagged unknown-file"
	fi
	if flagged "$n" /usr/libexec/oima/stranger untrusted-key; then
		kt_pass "$n: /usr/libexec/oima/stranger (the commit's content, signed by an untrusted key) flagged untrusted-key"
	else
		kt_fail "$n: /usr/libexec/oima/stranger not flagged untrusted-key"
	fi
	if flagged "$n" /usr/share/oima/data violation; then
		kt_pass "$n: /usr/share/oima/data (read while open for writing) flagged violation"
	else
		kt_fail "$n: /usr/share/oima/data not flagged violation"
	fi
	for p in /usr/bin/good /usr/bin/also; do
		if flagged "$n" "$p"; then
			kt_fail "$n: clean $p flagged: $(grep -E "^(/mnt)?$p: " "$KT_TMP/$n.out" | head -n 1)"
		else
			kt_pass "$n: clean $p not flagged"
		fi
	done
	# Nothing else either (boot_aggregate, say).
	local other
	other=$(grep -E "^[^ ]+: (config )?($kinds):" "$KT_TMP/$n.out" | grep -Ev "^(/mnt)?$foreign: " || true)
	if [ -z "$other" ]; then
		kt_pass "$n: no other path flagged"
	else
		kt_fail "$n: unexpected problems: $other"
	fi
	if grep -q '^check-log:' "$KT_TMP/$n.out"; then
		kt_pass "$n: summary line"
	else
		kt_fail "$n: no 'check-log:' summary line"
	fi
}

check_log ascii --cert "$(kt_cert rsa)" "$rev" "$ascii"
expect_problems ascii
check_log binary --cert "$(kt_cert rsa)" "$rev" - <"$binary"
expect_problems binary

# Both formats replay to the same PCR 10.
a1=$(pcr_out ascii sha1)
a256=$(pcr_out ascii sha256)
b1=$(pcr_out binary sha1)
b256=$(pcr_out binary sha256)
if [ ${#a1} = 40 ] && [ ${#a256} = 64 ] && [ "$a1" = "$b1" ] && [ "$a256" = "$b256" ]; then
	kt_pass "ascii and binary lists replay to the same PCR 10 (sha1 $a1, sha256 $a256)"
else
	kt_fail "PCR 10 replay: ascii sha1 '$a1' sha256 '$a256', binary sha1 '$b1' sha256 '$b256'"
fi

# The list without the foreign entries matches the commit: exit 0.
grep -Ev " /mnt$foreign( |\$)" "$ascii" >"$KT_TMP/clean.log"
n_foreign=$(($(wc -l <"$ascii") - $(wc -l <"$KT_TMP/clean.log")))
[ "$n_foreign" -ge 6 ] ||
	kt_fail "filtering the six foreign files out of the ascii list dropped only $n_foreign lines"
check_log clean --cert "$(kt_cert rsa)" "$rev" "$KT_TMP/clean.log"
if [ "$cl_rc" = 0 ]; then
	kt_pass "clean: check-log exits 0 on the list without the foreign entries"
else
	kt_fail "clean: check-log rc $cl_rc on the list without the foreign entries"
fi

# --- PCR 10 against the software TPM -------------------------------------------
wrong=$(printf '%064d' 0)
if [ "$KT_TPM" = 1 ]; then
	t1=$(kt_tpm_pcr10 sha1)
	t256=$(kt_tpm_pcr10 sha256)
	kt_log "guest TPM PCR 10: sha1 $t1 sha256 $t256"
	if [ "$t256" = "$(printf '%064d' 0)" ]; then
		kt_fail "the TPM's PCR 10 (sha256) is all zeroes: IMA did not extend it"
	fi
	if [ "$a1" = "$t1" ]; then kt_pass "replay (sha1) = TPM PCR 10"; else kt_fail "replay sha1 '$a1' != TPM '$t1'"; fi
	if [ "$a256" = "$t256" ]; then kt_pass "replay (sha256) = TPM PCR 10"; else kt_fail "replay sha256 '$a256' != TPM '$t256'"; fi
	for f in ascii binary; do
		if [ $f = ascii ]; then in=$ascii; else in=$binary; fi
		check_log "$f-pcr" --pcr10 "$t256" --pcr10-sha1 "$t1" "$rev" "$in"
		if grep -qi mismatch "$KT_TMP/$f-pcr.out"; then
			kt_fail "$f: --pcr10/--pcr10-sha1 with the TPM's values reported a mismatch"
		else
			kt_pass "$f: --pcr10 and --pcr10-sha1 with the TPM's values accepted"
		fi
	done
	check_log clean-pcr --pcr10 "$t256" --pcr10-sha1 "$t1" "$rev" "$KT_TMP/clean.log"
	if [ "$cl_rc" != 0 ] && grep -qi 'PCR 10.*mismatch' "$KT_TMP/clean-pcr.out"; then
		kt_pass "clean list (entries dropped) no longer matches the TPM's PCR 10"
	else
		kt_fail "clean list vs the TPM's PCR 10: rc $cl_rc, no 'PCR 10 ... mismatch'"
	fi
else
	kt_log "SKIP (TPM part): $KT_TPM_SKIP"
	# Still check that --pcr10 compares: the replayed values pass.
	check_log self-pcr --pcr10 "$a256" --pcr10-sha1 "$a1" "$rev" "$ascii"
	if grep -qi mismatch "$KT_TMP/self-pcr.out"; then
		kt_fail "--pcr10/--pcr10-sha1 with check-log's own replay reported a mismatch"
	else
		kt_pass "--pcr10/--pcr10-sha1 with check-log's own replay accepted"
	fi
fi

# --- the per-bank lists ---------------------------------------------------------
# 6.12 also has ascii_runtime_measurements_<bank>, one per TPM bank (and the
# sha1 + sha256 defaults without a TPM), each entry's template hash in that
# bank's algorithm; 6.1 has only the classic (sha1) list.  The sha1 one must be
# the classic list, and check-log must read the sha256 one (64-hex template
# hashes) to the same verdicts and the same replay: that of the TPM's PCR 10.
banks=$(kt_measurement_banks | paste -sd' ' -)
if [ -z "$banks" ]; then
	if [ "$KT_KERNEL_SERIES" = 6.1 ]; then
		kt_log "SKIP (per-bank lists): 6.1 has no ascii_runtime_measurements_<bank>"
	else
		kt_fail "$KT_KERNEL_SERIES has no per-bank lists (ascii_runtime_measurements_<bank>)"
	fi
else
	kt_log "per-bank lists: $banks"
	if [ "$(kt_measurements sha1)" = "$(cat "$ascii")" ]; then
		kt_pass "ascii_runtime_measurements_sha1 is the classic list"
	else
		kt_fail "ascii_runtime_measurements_sha1 differs from ascii_runtime_measurements"
	fi
	bank256=$KT_TMP/ascii-sha256.log
	kt_measurements sha256 >"$bank256"
	if [ "$(wc -l <"$bank256")" = "$(wc -l <"$ascii")" ] &&
		[ "$(awk '{ print length($2) }' "$bank256" | sort -u)" = 64 ]; then
		kt_pass "ascii_runtime_measurements_sha256: as many entries, sha256 template hashes"
	else
		kt_fail "ascii_runtime_measurements_sha256: $(wc -l <"$bank256") entries (classic: $(wc -l <"$ascii")), template hash lengths $(awk '{ print length($2) }' "$bank256" | sort -u | paste -sd, -)"
	fi
	check_log ascii-sha256 --cert "$(kt_cert rsa)" "$rev" "$bank256"
	expect_problems ascii-sha256
	if [ "$(pcr_out ascii-sha256 sha1)" = "$a1" ] && [ "$(pcr_out ascii-sha256 sha256)" = "$a256" ]; then
		kt_pass "the sha256 list replays to the classic list's PCR 10 (sha1 and sha256)"
	else
		kt_fail "the sha256 list replays to sha1 '$(pcr_out ascii-sha256 sha1)' sha256 '$(pcr_out ascii-sha256 sha256)', the classic one to '$a1' '$a256'"
	fi
	if [ "$KT_TPM" = 1 ]; then
		check_log ascii-sha256-pcr --pcr10 "$t256" --pcr10-sha1 "$t1" "$rev" "$bank256"
		if grep -qi mismatch "$KT_TMP/ascii-sha256-pcr.out"; then
			kt_fail "sha256 list: --pcr10/--pcr10-sha1 with the TPM's values reported a mismatch"
		else
			kt_pass "sha256 list: --pcr10 and --pcr10-sha1 with the TPM's values accepted"
		fi
	fi
fi

# A wrong value fails with a mismatch, whatever the content verdict.
check_log wrong-pcr --pcr10 "$wrong" "$rev" "$KT_TMP/clean.log"
if [ "$cl_rc" != 0 ] && grep -qi 'PCR 10.*mismatch' "$KT_TMP/wrong-pcr.out"; then
	kt_pass "a wrong --pcr10 fails with 'PCR 10 ... mismatch'"
else
	kt_fail "a wrong --pcr10: rc $cl_rc, no 'PCR 10 ... mismatch'"
fi
check_log wrong-pcr-sha1 --pcr10-sha1 "$(printf '%040d' 0)" "$rev" "$KT_TMP/clean.log"
if [ "$cl_rc" != 0 ] && grep -qi 'PCR 10.*mismatch' "$KT_TMP/wrong-pcr-sha1.out"; then
	kt_pass "a wrong --pcr10-sha1 fails with 'PCR 10 ... mismatch'"
else
	kt_fail "a wrong --pcr10-sha1: rc $cl_rc, no 'PCR 10 ... mismatch'"
fi
kt_finish
