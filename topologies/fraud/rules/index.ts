import type { FraudRule } from '../rule.ts';
import { amountAnomaly } from './amount-anomaly.ts';
import { atmCashOut } from './atm-cash-out.ts';
import { cardTesting } from './card-testing.ts';
import { dormantReactivation } from './dormant-reactivation.ts';
import { highRiskMcc } from './high-risk-mcc.ts';
import { impossibleTravel } from './impossible-travel.ts';
import { limitBreach } from './limit-breach.ts';
import { overdraft } from './overdraft.ts';
import { rapidDrain } from './rapid-drain.ts';
import { velocityBurst } from './velocity-burst.ts';

/**
 * Every rule saldo knows, by id. A rule set file configures them; adding a rule is a module in
 * this folder and a line here (docs/fraud.md, "Adding a rule").
 */
export const RULES: ReadonlyMap<string, FraudRule> = new Map(
  [
    velocityBurst,
    cardTesting,
    amountAnomaly,
    atmCashOut,
    impossibleTravel,
    highRiskMcc,
    rapidDrain,
    dormantReactivation,
    overdraft,
    limitBreach,
  ].map((rule) => [rule.id, rule as FraudRule]),
);
