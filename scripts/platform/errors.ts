import type { ServiceName } from './options.ts';

/** A service did not come up: it exited, timed out, or could not be prepared. */
export class PlatformStartError extends Error {
  service: ServiceName;
  logFile: string;
  /** The last lines of the service's log at the time of the failure. */
  logTail: string;
  /** Further services that failed in the same `platformUp` call. */
  alsoFailed: PlatformStartError[];

  constructor(service: ServiceName, reason: string, logFile: string, logTail: string) {
    super(`${service}: ${reason}`);
    this.name = 'PlatformStartError';
    this.service = service;
    this.logFile = logFile;
    this.logTail = logTail;
    this.alsoFailed = [];
  }
}
