/**
 * The "newc" cpio format Linux unpacks as its initramfs. Several archives (each gzipped or not) may
 * follow one another in one initrd: the kernel unpacks them in order, later files replacing earlier
 * ones. That is how an instance's configuration joins the shared guest image without copying it apart.
 */

export interface CpioEntry {
  /** Path inside the archive, without a leading slash (`etc/novaflow/config`). */
  path: string;
  /** File type and permission bits, e.g. 0o100644 (file), 0o040755 (directory), 0o120777 (symlink). */
  mode: number;
  /** The file's bytes, or a symlink's target; nothing for a directory. */
  data?: Buffer | string;
}

export const FILE = 0o100000;
export const DIR = 0o040000;
export const SYMLINK = 0o120000;

const hex = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => (4 - (n % 4)) % 4;

function header(ino: number, mode: number, size: number, nameSize: number): string {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  return '070701' + [ino, mode, 0, 0, mode & DIR ? 2 : 1, 0, size, 0, 0, 0, 0, nameSize, 0].map(hex).join('');
}

/** One archive holding `entries` in order, closed by the TRAILER!!! entry. */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  const entry = (ino: number, path: string, mode: number, data: Buffer) => {
    const name = Buffer.from(`${path}\0`);
    push(Buffer.from(header(ino, mode, data.length, name.length)));
    push(name);
    push(Buffer.alloc(pad4(offset)));
    push(data);
    push(Buffer.alloc(pad4(offset)));
  };
  entries.forEach((e, i) => {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    entry(i + 1, e.path.replace(/^\/+/, ''), e.mode, data);
  });
  entry(0, 'TRAILER!!!', 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}
