import {
  platformDown,
  platformStatus,
  platformUp,
  type ServiceName,
} from '../../../scripts/platform/index.ts';
import type { ProvidedServices } from './from-env.ts';

/** Starts the project's own platform (no Docker) and stops afterwards only what this run started. */
export async function startLocalPlatform(): Promise<{
  services: ProvidedServices;
  stop: () => Promise<void>;
}> {
  const { endpoints, started } = await platformUp({ log: (line) => console.error(`[platform] ${line}`) });
  const kafkaPid = (await platformStatus({ log: () => undefined })).find((s) => s.name === 'kafka')?.pid;
  return {
    services: {
      ...endpoints,
      source: started.length > 0 ? 'local platform (started by this run)' : 'local platform (already up)',
      ...(kafkaPid !== undefined ? { kafkaPid } : {}),
    },
    stop: async () => {
      if (started.length === 0) return;
      await platformDown({
        only: started as ServiceName[],
        log: (line) => console.error(`[platform] ${line}`),
      });
    },
  };
}
