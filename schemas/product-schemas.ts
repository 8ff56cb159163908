import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RecordSerde } from '../processor/index.ts';
import type { BalanceSnapshot } from '../topologies/balances/snapshot.ts';
import type { FraudAlert } from '../topologies/fraud/alert.ts';
import type { LimitUpdate } from '../topologies/fraud/limits.ts';
import type { TransactionRecord } from '../topologies/transactions/transaction.ts';
import { avroSerde, type AvroSchemaDefinition, type AvroSchemaRegistry } from './avro-serde.ts';

/**
 * An .avsc file of this folder. Run from the sources it sits beside this module; run from a build
 * (dist/, .bench-build/) the module is one folder deeper and the schemas stay in the sources.
 */
function readSchema(file: string): AvroSchemaDefinition {
  for (const candidate of [`./${file}`, `../../schemas/${file}`]) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return JSON.parse(readFileSync(url, 'utf8')) as AvroSchemaDefinition;
  }
  throw new Error(`schema ${file} not found beside ${import.meta.url}`);
}

/** schemas/transaction.avsc: the value of the transactions topic. */
export const TRANSACTION_SCHEMA: AvroSchemaDefinition = readSchema('transaction.avsc');

/** schemas/balance-snapshot.avsc: the value of the balances topic. */
export const BALANCE_SNAPSHOT_SCHEMA: AvroSchemaDefinition = readSchema('balance-snapshot.avsc');

/** schemas/limit-update.avsc: the value of the account-limits topic. */
export const LIMIT_UPDATE_SCHEMA: AvroSchemaDefinition = readSchema('limit-update.avsc');

/** schemas/fraud-alert.avsc: the value of the fraud-alerts topic. */
export const FRAUD_ALERT_SCHEMA: AvroSchemaDefinition = readSchema('fraud-alert.avsc');

/** The product topology's serdes: Avro through the registry, subjects `<topic>-value`. */
export function productSerdes(registry: AvroSchemaRegistry): {
  transaction: RecordSerde<TransactionRecord>;
  snapshot: RecordSerde<BalanceSnapshot>;
  limitUpdate: RecordSerde<LimitUpdate>;
  alert: RecordSerde<FraudAlert>;
} {
  return {
    transaction: avroSerde<TransactionRecord>(registry, TRANSACTION_SCHEMA),
    snapshot: avroSerde<BalanceSnapshot>(registry, BALANCE_SNAPSHOT_SCHEMA),
    limitUpdate: avroSerde<LimitUpdate>(registry, LIMIT_UPDATE_SCHEMA),
    alert: avroSerde<FraudAlert>(registry, FRAUD_ALERT_SCHEMA),
  };
}

/**
 * Registers the product's value schemas under `<topic>-value` (compatibility BACKWARD) and returns
 * the ids the registry gave them (`saldo run` does this at start; `saldo schemas register` alone).
 */
export async function registerProductSchemas(
  registry: AvroSchemaRegistry,
  topics: { transactions: string; balances: string; accountLimits: string; fraudAlerts: string },
): Promise<{ transaction: number; snapshot: number; limitUpdate: number; alert: number }> {
  const [transaction, snapshot, limitUpdate, alert] = await Promise.all([
    registry.register(`${topics.transactions}-value`, TRANSACTION_SCHEMA),
    registry.register(`${topics.balances}-value`, BALANCE_SNAPSHOT_SCHEMA),
    registry.register(`${topics.accountLimits}-value`, LIMIT_UPDATE_SCHEMA),
    registry.register(`${topics.fraudAlerts}-value`, FRAUD_ALERT_SCHEMA),
  ]);
  return { transaction, snapshot, limitUpdate, alert };
}
