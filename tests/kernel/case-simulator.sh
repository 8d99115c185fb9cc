#!/bin/bash
# The simulator against the kernel: one boot per policy, every program's
# kernel verdict (ran / denied, audit cause) compared with what
# `ostree-ima appraise --dir` predicts for the same files (the image's
# tree): signed by the loaded key, unsigned, signed by a key the keyring
# lacks, a hash, a hash of other bytes, a signature over other content, a
# sha512 signature, a file owned by uid 1000; under an exec imasig policy,
# a hash policy, appraise_algos=, dont_appraise by fsmagic, fowner>,
# SUSE's published example and a meta-integrity-like policy.  Every
# disagreement fails; every boot has runs and denials.
. "$(dirname "$0")/lib-kernel.sh"
kt_init "simulator: predictions agree with the kernel's verdicts"

srcdir=$(cd "$KT_LIBDIR/../.." && pwd)
# The kernel series ("6.1") decides the policy keywords.
series=$(basename "$KT_KERNEL_DIR" | sed -E 's/^linux-image-([0-9]+\.[0-9]+).*/\1/')
kt_program_variants 1
programs=$KT_VARIANT_PROGRAMS

# A policy file for the simulator: the rules the guest loads, fsuuid
# (which keeps the initramfs out) left to match the image.
agree() {  # LABEL POLICYFILE
	local label=$1 policy=$2 p
	kt_boot_reset
	while IFS= read -r rule; do kt_guest_policy "$rule"; done < <(grep -v '^ *#' "$policy" | sed '/^ *$/d')
	kt_guest_ima_cert rsa
	for p in $programs; do kt_guest_program "$(echo "$p" | tr / _)" "$p"; done
	"$OSTREE_IMA" appraise --dir="$KT_IMGROOT" --cert "$(kt_cert rsa)" \
		--policy <(sed "s/ fsuuid=@UUID@//" "$policy") --kernel "$series" \
		--fsmagic ext4 --json >"$KT_TMP/predict-$label.json" 2>/dev/null || true
	kt_boot
	KT_SIM_RUNS=0 KT_SIM_DENIALS=0
	for p in $programs; do
		# The first denial of an exec: FILE_CHECK (exec open), BPRM_CHECK, MMAP_CHECK.
		kt_sim_agree "$label" "$(echo "$p" | tr / _)" "$p" "$KT_TMP/predict-$label.json"
	done
	# A positive and a negative in every boot (the dont_appraise one only runs).
	case $label in
	dont-appraise) [ $KT_SIM_DENIALS = 0 ] || kt_fail "$label: nothing may be denied" ;;
	*) [ $KT_SIM_RUNS -gt 0 ] && [ $KT_SIM_DENIALS -gt 0 ] ||
		kt_fail "$label: a boot needs a run and a denial ($KT_SIM_RUNS ran, $KT_SIM_DENIALS denied)" ;;
	esac
}

pol=$KT_TMP/policies
mkdir -p "$pol"
echo "$KT_POLICY_EXEC" >"$pol/exec"
cat >"$pol/hash" <<-'EOF2'
	appraise func=BPRM_CHECK fsuuid=@UUID@
EOF2
cat >"$pol/algos" <<-'EOF2'
	appraise func=BPRM_CHECK fsuuid=@UUID@ appraise_type=imasig appraise_algos=sha512
EOF2
cat >"$pol/dont-appraise" <<-'EOF2'
	dont_appraise fsmagic=0xef53
	appraise func=BPRM_CHECK fsuuid=@UUID@ appraise_type=imasig
EOF2
cat >"$pol/fowner" <<-'EOF2'
	appraise func=BPRM_CHECK fsuuid=@UUID@ fowner>999 appraise_type=imasig
EOF2
for p in exec hash algos dont-appraise fowner; do agree "$p" "$pol/$p"; done
# Published policies, as they are (their dont_appraise list keeps the
# initramfs on tmpfs/ramfs out).
agree suse "$srcdir/tests/data/policies/suse-sdb-example.policy"
agree meta-integrity "$srcdir/tests/data/policies/meta-integrity-like.policy"
kt_finish
