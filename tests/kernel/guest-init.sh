#!/bin/busybox sh
# /init of the test initramfs (runs inside the qemu guest as PID 1).
#
# Everything it needs comes from /test, written by lib-kernel.sh on the host:
#   /test/config        shell variables (KT_UUID, KT_EVM_MODE, ...)
#   /test/img.ext4      the deployment image (ext4, security.* xattrs kept), or
#                       with KT_DISK=1 the same on the virtio disk /dev/vda
#   /test/modules/load-order, *.ko   modules of this boot (virtio, in order)
#   /test/keys/ima/*.der, /test/keys/evm/*.der   certs for _ima / _evm
#   /test/modsigs       "path hex" per line: security.ima of the initramfs's
#                       modules (ima_policy=secure_boot), set before insmod
#   /test/policy        IMA policy, written in one go (one write per boot);
#                       empty: the builtin one of ima_policy= applies
#   /test/programs      "name path" per line; path relative to the image root
#   /test/commands      "name command" per line: sh -c command (after programs)
#   /test/hooks/pre-policy/*.sh, /test/hooks/post-run/*.sh   sourced, sorted
#
# Output on the serial console (one line each, parsed by the host):
#   KT-BOOTED <release> | KT-MODULE <name> | KT-ERROR <msg>
#   KT-KEY <ring> <file> <keyid> | KT-MODSIG <module> | KT-EVM <value>
#   KT-POLICY loaded | KT-POLICY builtin ima_policy=<names>
#   RESULT <name> ran | RESULT <name> denied | RESULT <name> error rc=<n>
#   OUTPUT <name> <first line printed by the program> (commands: rc=<n> first)
#   AUDIT <audit line from dmesg>      (cause=... name=...)
#   KT-TPM tpm0 <major> | KT-TPM absent | KT-TPM ima-bypass   (KT_TPM=1 only)
#   PCR10 <bank> <hex>                 (KT_TPM=1: PCR 10 after the programs ran)
#   MEASURE <line>                     (ascii_runtime_measurements, if asked)
#   KT-MEASURE-BANK <bank>, BANKMEASURE <bank> <line>
#                                      (ascii_runtime_measurements_<bank>, if
#                                      asked and the kernel has them)
#   BINMEASURE <base64 line>           (binary_runtime_measurements, if asked)
#   KT-DONE
# and then powers off.

/bin/busybox mkdir -p /bin /proc /sys /dev /mnt /tmp
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# The kernel may have had no /dev/console to give us: re-open it.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t securityfs securityfs /sys/kernel/security
mount -t tmpfs tmpfs /tmp

echo "KT-BOOTED $(uname -r)"

die() {
	echo "KT-ERROR $*"
	echo "KT-DONE"
	sync
	poweroff -f
	sleep 30
}

KT_UUID=
KT_DISK=
KT_EVM_MODE=
KT_MOUNT_OPTS=rw
KT_DUMP_MEASUREMENTS=0
KT_DUMP_BINARY_MEASUREMENTS=0
KT_TPM=0
[ -r /test/config ] || die "no /test/config"
. /test/config

# --- keys ------------------------------------------------------------------
load_ring() {
	ring=$1
	set -- /test/keys/"$ring"/*.der
	[ -e "$1" ] || return 0
	keyctl newring "_$ring" @u >/dev/null || die "keyctl newring _$ring failed"
	for der in "$@"; do
		id=$(keyctl padd asymmetric "" "%keyring:_$ring" <"$der") ||
			die "keyctl padd of $der into _$ring failed"
		echo "KT-KEY $ring ${der##*/} $id"
	done
}

# --- modules (dependencies first, see lib-kernel.sh) --------------------------
load_modules() {  # DIR: DIR/load-order names .ko files in DIR
	while read -r ko; do
		[ -n "$ko" ] || continue
		mod=$(echo "${ko%.ko}" | tr - _)
		[ -e "/sys/module/$mod" ] && continue
		insmod "$1/$ko" || die "insmod $ko failed"
		echo "KT-MODULE $mod"
	done <"$1/load-order"
}
# Under ima_policy=secure_boot a module needs a signature from the start,
# those of this initramfs too: /test/modsigs ("path hex" a line, signed on
# the host) puts them on (tmpfs keeps security.* xattrs), after the keys.
load_ring ima
load_ring evm
while read -r path hex; do
	[ -n "$path" ] || continue
	setfattr -n security.ima -v "0x$hex" "$path" || die "setfattr security.ima on $path failed"
	echo "KT-MODSIG ${path##*/}"
done </test/modsigs
load_modules /lib/modules
[ -s /test/modules/load-order ] && load_modules /test/modules

# --- deployment image --------------------------------------------------------
if [ "$KT_DISK" = 1 ]; then
	dev=/dev/vda
else
	[ -e /test/img.ext4 ] || die "no /test/img.ext4"
	dev=/dev/loop0
