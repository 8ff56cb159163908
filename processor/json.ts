/** JSON for tools and the query API, with bigint amounts (money in minor units) as strings: JSON has no bigint. */
export function jsonWithBigints(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
