/**
 * The times of `saldo backtest`, as operators write them: an ISO-8601 time with its zone, a date
 * (midnight UTC) or epoch milliseconds. A time without a zone is refused rather than read in this
 * machine's zone, which would move the window by hours from one machine to the next.
 */

/** What parseTime() takes, for messages. */
export const TIME_FORMS =
  'an ISO-8601 time with its zone (2026-12-01T06:00:00Z, 2026-12-01T00:00-06:00), a date (midnight UTC) or epoch ms';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const EPOCH_MS = /^\d{1,15}$/;

/** Epoch ms of a time, or undefined when it is none of TIME_FORMS (or no such day, as Feb 30). */
export function parseTime(text: string): number | undefined {
  const trimmed = text.trim();
  if (EPOCH_MS.test(trimmed)) return Number(trimmed);
  const match = ISO.exec(trimmed);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const hasTime = h !== undefined;
  if (hasTime && zone === undefined) return undefined;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, Number((fraction ?? '0').padEnd(3, '0')));
  const date = new Date(utc);
  // Date.UTC rolls 2026-02-30 over to March; such a day does not exist.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return undefined;
  const offset = offsetMs(zone ?? 'Z');
  return offset === undefined ? undefined : utc - offset;
}

/** `+05:30` → 5.5 h in ms; `Z` → 0; undefined for an offset no clock has. */
function offsetMs(zone: string): number | undefined {
  if (zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const [hours, minutes] = zone.slice(1).split(':').map(Number) as [number, number];
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes) * 60_000;
}

/** A time as reports print it: ISO-8601 in UTC. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A run's id from its start: `20261207T101502Z` (fits a topic name, sorts by time). */
export function runIdAt(ms: number): string {
  return formatTime(ms)
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}
