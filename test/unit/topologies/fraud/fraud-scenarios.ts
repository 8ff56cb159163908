import type {
  Location,
  Merchant,
  TransactionRecord,
} from '../../../../topologies/transactions/transaction.ts';
import { transaction } from '../../../support/product-driver.ts';

/** Places of the scenarios, with their real coordinates. */
export const CDMX: Location = { country: 'MX', city: 'Ciudad de México', lat: 19.4326, lon: -99.1332 };
export const MONTERREY: Location = { country: 'MX', city: 'Monterrey', lat: 25.6866, lon: -100.3161 };
export const GUADALAJARA: Location = { country: 'MX', city: 'Guadalajara', lat: 20.6597, lon: -103.3496 };

export const STORE: Merchant = { id: 'm-oxxo-1', name: 'OXXO Roma', mcc: '5411', country: 'MX' };
export const SHOP_ONLINE: Merchant = { id: 'm-shop-9', name: 'Tienda en línea', mcc: '5999', country: 'MX' };
export const CASINO: Merchant = { id: 'm-casino-1', name: 'Casino en línea', mcc: '7995', country: 'MX' };

const atmAt = (id: string): Merchant => ({ id, name: `ATM ${id}`, mcc: '6011', country: 'MX' });

export function deposit(amountMinor: bigint, eventTime: number, accountId = 'acct-1'): TransactionRecord {
  return transaction({ type: 'DEPOSIT', channel: 'TRANSFER', amountMinor, eventTime, accountId });
}

export function cardPayment(
  amountMinor: bigint,
  eventTime: number,
  more: Partial<TransactionRecord> = {},
): TransactionRecord {
  return transaction({
    type: 'AUTHORIZATION',
    channel: 'POS',
    amountMinor,
    eventTime,
    cardId: 'card-token-1',
    merchant: STORE,
    location: CDMX,
    ...more,
  });
}

export function onlinePayment(
  amountMinor: bigint,
  eventTime: number,
  merchant = SHOP_ONLINE,
): TransactionRecord {
  return transaction({
    type: 'AUTHORIZATION',
    channel: 'ECOMMERCE',
    amountMinor,
    eventTime,
    cardId: 'card-token-1',
    merchant,
  });
}

export function atmWithdrawal(
  amountMinor: bigint,
  eventTime: number,
  atm: string,
  place: Location,
): TransactionRecord {
  return transaction({
    type: 'WITHDRAWAL',
    channel: 'ATM',
    amountMinor,
    eventTime,
    cardId: 'card-token-1',
    merchant: atmAt(atm),
    location: place,
  });
}

export function transferOut(amountMinor: bigint, eventTime: number, accountId = 'acct-1'): TransactionRecord {
  return transaction({ type: 'TRANSFER_OUT', channel: 'TRANSFER', amountMinor, eventTime, accountId });
}

/** `n` records made by `make(i)`. */
export function times(n: number, make: (i: number) => TransactionRecord): TransactionRecord[] {
  return Array.from({ length: n }, (_, i) => make(i));
}
