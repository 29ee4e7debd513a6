import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { cpioArchive, DIR, FILE, SYMLINK, type CpioEntry } from './cpio';

/**
 * novaflow's default guest: the machine's Linux kernel and a busybox initramfs, built from OS
 * packages (linux-image-cloud-amd64, busybox-static). Its init reads what the driver put into
 * /etc/novaflow (the instance's name, hostname, addresses and key, as a config drive carries them),
 * configures them, prints a ready line on the serial console and powers off when the ACPI power
 * button is pressed. The catalog's `novaflow-guest` image boots it (kernel_id + ramdisk_id).
 */

import { GUEST_KERNEL_ID, GUEST_RAMDISK_ID } from '../../common/guest-image';

export { GUEST_IMAGE_ID, GUEST_KERNEL_ID, GUEST_RAMDISK_ID } from '../../common/guest-image';

/** The line the guest prints once it is up; the driver's spawn ends when it shows. */
export { GUEST_READY_LINE as READY_MARK } from '../../common/guest-image';

/** Kernel modules the guest loads, in dependency order: virtio NICs, the power button, input events. */
const MODULES = [
  'drivers/virtio/virtio_ring',
  'drivers/virtio/virtio',
  'drivers/virtio/virtio_pci_legacy_dev',
  'drivers/virtio/virtio_pci_modern_dev',
  'drivers/virtio/virtio_pci',
  'net/core/failover',
  'drivers/net/net_failover',
  'drivers/net/virtio_net',
  'drivers/acpi/button',
  'drivers/input/evdev',
];

const INIT = `#!/bin/busybox sh
# novaflow guest init: configure what /etc/novaflow says, say ready, answer the power button.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in ${MODULES.map((m) => path.basename(m)).join(' ')}; do
  [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko 2>/dev/null
done
say() { echo "novaflow-guest: $*"; }
NF_HOSTNAME=localhost
[ -f /etc/novaflow/config ] && . /etc/novaflow/config
hostname "$NF_HOSTNAME"
say "booting \${NF_NAME:-instance} (\${NF_ID:-no id}) from image \${NF_IMAGE:-unknown}"
ip link set lo up
i=0
while [ "$i" -lt "\${NF_NICS:-0}" ]; do
  eval "mac=\\$NF_NIC\${i}_MAC addr=\\$NF_NIC\${i}_ADDR prefix=\\$NF_NIC\${i}_PREFIX gw=\\$NF_NIC\${i}_GATEWAY net=\\$NF_NIC\${i}_NETWORK"
  dev=
  for d in /sys/class/net/*; do [ "$(cat "$d/address")" = "$mac" ] && dev=\${d##*/}; done
  if [ -n "$dev" ]; then
    ip addr add "$addr/$prefix" dev "$dev"
    ip link set "$dev" up
    [ "$i" = 0 ] && [ -n "$gw" ] && ip route add default via "$gw" dev "$dev" 2>/dev/null
    say "$dev $addr/$prefix mac $mac network $net\${gw:+ gateway $gw}"
  else
    say "no interface with mac $mac"
  fi
  i=$((i + 1))
done
if [ -f /etc/novaflow/authorized_keys ]; then
  mkdir -p /root/.ssh
  cp /etc/novaflow/authorized_keys /root/.ssh/authorized_keys
  chmod 700 /root/.ssh
  chmod 600 /root/.ssh/authorized_keys
  say "ssh key $NF_KEY_NAME $NF_KEY_FINGERPRINT"
fi
pb=
for e in /sys/class/input/event*; do
  [ "$(cat "$e/device/name" 2>/dev/null)" = "Power Button" ] && pb=/dev/input/\${e##*/}
done
if [ -n "$pb" ]; then
  ( dd if="$pb" bs=24 count=1 of=/dev/null 2>/dev/null; say "power button pressed: powering off"; sync; poweroff -f ) &
fi
say "ready: $NF_HOSTNAME up $(cut -d' ' -f1 /proc/uptime) s"
while true; do sleep 3600; done
`;

export interface GuestImageSources {
  /** The kernel to boot (default: the newest /boot/vmlinuz-*). */
  kernel?: string;
  /** A statically linked busybox (default: /bin/busybox from busybox-static). */
  busybox?: string;
  /** The kernel's module tree (default: /lib/modules/<the kernel's version>/kernel). */
  modules?: string;
}

