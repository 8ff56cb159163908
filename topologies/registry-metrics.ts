import { Counter, type Registry } from 'prom-client';

/**
 * The counter `config.name` on an app's registry, made once: every task's processor (and a
 * topology or hook built twice) shares it.
 */
export function counterOn<L extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames: readonly L[] },
): Counter<L> {
  const existing = registry.getSingleMetric(config.name);
  if (existing instanceof Counter) return existing as Counter<L>;
  return new Counter({ ...config, registers: [registry] });
}
