import type { Serde } from '../../state/index.ts';
import { SerdeError } from '../../state/index.ts';
import { accountActivitySerde, emptyActivity, type AccountActivity } from './activity.ts';
import { VelocityProfile, velocityProfileSerde } from './velocity.ts';

/**
 * What the fraud processor keeps per account: its velocity windows and its activity, encoded
 * together into the account's record of the balances store (AccountBalances.fraudProfileBytes), so
 * that a spend costs one read and one write of that record for both halves of the product. Both
 * parts are bounded (see velocity.ts and activity.ts), so the value is too.
 */
export interface FraudProfile {
  readonly velocity: VelocityProfile;
  readonly activity: AccountActivity;
}

/** An account the processor has not seen. Never mutated: the processor copies what it changes. */
export const EMPTY_PROFILE: FraudProfile = Object.freeze({
  velocity: new VelocityProfile(),
  activity: emptyActivity(),
});

/** [velocity length: uint32 BE][velocity][activity]. */
export const fraudProfileSerde: Serde<FraudProfile> = {
  serialize(profile: FraudProfile): Buffer {
    const velocity = velocityProfileSerde.serialize(profile.velocity);
    const activity = accountActivitySerde.serialize(profile.activity);
    const out = Buffer.allocUnsafe(4 + velocity.length + activity.length);
    out.writeUInt32BE(velocity.length, 0);
    velocity.copy(out, 4);
    activity.copy(out, 4 + velocity.length);
    return out;
  },
  deserialize(bytes: Buffer): FraudProfile {
    if (bytes.length < 4) throw new SerdeError('fraud-profile', 'value ends early');
    const velocityLength = bytes.readUInt32BE(0);
    if (4 + velocityLength > bytes.length) throw new SerdeError('fraud-profile', 'value ends early');
    return {
      velocity: velocityProfileSerde.deserialize(bytes.subarray(4, 4 + velocityLength)),
      activity: accountActivitySerde.deserialize(bytes.subarray(4 + velocityLength)),
    };
  },
};
