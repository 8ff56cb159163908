import { ConfluentAvroRegistry, registerProductSchemas } from '../../schemas/index.ts';
import { productConfigFrom, type ProductFlags } from '../product-config.ts';

/**
 * `saldo schemas register`: registers the product's value schemas (compatibility BACKWARD) and
 * returns subject → id, as the registry gave them.
 */
export async function schemasRegisterCommand(flags: ProductFlags): Promise<Record<string, number>> {
  const product = productConfigFrom(process.env, flags);
  const ids = await registerProductSchemas(
    ConfluentAvroRegistry.connect(product.schemaRegistryUrl, product.registrySecurity),
    product.topics,
  );
  return {
    [`${product.topics.transactions}-value`]: ids.transaction,
    [`${product.topics.balances}-value`]: ids.snapshot,
    [`${product.topics.accountLimits}-value`]: ids.limitUpdate,
    [`${product.topics.fraudAlerts}-value`]: ids.alert,
  };
}
