#!/bin/bash
# Whole signed OS deployments under the real kernel: Debian
# bookworm minbase (debootstrap, cached: tests/lib-os-tree.sh) committed and
# signed with `ostree-ima sign` (RSA-2048) and, when there is a patched
# ostree ($OSTREE_IMA_PATCHED_OSTREE), committed again with its `ostree
# commit --ima-sign` and a second key, ECDSA P-256 where the kernel has
# CONFIG_CRYPTO_ECDSA (6.12), else RSA-2048 (its own signatures, so its own
# content objects and inodes: the same RSA key would give byte-identical
# signatures, the same objects); both deployed with `ostree admin deploy`
# into one sysroot, both certs in _ima.  The stateroot's deployments
# directory goes on an ext4 disk the guest attaches as a read-only virtio
# disk (kt_make_disk).  One boot per policy:
#   exec: BPRM_CHECK + MMAP_CHECK mask=MAY_EXEC, imasig
#   tcb:  the same + FILE_CHECK mask=^MAY_READ fowner=0, imasig (like
#         appraise_tcb: root-owned files read as well)
# Every rule has fsuuid= of the disk, so the initramfs is not appraised.
# In each boot a battery of each deployment's own programs runs with
# `chroot` into it (/dev and /proc mounted; shells, coreutils, dpkg, apt,
# perl, gzip, scripts, ...): each must run, and the kernel must log no audit
# cause for any file of the deployments.  Controls in the same boot, on the
# same disk (/oima-neg of the `ostree-ima sign` deployment): an unsigned
# copy of ls (IMA-signature-required), a copy of ls changed after signing
# (invalid-signature), ls with LD_LIBRARY_PATH to a copy of libselinux
# changed after signing (exec: denied at mmap, invalid-signature; tcb: the
# loader's open is refused, it falls back to the signed library and ls
# runs), cat of an unsigned root-owned file (tcb: denied
# IMA-signature-required; exec: runs) and of an unsigned file owned by uid
# 1000 (runs: fowner=0).
# EVM, a third boot: the same tree plus a program with a file capability,
# signed with `ostree-ima sign --evm` (portable EVM signatures), deployed
# too; under the tcb policy with EVM in x509 mode (the vendor certificate
# in _ima and _evm, `echo 2 > /sys/kernel/security/evm`) its 31 programs,
# a setuid one (mount) and the file-capability one run; in the same boot ls
# with its mode changed after signing is denied invalid-fail-immutable, a
# copy without security.evm and the deployment signed without --evm are
# denied missing-HMAC; `appraise --evm` predicts each.
# With the patched ostree, the /etc story as well: the device changes
# /etc/hostname and adds /etc/foo.conf; the next deploy through the ima
# plugin (enforce, a device key) signs them in the new deployment, whose
# `cat` of both runs under tcb with the device's certificate in _ima, while
# the old deployment's copies (stale signature, none) are denied in the
# same boot.
# `ostree-ima appraise` predicts the same before the boot: --sysroot on the
# deployments (zero denials) and --dir on each deployment's tree on the
# disk, whose per-file causes must match the kernel's audit lines (every
# audited file, every entry); any disagreement fails.
. "$(dirname "$0")/lib-kernel.sh"
# libtest.sh first: lib-os-tree.sh uses its gen_bytes and info.
. "$KT_LIBDIR/../libtest.sh"
. "$KT_LIBDIR/../lib-os-tree.sh"
kt_init "deployment: signed Debian minbase deployments on a virtio disk, their own programs"

series=$KT_KERNEL_SERIES
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
t0=$EPOCHREALTIME
rc=0
rootfs=$(oima_minbase_rootfs) || rc=$?
case $rc in
0) ;;
77) kt_skip_infra "debootstrap not found (see ci/packages.d/kernel.txt)" ;;
*) kt_die "building the debootstrap tree failed (rc $rc)" ;;
esac
kt_log "OS tree: $rootfs ($(secs "$t0") s)"

