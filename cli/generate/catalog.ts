/**
 * Where the generated money goes: cities of Mexico, and merchant categories with real ISO 18245
 * codes, merchants a Mexican cardholder meets, price ranges and how each category settles.
 */
import type { Merchant } from '../../topologies/transactions/transaction.ts';

export interface City {
  name: string;
  lat: number;
  lon: number;
}

/** Cities of Mexico, weighted roughly by their metropolitan population (millions). */
export const CITIES: ReadonlyArray<readonly [City, number]> = [
  [{ name: 'Ciudad de México', lat: 19.4326, lon: -99.1332 }, 22],
  [{ name: 'Guadalajara', lat: 20.6597, lon: -103.3496 }, 5.3],
  [{ name: 'Monterrey', lat: 25.6866, lon: -100.3161 }, 5.3],
  [{ name: 'Puebla', lat: 19.0414, lon: -98.2063 }, 3.2],
  [{ name: 'Toluca', lat: 19.2826, lon: -99.6557 }, 2.4],
  [{ name: 'Tijuana', lat: 32.5149, lon: -117.0382 }, 2.2],
  [{ name: 'León', lat: 21.125, lon: -101.686 }, 1.9],
  [{ name: 'Querétaro', lat: 20.5888, lon: -100.3899 }, 1.6],
  [{ name: 'Mérida', lat: 20.9674, lon: -89.5926 }, 1.3],
  [{ name: 'San Luis Potosí', lat: 22.1565, lon: -100.9855 }, 1.2],
  [{ name: 'Aguascalientes', lat: 21.8853, lon: -102.2916 }, 1.1],
  [{ name: 'Chihuahua', lat: 28.632, lon: -106.0691 }, 1],
  [{ name: 'Cancún', lat: 21.1619, lon: -86.8515 }, 0.9],
  [{ name: 'Veracruz', lat: 19.1738, lon: -96.1342 }, 0.9],
  [{ name: 'Oaxaca', lat: 17.0732, lon: -96.7266 }, 0.7],
];

/** Where travellers sleep and rent cars. */
export const TOURIST_CITIES: readonly City[] = CITIES.map(([city]) => city).filter((city) =>
  ['Cancún', 'Oaxaca', 'Mérida', 'Guadalajara', 'Ciudad de México'].includes(city.name),
);

/**
 * How a card payment in a category settles after its authorization:
 * - standard: captured as authorized, now and then partially, reversed or left open;
 * - tip: restaurants, delivery and rides, often captured above the hold (the tip);
 * - lodging: hotels and car rentals, whose hold grows by incremental authorizations;
 * - fuel: a round pre-authorization at the pump, captured at what was pumped;
 * - foreign: card-not-present in US dollars, sometimes settled a little off the hold.
 */
export type Settlement = 'standard' | 'tip' | 'lodging' | 'fuel' | 'foreign';

export interface MerchantCategory {
  key: string;
  mcc: string;
  channel: 'POS' | 'ECOMMERCE';
  currency: 'MXN' | 'USD';
  settlement: Settlement;
  /** Whole units of the currency (pesos, dollars): the price is drawn in this range. */
  minMajor: number;
  maxMajor: number;
  merchants: readonly Merchant[];
}

function category(
  key: string,
  mcc: string,
  where: { channel: 'POS' | 'ECOMMERCE'; currency?: 'MXN' | 'USD'; country?: string },
  settlement: Settlement,
  range: readonly [number, number],
  names: readonly string[],
): MerchantCategory {
  const country = where.country ?? 'MX';
  return {
    key,
    mcc,
    channel: where.channel,
    currency: where.currency ?? 'MXN',
    settlement,
    minMajor: range[0],
    maxMajor: range[1],
    // Ids are short tokens (`mrch-5812-03`): no long digit runs anywhere in a record.
    merchants: names.map((name, i) => ({
      id: `mrch-${mcc}-${String(i + 1).padStart(2, '0')}`,
      name,
      mcc,
      country,
    })),
  };
}

const POS = { channel: 'POS' } as const;
const ONLINE = { channel: 'ECOMMERCE' } as const;

/** Card payments in stores, in pesos. */
export const POS_CATEGORIES = {
  coffee: category(
    'coffee',
    '5814',
    POS,
    'standard',
    [45, 120],
    ['Starbucks', 'Café Punta del Cielo', 'Cielito Querido Café', 'Tim Hortons'],
  ),
  restaurant: category(
    'restaurant',
    '5812',
    POS,
    'tip',
    [180, 1_800],
    ['Sanborns', 'Vips', 'Toks', 'El Cardenal', 'La Casa de Toño'],
  ),
  grocery: category(
    'grocery',
    '5411',
    POS,
    'standard',
    [150, 3_500],
    ['Walmart Supercenter', 'Soriana', 'Chedraui', 'La Comer', 'Bodega Aurrera'],
  ),
  convenience: category('convenience', '5499', POS, 'standard', [20, 250], ['OXXO', '7-Eleven', 'Circle K']),
  pharmacy: category(
    'pharmacy',
    '5912',
    POS,
    'standard',
    [60, 900],
    ['Farmacias Guadalajara', 'Farmacias del Ahorro', 'Farmacias Similares', 'Farmacias Benavides'],
  ),
  department: category(
    'department',
    '5311',
    POS,
    'standard',
    [400, 6_000],
    ['Liverpool', 'El Palacio de Hierro', 'Sears', 'Coppel'],
  ),
  clothing: category('clothing', '5651', POS, 'standard', [300, 2_500], ['Zara', 'C&A', 'Suburbia']),
  cinema: category('cinema', '7832', POS, 'standard', [80, 450], ['Cinépolis', 'Cinemex']),
  fuel: category('fuel', '5542', POS, 'fuel', [250, 1_200], ['Pemex', 'Shell', 'BP', 'G500']),
  hotel: category(
    'hotel',
    '7011',
    POS,
    'lodging',
    [1_200, 4_500],
    ['Fiesta Americana', 'City Express', 'Hotel Emporio', 'One Hoteles'],
  ),
  carRental: category(
    'carRental',
    '7512',
    POS,
    'lodging',
    [800, 3_000],
    ['Hertz', 'Europcar', 'America Car Rental'],
  ),
} as const satisfies Record<string, MerchantCategory>;

