#!/bin/bash
# The simulator against the kernel's builtin policies: one boot per
# `ima_policy=` (tcb, appraise_tcb, secure_boot) with no policy file loaded,
# every exercised file's kernel verdict (ran / denied, audit cause) compared
# with what `ostree-ima appraise --dir --builtin NAME` predicts for the same
# tree; every disagreement fails.
#   appraise_tcb: root-owned files, whatever the hook, need a good hash or
#     signature (the initramfs on tmpfs is left out by the builtin
#     dont_appraise fsmagic= rules): programs signed / unsigned / hashed /
#     wrong hash / tampered / unknown key / user-owned, `cat` of a signed and
#     an unsigned file, `insmod` of an unsigned module, one signed by an
#     unknown key, then the signed one.
#   secure_boot: modules and policy files need signatures, nothing else is
#     appraised: the same programs all run; `insmod` of the module unsigned,
#     hashed, signed by an unknown key (all denied), then signed (loads);
#     writing the path of an unsigned policy file to the policy (denied),
#     then of a signed one (loaded).  The initramfs's own modules get
#     signatures on the guest before insmod (kt_guest_sign_modules).
#   tcb: measurement only, so there is no denial to compare: nothing may be
#     denied, and the measurement list must hold every program run, the file
#     root read and the module loaded (the policy was in effect).
. "$(dirname "$0")/lib-kernel.sh"
kt_init "builtin policies (ima_policy=): predictions agree with the kernel's verdicts"

series=$KT_KERNEL_SERIES
kt_program_variants
programs=$KT_VARIANT_PROGRAMS

# A module the guest has not loaded (not in the initramfs, no dependencies
# outside it), one copy per variant under the tree's usr/lib/modules, where
# the simulator names MODULE_CHECK.  A denied insmod loads nothing, so the
# signed copy comes last and loads.
release=$(cat "$KT_KERNEL_DIR/release")
# shellcheck disable=SC2086
base=" $(kt__module_order $KT_BASE_MODULES | xargs -rn1 basename | sed 's/\.ko$//' | tr '\n-' ' _') "
module=
# Preferred: virtio parts (harmless to load, no hardware needed); then any
# generic one (arch/ modules may need CPU features qemu's TCG lacks).
while read -r f; do
	[ -n "$f" ] || continue
	m=$(basename "$f" .ko | tr - _)
	case $base in *" $m "*) continue ;; esac
	deps=$(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | head -n 1)
	ok=1
	for d in ${deps//,/ }; do case $base in *" ${d//-/_} "*) ;; *) ok=0 ;; esac; done
	[ $ok = 1 ] && { module=$f; break; }
done < <(
	for m in virtio_blk virtio virtio_ring; do kt_module_file "$m"; done
	find "$KT_KERNEL_DIR/modules" -name '*.ko' -not -path '*/arch/*' | LC_ALL=C sort
)
[ -n "$module" ] || kt_die "no loadable test module in $KT_KERNEL_DIR/modules"
kt_log "test module: $(basename "$module")"
moddir=$KT_IMGROOT/usr/lib/modules/$release/extra
ko=$(basename "$module")
for v in unsigned hashed stranger signed; do
	mkdir -p "$moddir/$v"
	cp "$module" "$moddir/$v/"
	chmod 0644 "$moddir/$v/$ko"
done
evmctl ima_hash -a sha256 "$moddir/hashed/$ko" >/dev/null 2>&1 || kt_die "evmctl ima_hash (module)"
evmctl ima_sign -a sha256 --key "$(kt_key stranger)" "$moddir/stranger/$ko" >/dev/null 2>&1 ||
	kt_die "evmctl ima_sign (module, stranger)"
evmctl ima_sign -a sha256 --key "$(kt_key rsa)" "$moddir/signed/$ko" >/dev/null 2>&1 ||
	kt_die "evmctl ima_sign (module)"
# Policy files (POLICY_CHECK under /etc/ima): a harmless rule.
mkdir -p "$KT_IMGROOT/etc/ima"
echo 'dont_appraise fsmagic=0x9fa0' >"$KT_IMGROOT/etc/ima/unsigned-policy"
cp "$KT_IMGROOT/etc/ima/unsigned-policy" "$KT_IMGROOT/etc/ima/signed-policy"
evmctl ima_sign -a sha256 --key "$(kt_key rsa)" "$KT_IMGROOT/etc/ima/signed-policy" >/dev/null 2>&1 ||
	kt_die "evmctl ima_sign (policy)"

# Each exercise: NAME|PATH|HOOKS (the order the kernel meets them)|COMMAND.
exercises() {  # POLICY
	local p
	for p in $programs; do
		echo "$(echo "$p" | tr / _)|$p|FILE_CHECK BPRM_CHECK MMAP_CHECK|"
	done
	echo "cat-signed|signed/usr/share/oima-test/readme.txt|FILE_CHECK|cat /mnt/signed/usr/share/oima-test/readme.txt"
	echo "cat-unsigned|plain/usr/share/oima-test/readme.txt|FILE_CHECK|cat /mnt/plain/usr/share/oima-test/readme.txt"
	local variants=
	case $1 in
	tcb) variants=unsigned ;;
	appraise_tcb) variants="unsigned stranger signed" ;;
	secure_boot) variants="unsigned hashed stranger signed" ;;
	esac
	for v in $variants; do
		echo "insmod-$v|usr/lib/modules/$release/extra/$v/$ko|FILE_CHECK MODULE_CHECK|insmod /mnt/usr/lib/modules/$release/extra/$v/$ko"
	done
	if [ "$1" = secure_boot ]; then
		for v in unsigned signed; do
			echo "policy-$v|etc/ima/$v-policy|POLICY_CHECK|echo /mnt/etc/ima/$v-policy >/sys/kernel/security/ima/policy"
		done
	fi
}

