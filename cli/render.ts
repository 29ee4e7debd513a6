/** Output helpers: tables, key/value blocks and the live progress line. */

/** Prints rows as an aligned table with a header. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Prints an object's fields as `key  value` lines. */
export function fields(obj: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(obj).map((k) => k.length));
  return Object.entries(obj)
    .map(
      ([k, v]) =>
        `${k.padEnd(width)}  ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`,
    )
    .join('\n');
}

/** What the progress line needs from a reservation view. */
export interface ProgressSnapshot {
  stage: string;
  servers_by_status: Record<string, number>;
  servers: { status: string; progress: number }[];
}

/** Counts by status in a stable order: ACTIVE, BUILD, ERROR first. */
export function counts(byStatus: Record<string, number>): string {
  const order = ['ACTIVE', 'BUILD', 'ERROR'];
  const keys = [
    ...order.filter((k) => k in byStatus),
    ...Object.keys(byStatus).filter((k) => !order.includes(k)),
  ];
  return keys.map((k) => `${k} ${byStatus[k]}`).join('  ') || 'no servers yet';
}

/** Overall completion: a server that is no longer building counts as done. */
export function percent(snap: ProgressSnapshot): number {
  if (snap.servers.length === 0) return 0;
  const sum = snap.servers.reduce((acc, s) => acc + (s.status === 'BUILD' ? s.progress : 100), 0);
  return Math.round(sum / snap.servers.length);
}

/** One line: a bar on a terminal, plain text elsewhere. */
export function progressLine(snap: ProgressSnapshot, tty: boolean, width = 30): string {
  const pct = percent(snap);
  if (!tty) return `stage=${snap.stage} progress=${pct}% ${counts(snap.servers_by_status)}`;
  const filled = Math.round((pct / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}%  ${snap.stage.padEnd(8)} ${counts(snap.servers_by_status)}`;
}
