import path from 'node:path';
import { StoreArgumentError } from './errors.ts';

// App ids and store names become both directory names and parts of Kafka topic names, so they
// must be legal as both: Kafka's topic alphabet, and never '.' or '..' (which would walk the tree).
const SAFE_NAME = /^[A-Za-z0-9._-]{1,200}$/;

export function assertSafeName(
  what: string,
  value: string,
  context: { storeName: string; taskId: string },
): void {
  if (!SAFE_NAME.test(value) || value === '.' || value === '..') {
    throw new StoreArgumentError(
      `${what} ${JSON.stringify(value)} must match ${SAFE_NAME} and not be '.' or '..'`,
      {
        storeName: context.storeName,
        taskId: context.taskId,
      },
    );
  }
}

export interface StoreLocation {
  readonly stateDir: string;
  readonly appId: string;
  readonly taskId: string;
  readonly storeName: string;
}

/** `<stateDir>/<appId>/<taskId>/<storeName>` */
export function storePath(location: StoreLocation): string {
  const context = { storeName: location.storeName, taskId: location.taskId };
  assertSafeName('app id', location.appId, context);
  assertSafeName('task id', location.taskId, context);
  assertSafeName('store name', location.storeName, context);
  return path.join(location.stateDir, location.appId, location.taskId, location.storeName);
}
