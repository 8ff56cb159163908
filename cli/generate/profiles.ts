/**
 * Spending profiles: what kind of customer an account is, and so how often it does what. Each
 * generated account gets one profile for the whole run.
 */
import { WeightedChoice } from './random.ts';
import type { OnlineCategoryKey, PosCategoryKey } from './catalog.ts';

/** One thing an account does, from its first record to its last (stories.ts plans each). */
export const STORY_KINDS = [
  'salary',
  'topUp',
  'storePurchase',
  'onlinePurchase',
  'foreignPurchase',
  'atmWithdrawal',
  'transferOut',
  'transferIn',
  'fee',
  'refund',
  'chargeback',
] as const;
export type StoryKind = (typeof STORY_KINDS)[number];

export interface SpendingProfile {
  name: 'salaried' | 'student' | 'merchant' | 'cash';
  /** Relative activity in (0, 1]: a profile at 0.5 starts half as many stories per account. */
  activity: number;
  /** The salary (or the allowance, or the week's sales), whole pesos. */
  salaryMajor: readonly [number, number];
  /** ATM withdrawals, in hundreds of pesos (ATMs give out bills). */
  atmHundreds: readonly [number, number];
  stories: WeightedChoice<StoryKind>;
  storeCategories: WeightedChoice<PosCategoryKey>;
  onlineCategories: WeightedChoice<OnlineCategoryKey>;
}

type Weights<K extends string> = Partial<Record<K, number>>;

function choice<K extends string>(weights: Weights<K>): WeightedChoice<K> {
  return new WeightedChoice(Object.entries(weights) as Array<[K, number]>);
}

function profile(
  name: SpendingProfile['name'],
  shape: Omit<SpendingProfile, 'name' | 'stories' | 'storeCategories' | 'onlineCategories'>,
  stories: Weights<StoryKind>,
  store: Weights<PosCategoryKey>,
  online: Weights<OnlineCategoryKey>,
): SpendingProfile {
  return {
    name,
    ...shape,
    stories: choice(stories),
    storeCategories: choice(store),
    onlineCategories: choice(online),
  };
}

/** The profiles, and how common each is among the bank's customers. */
export const PROFILES: ReadonlyArray<readonly [SpendingProfile, number]> = [
  [
    profile(
      'salaried',
      { activity: 0.8, salaryMajor: [12_000, 60_000], atmHundreds: [5, 40] },
      {
        salary: 3,
        topUp: 1,
        storePurchase: 40,
        onlinePurchase: 16,
        foreignPurchase: 2,
        atmWithdrawal: 8,
        transferOut: 10,
        transferIn: 4,
        fee: 2,
        refund: 1.2,
        chargeback: 0.3,
      },
      {
        coffee: 14,
        restaurant: 14,
        grocery: 16,
        convenience: 12,
        pharmacy: 6,
        department: 5,
        clothing: 4,
        cinema: 3,
        fuel: 10,
        hotel: 2,
        carRental: 1,
      },
      { marketplace: 10, delivery: 8, rides: 8, streaming: 4, phone: 3, airline: 2 },
    ),
    0.5,
  ],
  [
    profile(
      'student',
      { activity: 0.6, salaryMajor: [8_000, 12_000], atmHundreds: [2, 10] },
      {
        salary: 3,
        topUp: 4,
        storePurchase: 45,
        onlinePurchase: 20,
        foreignPurchase: 2,
        atmWithdrawal: 5,
        transferOut: 6,
        transferIn: 8,
        fee: 1.5,
        refund: 1,
        chargeback: 0.2,
      },
      { coffee: 25, restaurant: 8, grocery: 6, convenience: 25, pharmacy: 4, clothing: 4, cinema: 8 },
      { marketplace: 6, delivery: 10, rides: 8, streaming: 5, phone: 6 },
    ),
    0.2,
  ],
  [
    profile(
      'merchant',
      { activity: 1, salaryMajor: [8_000, 40_000], atmHundreds: [10, 60] },
      {
        salary: 2,
        topUp: 3,
        storePurchase: 20,
        onlinePurchase: 12,
        foreignPurchase: 1.5,
        atmWithdrawal: 4,
        transferOut: 20,
        transferIn: 30,
        fee: 3,
        refund: 1,
        chargeback: 0.5,
      },
      {
        coffee: 6,
        restaurant: 10,
        grocery: 18,
        convenience: 8,
        department: 6,
        fuel: 16,
        hotel: 3,
        carRental: 2,
      },
      { marketplace: 14, delivery: 4, rides: 4, phone: 4, airline: 3 },
    ),
    0.15,
  ],
  [
    profile(
      'cash',
      { activity: 0.5, salaryMajor: [8_000, 20_000], atmHundreds: [5, 60] },
      {
        salary: 3,
        topUp: 8,
        storePurchase: 25,
        onlinePurchase: 4,
        foreignPurchase: 0.3,
        atmWithdrawal: 30,
        transferOut: 4,
        transferIn: 3,
        fee: 3,
        refund: 0.5,
        chargeback: 0.2,
      },
      { coffee: 6, restaurant: 8, grocery: 20, convenience: 25, pharmacy: 8, fuel: 8 },
      { marketplace: 5, phone: 8, streaming: 2 },
    ),
    0.15,
  ],
];

export const PROFILE_CHOICE = new WeightedChoice(PROFILES);
