import type {
  Processor,
  ProcessorContext,
  StreamRecord,
  TtlKeyValueStoreRef,
} from '../../processor/index.ts';
import type { TtlKeyValueStore } from '../../state/index.ts';
import { parseTransaction } from './parse.ts';
import type { Transaction, TransactionRecord } from './transaction.ts';

/** The store of transaction ids already admitted (a TTL store: ids are kept for the dedup retention). */
export const TRANSACTION_IDS_STORE = 'transaction-ids';

export interface AdmitOptions {
  /** The ids admitted so far (the type is kept with each), for the dedup retention. */
  transactionIds: TtlKeyValueStoreRef<string, string>;
  /** How often, in stream time, ids past their retention are deleted. */
  purgeIntervalMs: number;
  /** At most this many ids deleted per purge (a backlog goes over several). */
  purgeLimit: number;
}

/**
 * The door of the product topology: checks each transaction (a breach goes to the dead-letter
 * topic with its code) and admits each transaction id once. A duplicate within the dedup retention
 * changes nothing: it is not forwarded. Everything downstream (balances; fraud later) sees each
 * admitted transaction exactly once, from here.
 */
export class AdmitTransactions implements Processor<string, TransactionRecord, string, Transaction> {
  readonly #options: AdmitOptions;
  #admitted: TtlKeyValueStore<string, string> | undefined;

  constructor(options: AdmitOptions) {
    this.#options = options;
  }

  init(ctx: ProcessorContext<string, Transaction>): void {
    const admitted = ctx.store(this.#options.transactionIds);
    this.#admitted = admitted;
    ctx.schedule(this.#options.purgeIntervalMs, 'stream-time', async () => {
      await admitted.purgeExpired(this.#options.purgeLimit);
    });
  }

  process(record: StreamRecord<string, TransactionRecord>, ctx: ProcessorContext<string, Transaction>): void {
    const transaction = parseTransaction(record.value, record.key);
    const admitted = this.#admitted ?? ctx.store(this.#options.transactionIds);
    // The type is kept with the id, for whoever inspects the store.
    if (admitted.putIfAbsent(transaction.transactionId, transaction.type) !== undefined) return;
    ctx.forward({ key: transaction.accountId, value: transaction });
  }
}
