/**
 * Calendar days and months of a time zone, for limits ("daily" is the customer's day in Mexico
 * City, not UTC's). Formatting a date in a zone is slow (Intl), so each zone keeps the answers
 * of recent quarter hours: every UTC offset in use is a whole number of quarter hours, so one
 * quarter hour never spans two local days.
 */

const QUARTER_HOUR_MS = 15 * 60_000;
const CACHED_QUARTERS = 4_096;

/** A local calendar day as yyyymmdd (20261204) and its month as yyyymm (202612). */
export interface CalendarDay {
  day: number;
  month: number;
}

export class CalendarDays {
  readonly timeZone: string;
  readonly #format: Intl.DateTimeFormat;
  readonly #byQuarter = new Map<number, CalendarDay>();

  /** Throws a RangeError naming the zone when it is not an IANA time zone. */
  constructor(timeZone: string) {
    this.timeZone = timeZone;
    this.#format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  }

  /** The local day and month of an instant (ms since the epoch). */
  of(ms: number): CalendarDay {
    const quarter = Math.floor(ms / QUARTER_HOUR_MS);
    let day = this.#byQuarter.get(quarter);
    if (day === undefined) {
      day = this.#compute(ms);
      if (this.#byQuarter.size >= CACHED_QUARTERS) this.#byQuarter.clear();
      this.#byQuarter.set(quarter, day);
    }
    return day;
  }

  #compute(ms: number): CalendarDay {
    let year = 0;
    let month = 0;
    let day = 0;
    for (const part of this.#format.formatToParts(ms)) {
      if (part.type === 'year') year = Number(part.value);
      else if (part.type === 'month') month = Number(part.value);
      else if (part.type === 'day') day = Number(part.value);
    }
    return { day: year * 10_000 + month * 100 + day, month: year * 100 + month };
  }
}

/** 20261204 → "2026-12-04"; 202612 → "2026-12" (evidence windows). */
export function calendarLabel(key: number): string {
  const text = String(key);
  return text.length === 8
    ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`
    : `${text.slice(0, 4)}-${text.slice(4, 6)}`;
}

/** Whether a zone name is one Intl knows (rule sets and limit updates are checked with it). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * One CalendarDays per zone, made on first use (accounts share a handful of zones). A zone Intl
 * does not know (a bad limit update) gets the fallback zone's calendar rather than failing the
 * account's transactions.
 */
export class CalendarsByZone {
  readonly #calendars = new Map<string, CalendarDays>();
  readonly #fallback: string;

  constructor(fallbackZone: string) {
    this.#fallback = fallbackZone;
  }

  get(timeZone: string): CalendarDays {
    let calendar = this.#calendars.get(timeZone);
    if (calendar === undefined) {
      calendar = isTimeZone(timeZone) ? new CalendarDays(timeZone) : this.get(this.#fallback);
      this.#calendars.set(timeZone, calendar);
    }
    return calendar;
  }
}
