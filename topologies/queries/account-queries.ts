/**
 * The product's interactive queries: an account's balances and its velocity windows, read on the
 * instance that runs the account's task (the engine finds it and forwards there; processor/queries/).
 * Amounts are bigint minor units, sent as decimal strings, each with its currency.
 */
import type { KeyQueryRoute, QueryContext, QueryResponse } from '../../processor/index.ts';
import { stringSerde } from '../../state/index.ts';
import { accountBalancesSerde, hasSnapshot, snapshotOf } from '../balances/account-balances.ts';
import { BALANCES_STORE } from '../balances/balances-processor.ts';
import { EMPTY_PROFILE, fraudProfileSerde } from '../fraud/fraud-profile.ts';
import { parseRuleSet } from '../fraud/rule-set.ts';
import { VELOCITY_WINDOWS, type Tally, type WindowLabel } from '../fraud/velocity.ts';
import type { ProductSettings } from '../product.ts';
import { CHANNELS } from '../transactions/transaction.ts';

/** The input is keyed by account id, as UTF-8: the partitioner places that. */
const accountKey = (accountId: string): Buffer => Buffer.from(accountId, 'utf8');

function notFound(accountId: string): QueryResponse {
  return { status: 404, body: { error: 'not-found', message: 'no such account', accountId } };
}

/**
 * GET /accounts/{id}/balance: the account's committed balances, as its latest snapshot on the
 * balances topic has them (version, cause, last transaction, times, and per currency ledger, held
 * and available).
 */
export const balanceQuery: KeyQueryRoute = {
  path: '/accounts/{key}/balance',
  partitionKey: accountKey,
  reads: (accountId) => [{ store: BALANCES_STORE, key: stringSerde.serialize(accountId) }],
  respond(accountId, [balances]) {
    const account = balances === undefined ? undefined : accountBalancesSerde.deserialize(balances);
    // A record with only the fraud profile (a spend that moved no balance) has no snapshot yet.
    if (account === undefined || !hasSnapshot(account)) return notFound(accountId);
    return { status: 200, body: snapshotOf(accountId, account) };
  },
};

/** A window's tally as the API gives it: sums are in the rule set's currency only. */
function tallyBody(tally: Tally, currency: string) {
  return { count: tally.count, summedCount: tally.summedCount, sumMinor: tally.sumMinor, currency };
}

/** `?at=<ms since the epoch>`: the instant the windows end at; the owner's clock by default. */
function atOf(context: QueryContext): number | QueryResponse {
  const text = context.params.get('at');
  if (text === null) return context.now;
  const at = Number(text);
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(at)) {
    return {
      status: 400,
      body: { error: 'bad-request', message: `at must be ms since the epoch, got '${text}'` },
    };
  }
  return at;
}

/**
 * GET /accounts/{id}/velocity[?at=<ms>]: the account's spending in its sliding windows (1 min,
 * 1 h, 24 h, 30 days, on event time) ending at `at`: count of spends (any currency), and the count
 * and sum of those in the rule set's currency, overall and per channel, from the fraud profile in
 * the account's record of the balances store. An account known to the balances but without spends
 * has empty windows; an account without a record is 404. `at` is meant
 * for now (the default): the windows keep only the buckets a window ending after the task's stream
 * time − grace can see, so an instant further back may miss spends.
 */
export function velocityQuery(currency: string): KeyQueryRoute {
  return {
    path: '/accounts/{key}/velocity',
    partitionKey: accountKey,
    reads: (accountId) => [{ store: BALANCES_STORE, key: stringSerde.serialize(accountId) }],
    respond(accountId, [balances], context) {
      if (balances === undefined) return notFound(accountId);
      const at = atOf(context);
      if (typeof at !== 'number') return at;
      const profile = accountBalancesSerde.deserialize(balances).fraudProfileBytes;
      const velocity = (profile === null ? EMPTY_PROFILE : fraudProfileSerde.deserialize(profile)).velocity;
      const windows: Record<string, unknown> = {};
      for (const { label } of VELOCITY_WINDOWS) {
        const values = velocity.window(label as WindowLabel, at);
        windows[label] = {
          ...tallyBody(values.overall, currency),
          // In the channels' declared order, whatever order the buckets met them in.
          byChannel: Object.fromEntries(
            CHANNELS.flatMap((channel) => {
              const tally = values.byChannel.get(channel);
              return tally === undefined ? [] : [[channel, tallyBody(tally, currency)]];
            }),
          ),
        };
      }
      return { status: 200, body: { accountId, at, currency, windows } };
    },
  };
}

/** The product's queries: the balance, and the velocity when fraud is on. */
export function productQueryRoutes(settings: ProductSettings): KeyQueryRoute[] {
  const routes = [balanceQuery];
  if (settings.fraud !== null) {
    routes.push(velocityQuery(parseRuleSet(settings.fraud.rules, 'of the product settings').currency));
  }
  return routes;
}