# ---------------------------------------------------------------- the vendor
sysroot=$KT_TMP/sysroot
mkdir -p "$sysroot"
ostree admin init-fs "$sysroot" >/dev/null || kt_die "ostree admin init-fs failed"
ostree admin os-init --sysroot="$sysroot" os >/dev/null || kt_die "ostree admin os-init failed"
KT_REPO=$sysroot/ostree/repo
kt_commit src "$rootfs"
kt_keygen_rsa vendor
kt_sign vendor sha256 src os/signed
# For EVM: the same tree plus a program with a file capability, signed with
# a portable EVM signature over security.ima, security.capability, owner and
# mode (ostree-ima sign --evm).
capdir=$KT_TMP/cap
mkdir -p "$capdir/usr/local/bin"
cp "$rootfs/usr/bin/true" "$capdir/usr/local/bin/captrue"
setcap cap_net_raw=ep "$capdir/usr/local/bin/captrue" || kt_die "setcap failed"
ostree --repo="$KT_REPO" commit -b evm-src --tree=ref=src --tree=dir="$capdir" --no-bindings \
	-s "kernel test evm-src" >/dev/null || kt_die "ostree commit of evm-src failed"
"$OSTREE_IMA" sign --repo="$KT_REPO" --key "$(kt_key vendor)" --cert "$(kt_cert vendor)" --evm \
	evm-src os/evm >/dev/null || kt_die "ostree-ima sign --evm failed"
keys=(vendor)
# Deployed in this order: os/signed is the default (next boot) deployment.
refs=(os/evm os/signed)
if patched=$(kt_patched_ostree 2>"$KT_TMP/patched.err"); then
	t0=$EPOCHREALTIME
	if kt_kernel_has CONFIG_CRYPTO_ECDSA; then
		kt_keygen_ec builder P-256
		alg="ECDSA P-256"
	else
		kt_keygen_rsa builder
		alg=RSA-2048
	fi
	KT_OSTREE=$patched kt_commit os/patched "$rootfs" \
		--ima-sign --ima-key="$(kt_key builder)" --ima-cert="$(kt_cert builder)"
	kt_log "patched ostree commit --ima-sign, $alg: $(secs "$t0") s"
	keys+=(builder)
	refs=(os/evm os/patched os/signed)
else
	kt_log "no patched ostree ($(sed "s/^$KT_NAME: //" "$KT_TMP/patched.err")): its ostree commit --ima-sign deployment is left out"