agree() {  # BUILTIN
	local label=$1 name path hooks cmd
	kt_boot_reset
	kt_guest_builtin_policy "$label"
	[ "$label" != secure_boot ] || kt_guest_sign_modules rsa
	[ "$label" != tcb ] || KT_DUMP_MEASUREMENTS=1
	kt_guest_ima_cert rsa
	while IFS='|' read -r name path hooks cmd; do
		if [ -z "$cmd" ]; then kt_guest_program "$name" "$path"; else kt_guest_command "$name" "$cmd"; fi
	done < <(exercises "$label")
	"$OSTREE_IMA" appraise --dir="$KT_IMGROOT" --cert "$(kt_cert rsa)" --builtin "$label" \
		--kernel "$series" --fsmagic ext4 --json >"$KT_TMP/predict-$label.json" 2>"$KT_TMP/predict-$label.err" || true
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$KT_TMP/predict-$label.json" 2>/dev/null || {
		cat "$KT_TMP/predict-$label.err" >&2
		kt_die "ostree-ima appraise --builtin $label gave no JSON"
	}
	kt_boot
	grep -q "^KT-POLICY builtin ima_policy=$label\$" "$KT_SERIAL_LOG" ||
		kt_fail "$label: the guest did not boot with ima_policy=$label"
	KT_SIM_RUNS=0 KT_SIM_DENIALS=0
	while IFS='|' read -r name path hooks cmd; do
		# shellcheck disable=SC2086
		kt_sim_agree "$label" "$name" "$path" "$KT_TMP/predict-$label.json" $hooks
	done < <(exercises "$label")
	case $label in
	tcb)
		# No appraisal rule: nothing may be denied, and the policy must have been
		# in effect (every program measured at exec).
		[ $KT_SIM_DENIALS = 0 ] || kt_fail "tcb: nothing may be denied ($KT_SIM_DENIALS denied)"
		local p
		for p in $programs plain/usr/share/oima-test/readme.txt \
			"usr/lib/modules/$release/extra/unsigned/$ko"; do
			# (ima-sig lines end in the signature, if any: field 5 is the path)
			if kt_measurements | awk -v p="/mnt/$p" '$5 == p { f = 1 } END { exit !f }'; then
				kt_pass "tcb: /mnt/$p is in the measurement list"
			else
				kt_fail "tcb: /mnt/$p was run, read or loaded but is not in the measurement list"
			fi
		done
		;;
	*)
		[ $KT_SIM_RUNS -gt 0 ] && [ $KT_SIM_DENIALS -gt 0 ] ||
			kt_fail "$label: a boot needs a run and a denial ($KT_SIM_RUNS ran, $KT_SIM_DENIALS denied)"
		;;
	esac
}

for b in appraise_tcb secure_boot tcb; do agree "$b"; done
kt_finish
