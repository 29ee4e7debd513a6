/** The newest `capacity` lines; older ones fall off, so a chatty guest cannot grow the node's memory. */
export class LineRing {
  private readonly lines: string[] = [];
  private start = 0;

  constructor(readonly capacity: number) {
    if (capacity < 1) throw new RangeError('a line ring holds at least one line');
  }

  push(line: string): void {
    if (this.lines.length < this.capacity) {
      this.lines.push(line);
      return;
    }
    this.lines[this.start] = line;
    this.start = (this.start + 1) % this.capacity;
  }

  /** The last `n` lines (all when `n` is missing), oldest first. */
  tail(n?: number): string[] {
    const ordered = [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
    return n === undefined ? ordered : ordered.slice(Math.max(0, ordered.length - n));
  }
}