fi
root=$sysroot/ostree/deploy/os/deploy
declare -A dep
labels=()
for ref in "${refs[@]}"; do
	ostree admin deploy --sysroot="$sysroot" --os=os --retain "$ref" >"$KT_TMP/deploy.log" 2>&1 || {
		cat "$KT_TMP/deploy.log" >&2
		kt_die "ostree admin deploy $ref failed"
	}
	l=${ref#os/}
	labels+=("$l")
	dep[$l]=$(ostree --repo="$KT_REPO" rev-parse "$ref").0
	[ -d "$root/${dep[$l]}" ] || kt_die "no deployment ${dep[$l]} of $ref"
done
# ostree makes deployment roots immutable: the controls go in there, and
# the temp dir must be removable.
for l in "${labels[@]}"; do
	chattr -i "$root/${dep[$l]}"
	kt_log "deployed $l: ${dep[$l]} ($(find "$root/${dep[$l]}" -type f | wc -l) regular files)"
done

# ---------------------------------------------------------------- /etc
# With the patched ostree and its ima plugin, the device's /etc story: the
# device changes /etc/hostname and adds /etc/foo.conf in its running
# (default) deployment; the next `ostree admin deploy` (the plugin's
# deploy hook: enforce, the tcb policy below, a device key) merges them
# into a new deployment and signs both with the device key, whose
# certificate the guest loads into _ima next to the others.  The old
# deployment keeps them as the device left them: a stale signature, none.
etc_story=
if [ -n "${dep[patched]:-}" ]; then
	etc_story=1
	old=$root/${dep[signed]}
	cp -a "$old/etc/hostname" "$KT_TMP/hostname"
	echo device >"$KT_TMP/hostname"
	mv "$KT_TMP/hostname" "$old/etc/hostname"
	echo 'device setting' >"$old/etc/foo.conf"
	kt_require_ima_sig "$old/etc/hostname" 4
	kt_keygen_rsa device
	mkdir -p "$sysroot/etc/ostree" "$sysroot/etc/keys/ima" "$sysroot/etc/keys/ima-device" "$sysroot/etc/ima"
	for k in "${keys[@]}" device; do cp "$(kt_cert "$k")" "$sysroot/etc/keys/ima/$k.pem"; done
	install -m 0600 "$(kt_key device)" "$sysroot/etc/keys/ima-device/key.pem"
	{
		echo "$KT_POLICY_EXEC"
		echo 'appraise func=FILE_CHECK mask=^MAY_READ fowner=0 appraise_type=imasig'
	} | sed 's/ fsuuid=@UUID@//' >"$sysroot/etc/ima/ima-policy"
	printf '[policy]\nfile=/etc/ima/ima-policy\nkernel=%s\nfsmagic=ext4\n[deploy]\nmode=enforce\netc-signing-key=/etc/keys/ima-device/key.pem\n' \
		"$series" >"$sysroot/etc/ostree/ima.conf"
	"$patched" admin deploy --sysroot="$sysroot" --os=os --retain os/signed >"$KT_TMP/deploy-etc.log" 2>&1 || {
		cat "$KT_TMP/deploy-etc.log" >&2
		kt_die "ostree admin deploy with the ima plugin (the /etc story) failed"
	}
	grep -q 'ima: signed 2 files of the merged /etc with the device key' "$KT_TMP/deploy-etc.log" ||
		kt_die "the deploy hook did not sign the 2 device files: $(cat "$KT_TMP/deploy-etc.log")"
	dep[etc]=$(ostree --repo="$KT_REPO" rev-parse os/signed).1
	[ -d "$root/${dep[etc]}" ] || kt_die "no deployment ${dep[etc]}"
	chattr -i "$root/${dep[etc]}"
	[ "$(cat "$root/${dep[etc]}/etc/hostname")" = device ] || kt_die "the merged /etc lost the device's hostname"
	labels+=(etc)
	keys+=(device)
	kt_log "deployed etc: ${dep[etc]} (the merged /etc signed with the device key)"
else
	kt_log "no patched ostree: the /etc story (the ima plugin's deploy hook) is left out"
fi

certs=()
for k in "${keys[@]}"; do certs+=(--cert "$(kt_cert "$k")"); done

pol=$KT_TMP/policies
mkdir -p "$pol"
echo "$KT_POLICY_EXEC" >"$pol/exec"
{
	echo "$KT_POLICY_EXEC"
	echo 'appraise func=FILE_CHECK mask=^MAY_READ fowner=0 fsuuid=@UUID@ appraise_type=imasig'
} >"$pol/tcb"
cp "$pol/tcb" "$pol/evm"
policies="exec tcb evm"
# The simulator gets the same rules; fsuuid= (which keeps the initramfs out)
# is left to match the disk.
for p in $policies; do sed 's/ fsuuid=@UUID@//' "$pol/$p" >"$pol/$p.sim"; done

# The deployments as the device sees them: nothing denied (the default one
# with its merged /etc, the other by its commit).
for p in exec tcb; do
	for ref in "" "${refs[@]:1:${#refs[@]}-2}"; do
		if "$OSTREE_IMA" appraise --sysroot="$sysroot" "${certs[@]}" --policy "$pol/$p.sim" \
			--kernel "$series" --fsmagic ext4 ${ref:+"$ref"} >"$KT_TMP/appraise-sysroot.out" 2>&1; then
			kt_pass "$p: ostree-ima appraise --sysroot ${ref:-(default deployment)}: $(tail -n 1 "$KT_TMP/appraise-sysroot.out")"
		else
			sed 's/^/    /' "$KT_TMP/appraise-sysroot.out" | head -n 20
			kt_fail "$p: ostree-ima appraise --sysroot ${ref:-(default deployment)} predicts denials"
		fi
	done
done

# ---------------------------------------------------------------- controls
# On the disk next to the deployment's own files, reachable in its chroot.
signed=$root/${dep[signed]}
neg=$signed/oima-neg
mkdir -p "$neg/lib"
cp "$signed/usr/bin/ls" "$neg/ls-unsigned"
setfattr -x security.ima "$neg/ls-unsigned" 2>/dev/null || true
cp -a "$signed/usr/bin/ls" "$neg/ls-tampered"
printf '\0' >>"$neg/ls-tampered"
cp -a "$(readlink -f "$signed/usr/lib/x86_64-linux-gnu/libselinux.so.1")" "$neg/lib/libselinux.so.1"
printf '\0' >>"$neg/lib/libselinux.so.1"
printf 'not signed\n' >"$neg/unsigned.txt"
printf 'owned by a user, not signed\n' >"$neg/user.txt"
chown 1000:1000 "$neg/user.txt"
chmod 0644 "$neg/unsigned.txt" "$neg/user.txt"
[ -z "$(kt_ima_xattr "$neg/ls-unsigned")" ] || kt_die "the unsigned copy has a security.ima"
# EVM controls, in the --evm deployment: ls with its mode changed after
# signing (tar keeps security.evm), ls without security.evm (cp drops it).
evmd=$root/${dep[evm]}
nege=$evmd/oima-neg-evm
mkdir -p "$nege"
tar -C "$evmd/usr/bin" --xattrs --xattrs-include='*' -cf - ls | tar -C "$nege" --xattrs --xattrs-include='*' -xf -
mv "$nege/ls" "$nege/ls-mode"
chmod 0700 "$nege/ls-mode"
cp -a "$evmd/usr/bin/ls" "$nege/ls-noevm"
evm_of() { getfattr -e hex -n security.evm "$1" 2>/dev/null | sed -n 's/^security.evm=0x//p'; }
[ "$(evm_of "$nege/ls-mode" | cut -c1-2)" = 05 ] || kt_die "the mode-changed copy lost its security.evm"
[ -z "$(evm_of "$nege/ls-noevm")" ] || kt_die "cp kept security.evm"
[ "$(evm_of "$evmd/usr/local/bin/captrue" | cut -c1-2)" = 05 ] || kt_die "captrue has no portable security.evm"
getfattr -n security.capability "$evmd/usr/local/bin/captrue" >/dev/null 2>&1 || kt_die "captrue lost its capability"
kt_require_ima_sig "$neg/ls-tampered" 4
kt_require_ima_sig "$neg/lib/libselinux.so.1" 4
if [ -n "${dep[patched]:-}" ]; then
	x=$(kt_ima_xattr "$root/${dep[patched]}/usr/bin/ls")
	kt_require_ima_sig "$root/${dep[patched]}/usr/bin/ls" 4
	[ "${x:6:8}" != "$(kt_ima_xattr "$signed/usr/bin/ls" | cut -c7-14)" ] ||
		kt_die "the patched deployment's ls is signed with the vendor key, not the builder key"
fi

# ---------------------------------------------------------------- the battery
# run LABEL NAME FILE HOOKS COMMAND: the guest runs `chroot
# /mnt/<deployment of LABEL> COMMAND`.  FILE (in the deployment, symlinks
# resolved, as the kernel's audit names it) is the file the entry is about;
# HOOKS (comma-separated) the hooks it meets there, in order, for the
# simulator's prediction.  Entries of the patched deployment are patched-NAME.
names=()
declare -A label file hooks cmd boot_of
# Entries made with RUN_BOOT=evm run in the evm boot only, the others in
# the exec and tcb boots.
run() {
	local n=$2
	[ "$1" = signed ] || n=$1-$2
	names+=("$n")
	label[$n]=$1 file[$n]=$3 hooks[$n]=$4 cmd[$n]=$5 boot_of[$n]=${RUN_BOOT:-}
	[ -f "$root/${dep[$1]}/$3" ] || kt_die "$n: no $3 in the $1 deployment"
}
battery() {
	local l=$1 X=BPRM_CHECK,MMAP_CHECK
	run "$l" sh usr/bin/dash $X "/bin/sh -c 'echo ok'"
	run "$l" bash usr/bin/bash $X "/bin/bash -c 'echo \$((6 * 7))'"
	run "$l" ls usr/bin/ls $X "/bin/ls -l /usr/lib/os-release"
	run "$l" cat usr/bin/cat $X "/bin/cat /usr/lib/os-release"
	run "$l" dpkg usr/bin/dpkg $X "/usr/bin/dpkg --version"
	run "$l" dpkg-l usr/bin/dpkg $X "/usr/bin/dpkg -l dpkg"
	run "$l" dpkg-query usr/bin/dpkg-query $X "/usr/bin/dpkg-query -W dpkg"
	run "$l" apt-get usr/bin/apt-get $X "/usr/bin/apt-get --version"
	run "$l" apt-cache usr/bin/apt-cache $X "/usr/bin/apt-cache --version"
	run "$l" apt-config usr/bin/apt-config $X "/usr/bin/apt-config dump"
	run "$l" perl usr/bin/perl $X "/usr/bin/perl -e 'print 1'"
	run "$l" perl-xs usr/bin/perl $X "/usr/bin/perl -MList::Util=sum -e 'print sum(1, 2)'"
	run "$l" gzip usr/bin/gzip $X "/bin/sh -c 'gzip -c /usr/lib/os-release | gzip -dc | head -n 1'"
	run "$l" zcat usr/bin/zcat $X "/bin/zcat /usr/share/doc/dpkg/changelog.gz"
	run "$l" sed usr/bin/sed $X "/bin/sed -n 1p /usr/lib/os-release"
	run "$l" grep usr/bin/grep $X "/bin/grep -c ID /usr/lib/os-release"
	run "$l" awk usr/bin/mawk $X "/usr/bin/awk 'END { print NR }' /usr/lib/os-release"
	run "$l" find usr/bin/find $X "/usr/bin/find /usr/lib/modules"
	run "$l" tar usr/bin/tar $X "/bin/sh -c 'tar -cf - /usr/lib/os-release | tar -tvf -'"
	run "$l" sort usr/bin/sort $X "/usr/bin/sort /etc/shells"
	run "$l" sha256sum usr/bin/sha256sum $X "/usr/bin/sha256sum /usr/bin/ls"
	run "$l" diff usr/bin/diff $X "/usr/bin/diff /usr/lib/os-release /etc/os-release"
	run "$l" xargs usr/bin/xargs $X "/bin/sh -c 'echo /etc/shells | xargs wc -l'"
	run "$l" getent usr/bin/getent $X "/usr/bin/getent passwd root"
	run "$l" id usr/bin/id $X "/usr/bin/id"
	run "$l" date usr/bin/date $X "/bin/date -u -d @0"
	run "$l" stat usr/bin/stat $X "/usr/bin/stat -c %s /usr/bin/ls"
	run "$l" which usr/bin/which $X "/usr/bin/which sh"
	run "$l" ldconfig usr/sbin/ldconfig $X "/sbin/ldconfig -p"
	run "$l" ldd usr/bin/ldd $X "/usr/bin/ldd /usr/bin/ls"
	run "$l" hostname usr/bin/hostname $X "/bin/hostname"
}
for l in "${labels[@]}"; do
	case $l in
	etc) ;;
	evm) RUN_BOOT=evm battery evm ;;
	*) battery "$l" ;;
	esac