/** Card payments online, in pesos. */
export const ONLINE_CATEGORIES = {
  marketplace: category(
    'marketplace',
    '5999',
    ONLINE,
    'standard',
    [150, 6_000],
    ['Mercado Libre', 'Amazon México', 'Walmart.com.mx'],
  ),
  delivery: category('delivery', '5814', ONLINE, 'tip', [120, 700], ['Rappi', 'Uber Eats', 'DiDi Food']),
  rides: category('rides', '4121', ONLINE, 'tip', [60, 450], ['Uber', 'DiDi', 'Cabify']),
  streaming: category(
    'streaming',
    '4899',
    ONLINE,
    'standard',
    [99, 299],
    ['Netflix', 'Spotify', 'Disney+', 'Max'],
  ),
  phone: category('phone', '4814', ONLINE, 'standard', [50, 500], ['Telcel', 'AT&T México', 'Movistar']),
  airline: category(
    'airline',
    '4511',
    ONLINE,
    'standard',
    [1_200, 9_000],
    ['Aeroméxico', 'Volaris', 'Viva Aerobus'],
  ),
} as const satisfies Record<string, MerchantCategory>;

/** Card payments online in US dollars: the account's second currency. */
export const FOREIGN_CATEGORIES: readonly MerchantCategory[] = [
  category(
    'usShop',
    '5999',
    { ...ONLINE, currency: 'USD', country: 'US' },
    'foreign',
    [8, 300],
    ['Amazon.com', 'eBay', 'Etsy'],
  ),
  category(
    'usDigital',
    '5816',
    { ...ONLINE, currency: 'USD', country: 'US' },
    'foreign',
    [5, 70],
    ['Steam', 'PlayStation Store'],
  ),
];

export type PosCategoryKey = keyof typeof POS_CATEGORIES;
export type OnlineCategoryKey = keyof typeof ONLINE_CATEGORIES;

/** ATM operators (MCC 6011, manual cash disbursement) whose machines the card uses. */
export const ATM_OPERATORS: readonly Merchant[] = ['BBVA', 'Banorte', 'Santander', 'Banamex', 'HSBC'].map(
  (bank, i) => ({
    id: `atm-6011-${String(i + 1).padStart(2, '0')}`,
    name: `Cajero ${bank}`,
    mcc: '6011',
    country: 'MX',
  }),
);

/**
 * Categories of runs with realistic event time only (incidents and near misses): public transport
 * paid by contactless card, lottery tickets (a lawful game, MCC 7800, not a high-risk one), digital
 * goods online (where stolen cards are tested), electronics (large purchases).
 */
export const TIMED_CATEGORIES = {
  transit: category(
    'transit',
    '4111',
    POS,
    'standard',
    [5, 15],
    ['Metro CDMX', 'Metrobús', 'Mexibús', 'Metrorrey', 'Mi Macro'],
  ),
  lottery: category('lottery', '7800', POS, 'standard', [20, 200], ['Lotería Nacional', 'Pronósticos']),
  digital: category(
    'digital',
    '5816',
    ONLINE,
    'standard',
    [1, 20],
    ['Google Play', 'Xbox Store', 'Roblox', 'Free Fire Diamantes'],
  ),
  electronics: category(
    'electronics',
    '5732',
    POS,
    'standard',
    [3_000, 30_000],
    ['Best Buy', 'Steren', 'iShop Mixup', 'Samsung Store'],
  ),
} as const satisfies Record<string, MerchantCategory>;

/**
 * The rule set's high-risk categories (default-rules.json): gambling, quasi-cash (crypto),
 * money orders and wire transfers, stored-value card loads. Only fraud incidents pay them.
 */
export const HIGH_RISK_CATEGORIES: readonly MerchantCategory[] = [
  category('gambling', '7995', ONLINE, 'standard', [300, 5_000], ['Caliente.mx', 'Codere', 'Strendus']),
  category('quasiCash', '6051', ONLINE, 'standard', [500, 8_000], ['Bitso', 'Binance']),
  category('moneyOrder', '4829', ONLINE, 'standard', [500, 6_000], ['Western Union', 'Remitly']),
  category('storedValue', '6540', ONLINE, 'standard', [300, 4_000], ['Recarga Monedero', 'Tarjeta Regalo']),
];

/** The city of that name in CITIES. */
export function cityNamed(name: string): City {
  const found = CITIES.find(([city]) => city.name === name);
  if (found === undefined) throw new RangeError(`no city ${name} in the catalog`);
  return found[0];
}
