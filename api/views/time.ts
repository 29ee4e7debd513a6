/**
 * Nova's two ways of printing a time. Server `created`/`updated` (and a fault's `created`) are ISO
 * 8601 with a `Z`; everything that comes from an oslo datetime column — `launched_at`,
 * `terminated_at`, instance-action times, a service's `updated_at`, a key pair's `created_at` — has
 * no zone and six fraction digits (`2026-12-01T13:17:19.000000`), which clients parse with exactly
 * that layout (gophercloud's `2006-01-02T15:04:05.000000`).
 */
export function novaLocalTime(time: string | number | null | undefined): string | null {
  if (time === null || time === undefined || time === '' || time === 0) return null;
  const iso = typeof time === 'number' ? new Date(time).toISOString() : time;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z?$/.exec(iso);
  if (!m) return iso;
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0')}`;
}

const ISO_8601 = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?)?(?:Z|[+-]\d\d:?\d\d)?$/i;

/**
 * A query's ISO 8601 time (`changes-since`, `start`, ...) in ms, or undefined when it is not one:
 * Nova's schemas take only ISO 8601 (`2011/01/01`, which Date.parse would read, is a 400). A time
 * without a zone is UTC, as Nova reads it.
 */
export function parseIsoTime(raw: string): number | undefined {
  if (!ISO_8601.test(raw)) return undefined;
  const zoned = /(?:Z|[+-]\d\d:?\d\d)$/i.test(raw) || raw.length === 10 ? raw : `${raw}Z`;
  const ms = Date.parse(zoned.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}