done
RUN_BOOT=evm run evm setuid usr/bin/mount BPRM_CHECK,MMAP_CHECK "/usr/bin/mount --version"
RUN_BOOT=evm run evm filecap usr/local/bin/captrue BPRM_CHECK,MMAP_CHECK "/usr/local/bin/captrue"
positives=("${names[@]}")
if [ -n "$etc_story" ]; then
	run etc hostname etc/hostname FILE_CHECK "/bin/cat /etc/hostname"
	run etc foo etc/foo.conf FILE_CHECK "/bin/cat /etc/foo.conf"
	positives+=(etc-hostname etc-foo)
	run signed stale-hostname etc/hostname FILE_CHECK "/bin/cat /etc/hostname"
	run signed unsigned-foo etc/foo.conf FILE_CHECK "/bin/cat /etc/foo.conf"
fi
run signed unsigned-ls oima-neg/ls-unsigned BPRM_CHECK,MMAP_CHECK "/oima-neg/ls-unsigned /"
run signed tampered-ls oima-neg/ls-tampered BPRM_CHECK,MMAP_CHECK "/oima-neg/ls-tampered /"
run signed tampered-lib oima-neg/lib/libselinux.so.1 FILE_CHECK,MMAP_CHECK "/usr/bin/env LD_LIBRARY_PATH=/oima-neg/lib /bin/ls /"
run signed unsigned-data oima-neg/unsigned.txt FILE_CHECK "/bin/cat /oima-neg/unsigned.txt"
run signed user-data oima-neg/user.txt FILE_CHECK "/bin/cat /oima-neg/user.txt"
RUN_BOOT=evm run evm mode-ls oima-neg-evm/ls-mode BPRM_CHECK,MMAP_CHECK "/oima-neg-evm/ls-mode /"
RUN_BOOT=evm run evm noevm-ls oima-neg-evm/ls-noevm BPRM_CHECK,MMAP_CHECK "/oima-neg-evm/ls-noevm /"
RUN_BOOT=evm run signed ls-without-evm usr/bin/ls BPRM_CHECK,MMAP_CHECK "/bin/ls /"

