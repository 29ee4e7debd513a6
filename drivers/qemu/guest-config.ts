import zlib from 'node:zlib';
import type { InstanceSpec } from '../driver';
import { cpioArchive, DIR, FILE, type CpioEntry } from './cpio';

/** One network interface as the networks extension prepares it for the guest. */
export interface GuestInterface {
  mac: string;
  address: string;
  cidr: string;
  gateway?: string | null;
  network?: string;
}

/** Single-quoted for sh: the value cannot end the quote or expand. */
const quote = (v: unknown) => `'${String(v ?? '').replace(/'/g, `'\\''`)}'`;

/** The hostname a name gives, as Nova sanitises it: lowercase letters, digits and dashes, 63 at most. */
export function hostnameOf(name: string): string {
  const h = name
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 63);
  return h || 'server';
}

export function guestInterfaces(spec: InstanceSpec): GuestInterface[] {
  const nics = (spec.guest?.networks as { interfaces?: GuestInterface[] } | undefined)?.interfaces;
  return Array.isArray(nics) ? nics : [];
}

/**
 * The instance's configuration as a second initramfs archive the kernel unpacks over the guest
 * image: /etc/novaflow/config (sh variables the init reads), authorized_keys, and the whole of what the
 * extensions prepared as meta_data.json, as a config drive carries it.
 */
export function guestConfigArchive(spec: InstanceSpec): Buffer {
  const nics = guestInterfaces(spec);
  const key = spec.guest?.keypairs as
    { name?: string; fingerprint?: string; public_key?: string } | undefined;
  const vars: Record<string, unknown> = {
    NF_ID: spec.id,
    NF_NAME: spec.name,
    NF_HOSTNAME: spec.hostname ?? hostnameOf(spec.name),
    NF_IMAGE: (spec.guest?.images as { name?: string } | undefined)?.name ?? spec.imageRef,
    NF_NICS: nics.length,
  };
  nics.forEach((n, i) => {
    vars[`NF_NIC${i}_MAC`] = n.mac.toLowerCase();
    vars[`NF_NIC${i}_ADDR`] = n.address;
    vars[`NF_NIC${i}_PREFIX`] = String(n.cidr).split('/')[1] ?? '32';
    vars[`NF_NIC${i}_GATEWAY`] = n.gateway ?? '';
    vars[`NF_NIC${i}_NETWORK`] = n.network ?? '';
  });
  if (key) {
    vars.NF_KEY_NAME = key.name ?? '';
    vars.NF_KEY_FINGERPRINT = key.fingerprint ?? '';
  }
  const config = Object.entries(vars)
    .map(([k, v]) => `${k}=${quote(v)}\n`)
    .join('');
  const entries: CpioEntry[] = [
    { path: 'etc', mode: DIR | 0o755 },
    { path: 'etc/novaflow', mode: DIR | 0o755 },
    { path: 'etc/novaflow/config', mode: FILE | 0o644, data: config },
    {
      path: 'etc/novaflow/meta_data.json',
      mode: FILE | 0o644,
      data: JSON.stringify({ uuid: spec.id, name: spec.name, meta: spec.metadata, ...spec.guest }),
    },
  ];
  if (key?.public_key)
    entries.push({
      path: 'etc/novaflow/authorized_keys',
      mode: FILE | 0o600,
      data: `${key.public_key.trim()}\n`,
    });
  return zlib.gzipSync(cpioArchive(entries));
}
