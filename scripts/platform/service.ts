// What the orchestration in index.ts needs to know about one service.
import type { ResolvedPlatformOptions, ServiceName, ServicePaths } from './options.ts';

export interface ServiceContext {
  options: ResolvedPlatformOptions;
  log: (line: string) => void;
  /** Set when `platformUp` gives up (another service failed): long preparation steps stop. */
  signal?: AbortSignal;
}

export interface LaunchSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface ServiceSpec {
  name: ServiceName;
  /** Shown by `status`, e.g. 127.0.0.1:19092. */
  endpoint: string;
  paths: ServicePaths;
  /** Ports that must be free before starting. */
  ports: number[];
  /** A substring of the process command line, to recognise our process. */
  processHint: string;
  /** Fetch artifacts, write config, format storage; output goes to the service log. */
  prepare(): Promise<LaunchSpec>;
  /** Does the running service answer? Must give up after `timeoutMs`. */
  isAnswering(timeoutMs: number): Promise<boolean>;
  /** Stricter check used while starting (defaults to isAnswering). */
  isStarted?(timeoutMs: number): Promise<boolean>;
  /** Delete persistent data (the service is stopped). */
  wipeData(): void;
}
