import fs from 'node:fs';

/** How much of the log a read looks at: a guest's boot is far less, a chatty one cannot grow a read. */
const TAIL_BYTES = 512 * 1024;
/** A log past this size is cut to its last TAIL_BYTES when the machine next starts. */
const MAX_BYTES = 4 * 1024 * 1024;
const FAULT_LINES = 8;

export const PANIC = /Kernel panic/;

/**
 * A VM's serial console log, the file QEMU appends to across boots: its size (where a boot starts),
 * what came since an offset, its last lines, and the lines a build fault quotes.
 */
export class ConsoleLog {
  constructor(readonly file: string) {}

  size(): number {
    try {
      return fs.statSync(this.file).size;
    } catch {
      return 0;
    }
  }

  /** Empties the log (a new instance). */
  reset(): void {
    fs.writeFileSync(this.file, '');
  }

  /** Keeps the log bounded: past MAX_BYTES, only its last TAIL_BYTES stay (before a boot). */
  trim(): void {
    const size = this.size();
    if (size <= MAX_BYTES) return;
    const keep = this.read(size - TAIL_BYTES);
    fs.writeFileSync(this.file, keep);
  }

  /** Text from byte `from` to the end (at most the last TAIL_BYTES). */
  read(from = 0): string {
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.file, 'r');
      const size = fs.fstatSync(fd).size;
      const start = Math.max(from, size - TAIL_BYTES);
      const buf = Buffer.alloc(Math.max(0, size - start));
      fs.readSync(fd, buf, 0, buf.length, start);
      return buf.toString('utf8');
    } catch {
      return '';
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /** The log's last lines, carriage returns dropped. */
  lines(): string[] {
    const lines = this.read().replace(/\r/g, '').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines;
  }

  /**
   * The lines a fault quotes: what led to a kernel panic and the panic itself (not the call trace
   * after it), or else the last lines; joined on one line.
   */
  faultExcerpt(): string {
    const lines = this.lines();
    let panic = lines.length - 1;
    while (panic >= 0 && !PANIC.test(lines[panic])) panic--;
    const picked = panic >= 0 ? lines.slice(Math.max(0, panic - 3), panic + 1) : lines.slice(-FAULT_LINES);
    return picked.join(' | ');
  }
}