export interface BuiltGuestImage {
  kernel: string;
  ramdisk: string;
  /** Whether this call wrote the files (false: they were up to date). */
  built: boolean;
}

/** The newest kernel under /boot, or undefined when the machine has none. */
export function findKernel(bootDir = '/boot'): string | undefined {
  const kernels = fs.existsSync(bootDir)
    ? fs
        .readdirSync(bootDir)
        .filter((f) => f.startsWith('vmlinuz-'))
        .sort()
    : [];
  return kernels.length ? path.join(bootDir, kernels[kernels.length - 1]) : undefined;
}

/** Builds the initramfs: busybox, the modules the guest loads, and its init. */
export function guestInitramfs(busybox: string, modulesDir: string): Buffer {
  const entries: CpioEntry[] = [
    'bin',
    'dev',
    'proc',
    'sys',
    'etc',
    'etc/novaflow',
    'root',
    'tmp',
    'lib',
    'lib/modules',
  ].map((d) => ({ path: d, mode: DIR | 0o755 }));
  entries.push({ path: 'bin/busybox', mode: FILE | 0o755, data: fs.readFileSync(busybox) });
  entries.push({ path: 'bin/sh', mode: SYMLINK | 0o777, data: 'busybox' });
  for (const m of MODULES) {
    const file = path.join(modulesDir, `${m}.ko`);
    if (fs.existsSync(file))
      entries.push({
        path: `lib/modules/${path.basename(m)}.ko`,
        mode: FILE | 0o644,
        data: fs.readFileSync(file),
      });
  }
  entries.push({ path: 'init', mode: FILE | 0o755, data: INIT });
  return zlib.gzipSync(cpioArchive(entries), { level: 9 });
}

/**
 * Writes the guest's kernel and initramfs into `imageDir` under their catalog ids (the host's image
 * cache), unless what is there was built from the same sources.
 */
export function buildGuestImage(imageDir: string, sources: GuestImageSources = {}): BuiltGuestImage {
  const kernel = sources.kernel ?? findKernel();
  if (!kernel) throw new Error('no kernel in /boot: install linux-image-cloud-amd64');
  const busybox = sources.busybox ?? '/bin/busybox';
  if (!fs.existsSync(busybox)) throw new Error(`${busybox} missing: install busybox-static`);
  const release = path.basename(kernel).replace(/^vmlinuz-/, '');
  const modules = sources.modules ?? path.join('/lib/modules', release, 'kernel');
  const out = {
    kernel: path.join(imageDir, GUEST_KERNEL_ID),
    ramdisk: path.join(imageDir, GUEST_RAMDISK_ID),
  };
  const stamp = createHash('sha256')
    .update(INIT)
    .update(MODULES.join())
    .update(JSON.stringify([kernel, fs.statSync(kernel).size, fs.statSync(busybox).size, modules]))
    .digest('hex');
  const stampFile = path.join(imageDir, 'guest-image.sha256');
  const current = fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp;
  if (current && fs.existsSync(out.kernel) && fs.existsSync(out.ramdisk)) return { ...out, built: false };
  assertStatic(busybox);
  fs.mkdirSync(imageDir, { recursive: true });
  fs.copyFileSync(kernel, `${out.kernel}.tmp`);
  fs.writeFileSync(`${out.ramdisk}.tmp`, guestInitramfs(busybox, modules));
  fs.renameSync(`${out.kernel}.tmp`, out.kernel);
  fs.renameSync(`${out.ramdisk}.tmp`, out.ramdisk);
  fs.writeFileSync(stampFile, stamp);
  return { ...out, built: true };
}

/** A dynamically linked busybox would find no libc in the initramfs: refuse it rather than boot a dead guest. */
function assertStatic(busybox: string): void {
  let out = '';
  try {
    out = execFileSync('ldd', [busybox], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    out =
      String((err as { stdout?: string; stderr?: string }).stderr ?? '') +
      String((err as { stdout?: string }).stdout ?? '');
  }
  if (!/not a dynamic executable|statically linked/.test(out))
    throw new Error(`${busybox} is dynamically linked: install busybox-static`);
}
