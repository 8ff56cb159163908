import type { BalanceSnapshot, CurrencyBalance, SnapshotCause } from './snapshot.ts';

/**
 * How an account's balance looks in the Redis serving cache: one hash per account, read with one
 * HGETALL (README, "Reading balances from Redis").
 *
 *   key  <prefix>balance:<accountId>                      e.g. saldo:balance:acct-000042
 *   accountId, version, cause, lastTransactionId, eventTime, processingTime (ms), currencies ("MXN,USD")
 *   <CUR>:ledgerMinor, <CUR>:heldMinor, <CUR>:availableMinor    per currency, integer minor units
 *
 * A newer version is never overwritten by an older one (the write is a compare in a Lua script).
 */
export function balanceKey(prefix: string, accountId: string): string {
  return `${prefix}balance:${accountId}`;
}

/** The hash's fields and values, flat (field, value, field, value…), version first. */
export function servingHashFields(snapshot: BalanceSnapshot): string[] {
  const fields = [
    'version',
    snapshot.version.toString(),
    'accountId',
    snapshot.accountId,
    'cause',
    snapshot.cause,
    'lastTransactionId',
    snapshot.lastTransactionId ?? '',
    'eventTime',
    String(snapshot.eventTime),
    'processingTime',
    String(snapshot.processingTime),
    'currencies',
    snapshot.balances.map((balance) => balance.currency).join(','),
  ];
  for (const balance of snapshot.balances) {
    fields.push(
      `${balance.currency}:ledgerMinor`,
      balance.ledgerMinor.toString(),
      `${balance.currency}:heldMinor`,
      balance.heldMinor.toString(),
      `${balance.currency}:availableMinor`,
      balance.availableMinor.toString(),
    );
  }
  return fields;
}

/** Reads a hash written by servingHashFields back (what a downstream reader does after HGETALL). */
export function snapshotFromServingHash(hash: Record<string, string>): BalanceSnapshot | undefined {
  if (hash.version === undefined || hash.accountId === undefined) return undefined;
  const currencies =
    hash.currencies === undefined || hash.currencies === '' ? [] : hash.currencies.split(',');
  const balances: CurrencyBalance[] = currencies.map((currency) => ({
    currency,
    ledgerMinor: BigInt(hash[`${currency}:ledgerMinor`] ?? '0'),
    heldMinor: BigInt(hash[`${currency}:heldMinor`] ?? '0'),
    availableMinor: BigInt(hash[`${currency}:availableMinor`] ?? '0'),
  }));
  return {
    accountId: hash.accountId,
    version: BigInt(hash.version),
    cause: (hash.cause ?? 'TRANSACTION') as SnapshotCause,
    lastTransactionId:
      hash.lastTransactionId === '' || hash.lastTransactionId === undefined ? null : hash.lastTransactionId,
    eventTime: Number(hash.eventTime),
    processingTime: Number(hash.processingTime),
    balances,
  };
}
