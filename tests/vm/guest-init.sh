#!/bin/busybox sh
# /init of the vm-run initramfs (busybox sh, PID 1). It loads the virtio/9p
# modules listed in /modules.list, mounts the host root read-only, prepares a
# chroot where ordinary host tools work, runs the command vm-run wrote into
# the control share, records its exit status and dmesg there, and powers off.
#
# Kernel console (ttyS0) goes to a host log file; the command's output goes to
# ttyS1, which vm-run streams live.

/bin/busybox --install -s /bin
export PATH=/bin
R=/newroot

mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

die() {
	echo "vm-init: $*"
	# Powering off without a status file tells vm-run the guest failed.
	echo o >/proc/sysrq-trigger
	poweroff -f
}

while read -r m; do
	insmod "/modules/$m" || die "insmod $m failed"
done </modules.list

p9='trans=virtio,version=9p2000.L,msize=512000'
mkdir -p $R /ctl /hostro
mount -t 9p -o "$p9,ro,cache=loose" hostroot $R || die "cannot mount host root"
mount -t 9p -o "$p9" mcbctl /ctl || die "cannot mount control share"
# A second view of the host root, kept uncovered by the tmpfs mounts below,
# so a working directory under /tmp, /run or /var/tmp stays reachable.
mount --bind $R /hostro

mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm
# devtmpfs lacks the links that bash process substitution and tools expect.
ln -sf /proc/self/fd $R/dev/fd
ln -sf /proc/self/fd/0 $R/dev/stdin
ln -sf /proc/self/fd/1 $R/dev/stdout
ln -sf /proc/self/fd/2 $R/dev/stderr
mount -t tmpfs -o mode=1777 tmpfs $R/tmp
mount -t tmpfs -o mode=755 tmpfs $R/run
mount -t tmpfs -o mode=1777 tmpfs $R/var/tmp
mount -t tmpfs -o mode=755 tmpfs $R/var/log
mkdir -p $R/run/lock $R/run/user $R/run/mcb-vm
chmod 1777 $R/run/lock

read -r cwd </ctl/cwd
for d in /tmp /run /var/tmp /var/log; do
	case "$cwd/" in
	"$d"/*)
		mkdir -p "$R$cwd"
		mount --bind "/hostro$cwd" "$R$cwd"
		;;
	esac
done

# A kernel from another tree than the host's (vm-run --kroot): its modules
# take the place of the host's, for modprobe and the kernel's autoloading.
if [ -s /ctl/kroot ]; then
	read -r kroot </ctl/kroot
	kver=$(uname -r)
	mount -t tmpfs -o mode=755 tmpfs $R/lib/modules || die "cannot mount a tmpfs on /lib/modules"
	mkdir -p "$R/lib/modules/$kver"
	mount --bind "/hostro$kroot/lib/modules/$kver" "$R/lib/modules/$kver" ||
		die "cannot mount the modules of $kver from $kroot"
fi

mount --move /ctl $R/run/mcb-vm
mount -t 9p -o "$p9" mcbout $R/run/mcb-vm/out || die "cannot mount results share"

# The kernel's module autoloading (request_module, e.g. for a genetlink
# family alias or "ip link add type dummy") runs its helper in this root,
# not in the chroot: point it at the host's modprobe inside the chroot.
printf '#!/bin/busybox sh\nexec /bin/chroot %s /sbin/modprobe "$@"\n' "$R" >/bin/modprobe-chroot
chmod 755 /bin/modprobe-chroot
echo /bin/modprobe-chroot >/proc/sys/kernel/modprobe

ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up

# Raw output: no \n -> \r\n translation on the way to the host.
stty -F /dev/ttyS1 raw -echo 2>/dev/null

# vm-run's own test of its boot retry: crash the first N boots on purpose.
if [ -s $R/run/mcb-vm/crash_boots ]; then
	read -r n <$R/run/mcb-vm/crash_boots
	read -r boot <$R/run/mcb-vm/boot
	[ "$boot" -le "$n" ] && echo c >/proc/sysrq-trigger
fi
# From here on a crash is the command's: vm-run does not boot again.
: >$R/run/mcb-vm/started

chroot $R /usr/bin/env -i \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root USER=root LOGNAME=root TERM=dumb LANG=C.UTF-8 \
	PYTHONDONTWRITEBYTECODE=1 \
	MCB_IN_VM=1 MCB_VM_OUT=/run/mcb-vm/out \
	/bin/bash /run/mcb-vm/run.sh </dev/null >/dev/ttyS1 2>&1
rc=$?

dmesg >$R/run/mcb-vm/dmesg
# The status file is written last: its presence means the run completed.
echo $rc >$R/run/mcb-vm/status.tmp && mv $R/run/mcb-vm/status.tmp $R/run/mcb-vm/status
umount $R/run/mcb-vm/out $R/run/mcb-vm 2>/dev/null
sync
poweroff -f
echo o >/proc/sysrq-trigger
