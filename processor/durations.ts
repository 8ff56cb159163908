const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+)(ms|s|m|h|d)?$/;

/**
 * A duration as operators write it: `7d`, `36h`, `90m`, `30s`, `250ms`, or plain milliseconds.
 * Returns undefined for anything else (the config schema reports it with the setting's name).
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (match === null) return undefined;
  const value = Number(match[1]) * (UNITS[match[2] ?? 'ms'] as number);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** The shortest exact way to write `ms` back (`7d`, `90m`, `1500ms`). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNITS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
