import { z } from 'zod';
import { defineRule, exceedScore } from '../rule.ts';

const EARTH_RADIUS_KM = 6_371;

/** Great-circle distance in km (haversine). */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Two consecutive card-present transactions (POS or ATM with a location) too far apart for the
 * time between them. Places appear in the evidence only as a distance and a speed.
 */
export const impossibleTravel = defineRule({
  id: 'impossible-travel',
  description: 'two card-present transactions farther apart than a plane could go in the time between them',
  parameters: z.strictObject({
    maxSpeedKmh: z.number().positive(),
    minDistanceKm: z.number().min(0),
  }),
  evaluate(input, { maxSpeedKmh, minDistanceKm }) {
    const { transaction } = input;
    const here = transaction.location;
    // Spends only: a capture or a reversal comes from the place of its authorization, later.
    if (input.spend === undefined || here === null || !isCardPresent(transaction.channel)) return undefined;
    const previous = input.before.lastCardPresent;
    if (previous === null) return undefined;
    if (transaction.eventTime < previous.at) return undefined;
    const km = distanceKm(previous, here);
    if (km < minDistanceKm) return undefined;
    // A minute at least between the two: clocks of terminals disagree by seconds.
    const hours = Math.max(transaction.eventTime - previous.at, 60_000) / 3_600_000;
    const speed = km / hours;
    if (speed <= maxSpeedKmh) return undefined;
    return {
      score: exceedScore(speed, maxSpeedKmh),
      transactionIds: [previous.transactionId, transaction.transactionId],
      evidence: [
        {
          measure: 'distance',
          value: BigInt(Math.round(km)),
          threshold: BigInt(Math.round(minDistanceKm)),
          unit: 'km',
          window: null,
        },
        {
          measure: 'speed',
          value: BigInt(Math.round(speed)),
          threshold: BigInt(Math.round(maxSpeedKmh)),
          unit: 'km/h',
          window: null,
        },
        {
          measure: 'minutes-between',
          value: BigInt(Math.round((transaction.eventTime - previous.at) / 60_000)),
          threshold: BigInt(Math.ceil((km / maxSpeedKmh) * 60)),
          unit: 'minutes',
          window: null,
        },
      ],
      summary: `card present ${Math.round(km)} km apart in ${Math.round((transaction.eventTime - previous.at) / 60_000)} min (${Math.round(speed)} km/h; ${previous.country} → ${here.country})`,
    };
  },
});

/** Channels where the card and its holder are at the terminal. */
export function isCardPresent(channel: string): boolean {
  return channel === 'POS' || channel === 'ATM';
}
