import type { KeyValueStore, StateManager, TtlKeyValueStore, WindowedStore } from '../state/index.ts';
import type { StoreDefinition } from './store-refs.ts';

/**
 * The typed handles of a task's stores, built once each with the serdes the topology declared:
 * processors ask for their stores on every record. Handles stay valid for the life of the state
 * manager.
 */
export class StoreHandles {
  readonly #definitions: ReadonlyMap<string, StoreDefinition>;
  readonly #state: StateManager;
  readonly #streamTime: () => number;
  readonly #keyValueStores = new Map<string, KeyValueStore<unknown, unknown>>();
  readonly #windowedStores = new Map<string, WindowedStore<unknown, unknown>>();
  readonly #ttlStores = new Map<string, TtlKeyValueStore<unknown, unknown>>();

  /** `streamTime`: the task's, which decides what TTL and windowed stores expire. */
  constructor(
    definitions: ReadonlyMap<string, StoreDefinition>,
    state: StateManager,
    streamTime: () => number,
  ) {
    this.#definitions = definitions;
    this.#state = state;
    this.#streamTime = streamTime;
  }

  keyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    let store = this.#keyValueStores.get(name);
    if (!store) {
      const def = this.#definitions.get(name);
      if (!def || def.kind !== 'key-value') throw new Error(`no key-value store '${name}'`);
      store = this.#state.keyValueStore(name, def.keySerde, def.valueSerde);
      this.#keyValueStores.set(name, store);
    }
    return store as KeyValueStore<K, V>;
  }

  ttlKeyValueStore<K, V>(name: string): TtlKeyValueStore<K, V> {
    let store = this.#ttlStores.get(name);
    if (!store) {
      const def = this.#definitions.get(name);
      if (!def || def.kind !== 'ttl-key-value') throw new Error(`no TTL key-value store '${name}'`);
      store = this.#state.ttlKeyValueStore(name, def.keySerde, def.valueSerde, this.#streamTime);
      this.#ttlStores.set(name, store);
    }
    return store as TtlKeyValueStore<K, V>;
  }

  windowedStore<K, V>(name: string): WindowedStore<K, V> {
    let store = this.#windowedStores.get(name);
    if (!store) {
      const def = this.#definitions.get(name);
      if (!def || def.kind !== 'windowed') throw new Error(`no windowed store '${name}'`);
      // The task's stream time reaches the store: after a restart it expires from the committed one.
      store = this.#state.windowedStore(name, def.keySerde, def.valueSerde, this.#streamTime);
      this.#windowedStores.set(name, store);
    }
    return store as WindowedStore<K, V>;
  }

  /** The writable handle of a table's store, which only the engine writes (table-source.ts). */
  tableWriter(table: { readonly name: string; readonly store: string }): KeyValueStore<unknown, unknown> {
    const def = this.#definitions.get(table.store);
    if (def === undefined) throw new Error(`table '${table.name}' has no store '${table.store}'`);
    return this.#state.keyValueStoreWriter(table.store, def.keySerde, def.valueSerde);
  }
}