fi
i=0
while [ ! -e $dev ] && [ $i -lt 50 ]; do usleep 100000; i=$((i + 1)); done
[ "$KT_DISK" = 1 ] || losetup /dev/loop0 /test/img.ext4 || die "losetup failed"
mount -t ext4 -o "$KT_MOUNT_OPTS" $dev /mnt || die "mount of the image ($dev) failed"

for hook in /test/hooks/pre-policy/*.sh; do
	[ -e "$hook" ] || continue
	echo "KT-HOOK pre-policy ${hook##*/}"
	. "$hook"
done

# --- EVM (later cases) -------------------------------------------------------
if [ -n "$KT_EVM_MODE" ]; then
	echo "$KT_EVM_MODE" >/sys/kernel/security/evm || die "enabling EVM ($KT_EVM_MODE) failed"
	echo "KT-EVM $(cat /sys/kernel/security/evm)"
fi

# --- policy: the file may be written only once per boot ----------------------
if [ -s /test/policy ]; then
	cat /test/policy >/sys/kernel/security/ima/policy || die "writing the IMA policy failed"
	echo "KT-POLICY loaded"
else
	echo "KT-POLICY builtin $(tr ' ' '\n' </proc/cmdline | grep '^ima_policy=')"
fi

# --- run the programs ----------------------------------------------------------
while read -r name path; do
	[ -n "$name" ] || continue
	out=$("/mnt/$path" 2>&1 </dev/null)
	rc=$?
	first=$(echo "$out" | head -n 1)
	echo "OUTPUT $name $first"
	if [ $rc -eq 0 ] && echo "$out" | grep -q '^OIMA-PROG-OK '; then
		echo "RESULT $name ran"
	elif [ $rc -eq 126 ] && echo "$out" | grep -q 'Permission denied'; then
		echo "RESULT $name denied"
	else
		echo "RESULT $name error rc=$rc"
	fi
done </test/programs

# --- commands (sh -c, e.g. chroot /mnt PROGRAM: a deployment's own programs) --
while read -r name cmd; do
	[ -n "$name" ] || continue
	out=$(sh -c "$cmd" 2>&1 </dev/null)
	rc=$?
	echo "OUTPUT $name rc=$rc $(echo "$out" | head -n 1)"
	if [ $rc -eq 0 ]; then
		echo "RESULT $name ran"
	elif echo "$out" | grep -Eq 'Permission denied|failed to map segment from shared object'; then
		# (the second: glibc's loader when an mmap of a library is refused)
		echo "RESULT $name denied"
	else
		echo "RESULT $name error rc=$rc"
	fi
done </test/commands

for hook in /test/hooks/post-run/*.sh; do
	[ -e "$hook" ] || continue
	echo "KT-HOOK post-run ${hook##*/}"
	. "$hook"
done

# --- TPM: PCR 10 right before the lists are read ------------------------------
# Only execs/mmaps on the image should be measured by a case that uses this, so
# nothing from here on (busybox on the initramfs) extends PCR 10 any more.
if [ "$KT_TPM" = 1 ]; then
	if dmesg | grep -q 'No TPM chip found'; then
		echo "KT-TPM ima-bypass (IMA found no TPM at boot)"
	elif [ ! -e /sys/class/tpm/tpm0 ]; then
		echo "KT-TPM absent (no /sys/class/tpm/tpm0)"
	else
		echo "KT-TPM tpm0 $(cat /sys/class/tpm/tpm0/tpm_version_major 2>/dev/null)"
		for bank in /sys/class/tpm/tpm0/pcr-*; do
			[ -r "$bank/10" ] || continue
			echo "PCR10 ${bank##*/pcr-} $(cat "$bank/10")"
		done
	fi
fi

if [ "$KT_DUMP_MEASUREMENTS" = 1 ]; then
	while read -r line; do echo "MEASURE $line"; done \
		</sys/kernel/security/ima/ascii_runtime_measurements
	# The per-bank lists (ascii_runtime_measurements_sha256, ...), where the
	# kernel has them (6.12 does, 6.1 does not).
	for f in /sys/kernel/security/ima/ascii_runtime_measurements_*; do
		[ -e "$f" ] || continue
		bank=${f##*_}
		echo "KT-MEASURE-BANK $bank"
		while read -r line; do echo "BANKMEASURE $bank $line"; done <"$f"
	done
fi
if [ "$KT_DUMP_BINARY_MEASUREMENTS" = 1 ]; then
	base64 </sys/kernel/security/ima/binary_runtime_measurements |
		while read -r line; do echo "BINMEASURE $line"; done
fi

dmesg | grep -E 'audit.*(cause=|op=)' | while read -r line; do echo "AUDIT $line"; done

umount /mnt 2>/dev/null
echo "KT-DONE"
sync
poweroff -f
sleep 30