# Each runs as such (the host has no IMA appraisal): a denial in the guest
# is then IMA's doing.  As on a booted system (and in the guest), /dev and
# /proc are mounted in the chroot: perl -e reads /dev/null, scripts write to
# it; in a private mount namespace, so nothing is left behind.  Nothing of
# the trees may change.
touch "$KT_TMP/stamp"
for n in "${names[@]}"; do
	d=$root/${dep[${label[$n]}]}
	out=$(unshare -m bash -c "mount --rbind /dev '$d/dev' && mount -t proc proc '$d/proc' &&
		chroot '$d' ${cmd[$n]}" 2>&1 </dev/null) ||
		kt_die "$n does not run on the host (chroot): ${cmd[$n]}: $(echo "$out" | head -n 3)"
done
changed=$(find "$root" -newer "$KT_TMP/stamp" | head -n 3)
[ -z "$changed" ] || kt_die "running the programs on the host changed the tree: $changed"

# ---------------------------------------------------------------- the disk
KT_IMGROOT=$root
t0=$EPOCHREALTIME
keyfiles=()
for n in "${names[@]}"; do keyfiles+=("${dep[${label[$n]}]}/${file[$n]}"); done
kt_make_disk "${keyfiles[@]}"
kt_log "mkfs.ext4 -d + xattr checks: $(secs "$t0") s"

# IMA's audit lines are printk'd under the printk rate limit (10 in 5 s):
# the guest lifts it, so that every denial reaches the console.  /dev and
# /proc in the chroots, as on a booted system.
{
	echo 'echo 0 >/proc/sys/kernel/printk_ratelimit'
	for l in "${labels[@]}"; do
		echo "mount -t devtmpfs devtmpfs /mnt/${dep[$l]}/dev || die 'mount of /dev failed'"
		echo "mount -t proc proc /mnt/${dep[$l]}/proc || die 'mount of /proc failed'"
	done
} >"$KT_TMP/guest-setup.sh"

# expect NAME ran|denied [CAUSE]: the entry's result; CAUSE: the audit
# cause for its file (for "ran": a file refused on the way, the program
# still ran).
expect() {
	local n=$1 want=$2 cause=${3:-} r c
	r=$(kt_result "$n")
	c=$(kt_path_cause "${dep[${label[$n]}]}/${file[$n]}")
	if [ "$r" = "$want" ] && [ "$c" = "$cause" ]; then
		kt_pass "$n: $r${c:+ (audit cause=$c for /${file[$n]})}"
	else
		kt_fail "$n: expected $want${cause:+ with cause=$cause}, got '$r'${c:+ (audit cause=$c)}"
	fi
}

# The controls' paths in a deployment (a regex): the only files that may be
# denied.  The old deployment's device-changed /etc files are controls too.
negs='^/oima-neg/|^/oima-neg-evm/' negs_audit='/oima-neg/'
if [ -n "$etc_story" ]; then
	negs='^/oima-neg/|^/oima-neg-evm/|^/etc/hostname |^/etc/foo.conf '
	negs_audit='/oima-neg/|/etc/hostname"|/etc/foo.conf"'
fi
# in_boot POLICY NAME: whether entry NAME runs in that boot.
in_boot() {
	if [ "$1" = evm ]; then [ "${boot_of[$2]}" = evm ]; else [ -z "${boot_of[$2]}" ]; fi
}

# boot POLICY: one boot under $pol/POLICY; checks every entry and compares
# with the simulator.
boot() {
	local p=$1 n l want got c path cause d
	local -A json=()
	kt_boot_reset
	while IFS= read -r rule; do kt_guest_policy "$rule"; done <"$pol/$p"
	for k in "${keys[@]}"; do kt_guest_ima_cert "$k"; done
	# EVM in x509 mode: the vendor's certificate in _evm too.
	local evmflag= blabels=("${labels[@]}")
	if [ "$p" = evm ]; then
		kt_guest_evm_cert vendor
		KT_EVM_MODE=2
		evmflag=--evm
		blabels=(evm signed)
	fi
	kt_guest_hook pre-policy "$KT_TMP/guest-setup.sh"
	for n in "${names[@]}"; do
		in_boot "$p" "$n" || continue
		kt_guest_command "$n" "chroot /mnt/${dep[${label[$n]}]} ${cmd[$n]}"
	done
	for l in "${blabels[@]}"; do
		json[$l]=$KT_TMP/predict-$p-$l.json
		"$OSTREE_IMA" appraise --dir="$root/${dep[$l]}" "${certs[@]}" --policy "$pol/$p.sim" \
			--kernel "$series" --fsmagic ext4 $evmflag --json >"${json[$l]}" 2>"$KT_TMP/predict.err" || true
		[ -s "${json[$l]}" ] || kt_die "ostree-ima appraise --dir: $(cat "$KT_TMP/predict.err")"
	done
	kt_boot

	# The deployments' own programs: all run.
	for n in "${positives[@]}"; do in_boot "$p" "$n" && expect "$n" ran; done
	# The controls.
	case $p in
	exec)
		if [ -n "$etc_story" ]; then
			expect stale-hostname ran
			expect unsigned-foo ran
		fi
		expect unsigned-ls denied IMA-signature-required
		expect tampered-ls denied invalid-signature
		expect tampered-lib denied invalid-signature
		expect unsigned-data ran
		expect user-data ran
		;;
	tcb)
		if [ -n "$etc_story" ]; then
			expect stale-hostname denied invalid-signature
			expect unsigned-foo denied IMA-signature-required
		fi
		expect unsigned-ls denied IMA-signature-required
		expect tampered-ls denied invalid-signature
		expect tampered-lib ran invalid-signature
		expect unsigned-data denied IMA-signature-required
		expect user-data ran
		;;
	evm)
		expect evm-mode-ls denied invalid-fail-immutable
		expect evm-noevm-ls denied missing-HMAC
		expect ls-without-evm denied missing-HMAC
		;;
	esac

	# Kernel and simulator, per entry: the cause audited for its file (or
	# "ran": none) is the simulator's first cause over its hooks.
	for n in "${names[@]}"; do
		in_boot "$p" "$n" || continue
		# shellcheck disable=SC2086 # (the hooks, one word each)
		want=$(kt_sim_cause "${json[${label[$n]}]}" "/${file[$n]}" ${hooks[$n]//,/ })
		got=$(kt_path_cause "${dep[${label[$n]}]}/${file[$n]}")
		[ -n "$got" ] || got=$(kt_result "$n")
		if [ "$want" = "$got" ]; then
			kt_pass "$p: $n (/${file[$n]}): kernel and simulator say $got"
		else
			kt_fail "$p: $n (/${file[$n]}): the simulator predicted '$want', the kernel did '$got'"
		fi
	done
	# ... and over the whole disk: every file the kernel audited was
	# predicted denied with that cause, and the simulator predicts nothing
	# outside /oima-neg (the signed deployments).
	while read -r path cause; do
		d=${path%%/*}
		l=
		for n in "${labels[@]}"; do [ "${dep[$n]}" = "$d" ] && l=$n; done
		if [ -n "$l" ] && kt_sim_denials "${json[$l]}" |
			awk -v p="/${path#*/}" -v c="$cause" '$1 == p && $3 == c { f = 1 } END { exit !f }'; then
			kt_pass "$p: audited /$path $cause, as predicted"
		else
			kt_fail "$p: the kernel audited /$path cause=$cause, the simulator did not predict it"
		fi
	done < <(sed -n 's|^AUDIT .* cause=\([^ ]*\) .*name="/mnt/\([^"]*\)".*|\2 \1|p' "$KT_SERIAL_LOG" | sort -u)
	for l in "${blabels[@]}"; do
		[ "$p" != evm ] || [ "$l" = evm ] || continue
		c=$(kt_sim_denials "${json[$l]}" | grep -Evc "$negs" || true)
		if [ "$c" = 0 ]; then
			kt_pass "$p: the simulator predicts no denial in the $l deployment ($(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["files"])' "${json[$l]}") files)"
		else
			kt_fail "$p: the simulator predicts $c denials in the $l deployment: $(kt_sim_denials "${json[$l]}" | grep -Ev "$negs" | head -n 3 | paste -sd ';' -)"
		fi
	done
	got=$(grep '^AUDIT .*cause=.* name="/mnt/' "$KT_SERIAL_LOG" |
		grep -Ev "name=\"/mnt/${dep[signed]}($negs_audit)" |
		grep -Ev "name=\"/mnt/(${dep[evm]}/oima-neg-evm/|${dep[signed]}/usr/bin/ls\")" | head -n 3 || true)
	if [ -z "$got" ]; then
		kt_pass "$p: the kernel audited no file of the deployments"
	else
		kt_fail "$p: the kernel audited deployment files: $got"
	fi
}

for p in $policies; do boot "$p"; done
kt_finish
