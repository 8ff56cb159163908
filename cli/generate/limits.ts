/**
 * The accounts' limits, as the generator publishes them on the compacted account-limits topic
 * (schemas/limit-update.avsc, key accountId): a tier (N1–N4, by profile) and, for some accounts,
 * overrides — a transfer MTU raised for high-limit customers, or lowered by the user (the Oct 2025
 * rule lets them), a lower daily ATM amount. The tiers' values are the rule set's
 * (topologies/fraud/default-rules.json, the contract); an account with no record is of the default
 * tier.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ACCOUNT_TIERS,
  LIMIT_NAMES,
  type AccountTier,
  type LimitName,
  type LimitUpdate,
  type Limits,
} from '../../topologies/fraud/limits.ts';
import type { AccountState } from './accounts.ts';
import type { SpendingProfile } from './profiles.ts';
import { WeightedChoice, type SeededRandom } from './random.ts';

// The record, the tiers and the limits' names are the contract's (topologies/fraud/limits.ts).
export const TIERS = ACCOUNT_TIERS;
export type Tier = AccountTier;
export type { Limits, LimitName, LimitUpdate };
export { LIMIT_NAMES };

interface RuleSetFile {
  rules: Array<{ id: string; parameters: Record<string, unknown> }>;
}

/** topologies/fraud/default-rules.json, beside the sources (or two folders up from a build). */
function readRuleSet(): RuleSetFile {
  for (const candidate of [
    '../../topologies/fraud/default-rules.json',
    '../../../topologies/fraud/default-rules.json',
  ]) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return JSON.parse(readFileSync(url, 'utf8')) as RuleSetFile;
  }
  throw new Error(`topologies/fraud/default-rules.json not found from ${import.meta.url}`);
}

function tierLimitsOf(ruleSet: RuleSetFile): { defaultTier: Tier; tiers: Record<Tier, Limits> } {
  const rule = ruleSet.rules.find((candidate) => candidate.id === 'limit-breach');
  if (rule === undefined) throw new Error('the rule set has no limit-breach rule');
  const parameters = rule.parameters as {
    defaultTier: Tier;
    tiers: Record<Tier, Record<LimitName, number>>;
  };
  const tiers = {} as Record<Tier, Limits>;
  for (const tier of TIERS) {
    const values = parameters.tiers[tier];
    tiers[tier] = Object.fromEntries(
      LIMIT_NAMES.map((name) => [name, BigInt(values[name])]),
    ) as unknown as Limits;
  }
  return { defaultTier: parameters.defaultTier, tiers };
}

const RULE_SET = tierLimitsOf(readRuleSet());
/** The tier of an account without a record on account-limits. */
export const DEFAULT_TIER: Tier = RULE_SET.defaultTier;
export const TIER_LIMITS: Readonly<Record<Tier, Limits>> = RULE_SET.tiers;

/** What tier each profile's customers mostly hold. */
const TIER_BY_PROFILE: Record<SpendingProfile['name'], WeightedChoice<Tier>> = {
  student: new WeightedChoice<Tier>([
    ['N1', 55],
    ['N2', 45],
  ]),
  cash: new WeightedChoice<Tier>([
    ['N1', 25],
    ['N2', 60],
    ['N3', 15],
  ]),
  salaried: new WeightedChoice<Tier>([
    ['N2', 55],
    ['N3', 35],
    ['N4', 10],
  ]),
  merchant: new WeightedChoice<Tier>([
    ['N2', 25],
    ['N3', 50],
    ['N4', 25],
  ]),
};

/** An account's limits: its record (null: none published, the default tier) and what is in force. */
export interface AccountLimits {
  update: LimitUpdate | null;
  tier: Tier;
  effective: Limits;
  /** Overrides below the tier's own value (a user-set lower MTU, a lower ATM amount). */
  lowered: LimitName[];
  /** The transfer MTU raised above the tier's. */
  raisedTransfers: boolean;
}

/** Limits of an account as the rule set reads a record: the tier's, with each override in place. */
export function effectiveLimits(update: LimitUpdate | null): Limits {
  if (update === null) return { ...TIER_LIMITS[DEFAULT_TIER] };
  const tier = TIER_LIMITS[update.tier];
  const limits = { ...tier };
  for (const name of LIMIT_NAMES) limits[name] = update[name] ?? tier[name];
  return limits;
}

/**
 * Draws an account's limits: its tier from its profile; a record for every account not of the
 * default tier, and for about half of those that are (the others rely on the default); overrides
 * for about one account in seven.
 */
export function drawLimits(random: SeededRandom, account: AccountState, updatedAt: number): AccountLimits {
  const tier = TIER_BY_PROFILE[account.profile.name].pick(random);
  const update: LimitUpdate = {
    accountId: account.id,
    tier,
    currency: 'MXN',
    perTransactionMinor: null,
    dailySpendMinor: null,
    dailyAtmMinor: null,
    monthlySpendMinor: null,
    dailyTransfersMinor: null,
    timeZone: null,
    updatedAt,
  };
  const lowered: LimitName[] = [];
  let raisedTransfers = false;
  const roll = random.fraction();
  if ((tier === 'N3' || tier === 'N4') && roll < 0.3) {
    // A high-limit customer who asked for a higher MTU: 50,000–250,000 pesos a day.
    update.dailyTransfersMinor = BigInt(random.between(5, 25)) * 1_000_000n;
    raisedTransfers = true;
  } else if (roll < 0.06) {
    // A user-set MTU below the default: 1,000–5,000 pesos.
    update.dailyTransfersMinor = BigInt(random.between(10, 50)) * 10_000n;
  } else if (roll < 0.09) {
    // Cash withdrawals capped at 1,000–2,500 pesos a day.
    update.dailyAtmMinor = BigInt(random.between(10, 25)) * 10_000n;
  }
  for (const name of LIMIT_NAMES) {
    const value = update[name];
    if (value !== null && value < TIER_LIMITS[tier][name]) lowered.push(name);
  }
  const overridden = LIMIT_NAMES.some((name) => update[name] !== null);
  const published = tier !== DEFAULT_TIER || overridden || random.chance(0.5);
  return {
    update: published ? update : null,
    tier,
    effective: effectiveLimits(published ? update : null),
    lowered,
    raisedTransfers,
  };
}
