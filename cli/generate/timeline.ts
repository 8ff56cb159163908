/**
 * Event time of generated traffic, apart from how fast it is sent: a run's records are spread over
 * an event-time span (days) with the rhythm of a Mexican city's day — almost nothing between 1 and
 * 5 a.m., a lunch and an evening peak, busier weekends and quincenas (the 15th and the last day of
 * the month, paydays). Record n of N falls where the rhythm's cumulative weight reaches n/N of the
 * span's, so the time between records follows the rhythm and not the rate they are sent at.
 *
 * Local time is Mexico City's: UTC−6 all year since October 2022 (no daylight saving time).
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** America/Mexico_City since 2022-10-30. */
export const MEXICO_CITY_OFFSET_MS = -6 * HOUR_MS;

/** The local calendar of an instant in Mexico City. */
export interface LocalTime {
  year: number;
  /** 1–12. */
  month: number;
  /** 1–31. */
  day: number;
  /** 0–23. */
  hour: number;
  /** 0 Sunday … 6 Saturday. */
  weekday: number;
}

export function localTime(ms: number): LocalTime {
  const date = new Date(ms + MEXICO_CITY_OFFSET_MS);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    weekday: date.getUTCDay(),
  };
}

/** yyyymmdd of the local day (20261204): limits count per local calendar day. */
export function localDayKey(ms: number): number {
  const { year, month, day } = localTime(ms);
  return year * 10_000 + month * 100 + day;
}

/** yyyymm of the local month (202612). */
export function localMonthKey(ms: number): number {
  const { year, month } = localTime(ms);
  return year * 100 + month;
}

/** The instant a local day (of `ms`) begins. */
export function localMidnight(ms: number): number {
  const local = ms + MEXICO_CITY_OFFSET_MS;
  return local - (((local % DAY_MS) + DAY_MS) % DAY_MS) - MEXICO_CITY_OFFSET_MS;
}

/** Payday: the 15th or the last day of the month, in Mexico City. */
export function isQuincena(ms: number): boolean {
  const { year, month, day } = localTime(ms);
  if (day === 15) return true;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day === lastDay;
}

/** Relative activity per local hour of a weekday (0 = midnight to 1 a.m.). */
const WEEKDAY_HOURS = [
  0.15, 0.08, 0.05, 0.04, 0.05, 0.15, 0.4, 0.8, 1.1, 1.2, 1.3, 1.4, 1.6, 1.8, 1.7, 1.4, 1.3, 1.4, 1.6, 1.8,
  1.7, 1.3, 0.8, 0.4,
] as const;
/** Weekends start later and shop longer. */
const WEEKEND_HOURS = [
  0.3, 0.2, 0.12, 0.06, 0.04, 0.05, 0.15, 0.35, 0.7, 1.1, 1.5, 1.8, 2, 2.1, 2, 1.9, 1.9, 1.9, 2, 2, 1.8, 1.4,
  0.9, 0.5,
] as const;
const QUINCENA_FACTOR = 1.3;

/** How busy a local hour is, relative to an average weekday hour of about 1. */
export function activityWeight(ms: number): number {
  const { hour, weekday } = localTime(ms);
  const base = (weekday === 0 || weekday === 6 ? WEEKEND_HOURS : WEEKDAY_HOURS)[hour] as number;
  return isQuincena(ms) ? base * QUINCENA_FACTOR : base;
}

/**
 * Maps emission slots (record n of `records`) to event times over [start, start + span), along the
 * daily rhythm. Piecewise linear within each local hour (whose weight is constant).
 */
export class EventTimeline {
  readonly startTime: number;
  readonly spanMs: number;
  /** The slot count the span is spread over: slot `records` is the span's end. */
  readonly records: number;
  /** Boundaries: times (start, each local hour's start inside the span, end) … */
  readonly #times: number[] = [];
  /** … and the rhythm's cumulative weight at each, in weight × ms. */
  readonly #cumulative: number[] = [];

  constructor(startTime: number, spanMs: number, records: number) {
    if (!(spanMs > 0) || !(records > 0)) {
      throw new RangeError(`a timeline needs a positive span and record count, got ${spanMs} ms, ${records}`);
    }
    this.startTime = startTime;
    this.spanMs = spanMs;
    this.records = records;
    const end = startTime + spanMs;
    let at = startTime;
    let total = 0;
    this.#times.push(at);
    this.#cumulative.push(0);
    while (at < end) {
      const next = Math.min(end, Math.floor(at / HOUR_MS) * HOUR_MS + HOUR_MS);
      total += activityWeight(at) * (next - at);
      at = next;
      this.#times.push(at);
      this.#cumulative.push(total);
    }
  }

  /** Event time of slot n (integer ms); slots past `records` continue at the last hour's pace. */
  timeOf(slot: number): number {
    const total = this.#cumulative[this.#cumulative.length - 1] as number;
    const target = (slot / this.records) * total;
    const i = this.#segmentOf(this.#cumulative, target);
    const t0 = this.#times[i] as number;
    const t1 = this.#times[i + 1] as number;
    const c0 = this.#cumulative[i] as number;
    const c1 = this.#cumulative[i + 1] as number;
    return Math.floor(t0 + ((target - c0) / (c1 - c0)) * (t1 - t0));
  }

  /** The first slot whose event time is at or after `time`. */
  slotAt(time: number): number {
    const total = this.#cumulative[this.#cumulative.length - 1] as number;
    const i = this.#segmentOf(this.#times, time);
    const t0 = this.#times[i] as number;
    const t1 = this.#times[i + 1] as number;
    const c0 = this.#cumulative[i] as number;
    const c1 = this.#cumulative[i + 1] as number;
    const weight = c0 + ((time - t0) / (t1 - t0)) * (c1 - c0);
    let slot = Math.max(0, Math.ceil((weight / total) * this.records));
    // Rounding: step to the first slot that is not before `time`.
    while (slot > 0 && this.timeOf(slot - 1) >= time) slot -= 1;
    while (this.timeOf(slot) < time) slot += 1;
    return slot;
  }

  /** The segment [i, i+1] of an ascending boundary list holding `value` (the last one past the end). */
  #segmentOf(boundaries: readonly number[], value: number): number {
    let low = 0;
    let high = boundaries.length - 2;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((boundaries[middle] as number) <= value) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
