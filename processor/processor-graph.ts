import { describeError } from './errors.ts';
import type { ForwardQueue } from './forward-queue.ts';
import { tpKey } from './records.ts';
import type { Logger } from './log.ts';
import { TaskProcessorContext, type TaskContextParts } from './processor-context.ts';
import type { RecordCollector, SinkRoute } from './record-collector.ts';
import type { SerdeContext } from './serde.ts';
import { tableSourceNode, tableWriter } from './table-source.ts';
import type { Processor, StreamRecord } from './processor-api.ts';
import { countAndSample, type ProcessorStats, type ProcessorTally } from './processor-stats.ts';
import type { SourceNode, Topology } from './topology.ts';

// The topology as one task runs it, resolved once when the task starts running: records flow
// through these without a map lookup per node and per record.

export interface ProcessorRoute {
  readonly kind: 'processor';
  readonly name: string;
  readonly processor: Processor;
  readonly context: TaskProcessorContext;
  /** What the processor forwarded and the graph has not dispatched yet. */
  readonly forwarded: ForwardQueue;
  readonly children: Route[];
  /** The step's record count and sampled latency, shared by the app's tasks. */
  readonly tally: ProcessorTally;
}

type Route = ProcessorRoute | SinkRoute;

/** Where the records of one input topic go, and how to decode them. */
export interface InputRoute {
  readonly source: SourceNode;
  readonly children: Route[];
  /** tpKey() of the topic and this task's partition. */
  readonly offsetKey: string;
  readonly keyContext: SerdeContext;
  readonly valueContext: SerdeContext;
  /** For a table's topic: the store it fills, whose checkpoint follows this input's offset. */
  readonly tableStore?: string;
}

/**
 * A task's processors, created from the topology, and the routes between sources, processors and
 * sinks; it runs a record through them depth first, in the order processors forward.
 *
 * Dispatching is synchronous as long as processors and serdes are: each step returns a promise
 * only when it has to wait, and only then does the rest of the walk continue asynchronously.
 * An async function per step would cost every record several promises and microtask turns.
 */
export class ProcessorGraph {
  readonly #topology: Topology;
  readonly #partition: number;
  readonly #parts: TaskContextParts;
  readonly #collector: RecordCollector;
  readonly #stats: ProcessorStats;
  readonly #processors = new Map<string, ProcessorRoute>();
  readonly #inputs = new Map<string, InputRoute>();

  constructor(
    topology: Topology,
    parts: TaskContextParts,
    collector: RecordCollector,
    stats: ProcessorStats,
  ) {
    this.#topology = topology;
    this.#partition = parts.partition;
    this.#parts = parts;
    this.#collector = collector;
    this.#stats = stats;
  }

  /** Creates and initialises the processors, in topology order, and resolves every route. */
  build(): void {
    const topology = this.#topology;
    const routes = new Map<string, Route>();
    for (const node of topology.nodes.values()) {
      if (node.kind === 'processor') {
        const forwarded = this.#parts.scope.forwardQueue();
        const context = new TaskProcessorContext(
          this.#parts,
          node.name,
          node.stores,
          node.children,
          forwarded,
        );
        const processor = node.create();
        const route: ProcessorRoute = {
          kind: 'processor',
          name: node.name,
          processor,
          context,
          forwarded,
          children: [],
          tally: this.#stats.tally(node.name),
        };
        this.#processors.set(node.name, route);
        routes.set(node.name, route);
        processor.init?.(context);
      } else if (node.kind === 'sink') {
        routes.set(node.name, {
          kind: 'sink',
          name: node.name,
          sink: node,
          keyContext: { topic: node.topic, part: 'key' },
          valueContext: { topic: node.topic, part: 'value' },
          tally: this.#collector.outputTally(node.topic),
        });
      }
    }
    const resolve = (names: readonly string[]): Route[] =>
      names.flatMap((name) => {
        const route = routes.get(name);
        return route === undefined ? [] : [route];
      });
    for (const route of this.#processors.values()) {
      route.children.push(...resolve(topology.node(route.name).children));
    }
    this.#inputs.clear();
    for (const topic of topology.sourceTopics) {
      const source = topology.sourceFor(topic);
      if (source === undefined) continue;
      this.#inputs.set(topic, {
        source,
        children: resolve(source.children),
        offsetKey: tpKey({ topic, partition: this.#partition }),
        keyContext: { topic, part: 'key' },
        valueContext: { topic, part: 'value' },
      });
    }
    for (const table of topology.tables.values()) {
      const forwarded = this.#parts.scope.forwardQueue();
      const writer: ProcessorRoute = {
        kind: 'processor',
        name: table.name,
        processor: tableWriter(table, this.#parts.handles.tableWriter(table)),
        context: new TaskProcessorContext(this.#parts, table.name, [], [], forwarded),
        forwarded,
        children: [],
        tally: this.#stats.tally(table.name),
      };
      this.#inputs.set(table.topic, {
        source: tableSourceNode(table),
        children: [writer],
        offsetKey: tpKey({ topic: table.topic, partition: this.#partition }),
        keyContext: { topic: table.topic, part: 'key' },
        valueContext: { topic: table.topic, part: 'value' },
        tableStore: table.store,
      });
    }
  }

  /** The route of an input topic's records; undefined for a topic the task does not read. */
  input(topic: string): InputRoute | undefined {
    return this.#inputs.get(topic);
  }

  /** A processor of the topology (not a table's writer), once built. */
  processor(name: string): ProcessorRoute | undefined {
    return this.#processors.get(name);
  }

  /** Runs `record` through the routes (those named `only`, if given), depth first, in order of forwarding. */
  dispatch(
    routes: readonly Route[],
    record: StreamRecord<unknown, unknown>,
    only: string | undefined,
    from: number,
  ): Promise<void> | undefined {
    for (let index = from; index < routes.length; index++) {
      const route = routes[index] as Route;
      if (only !== undefined && route.name !== only) continue;
      const waiting =
        route.kind === 'sink' ? this.#collector.toSink(route, record) : this.#runProcessor(route, record);
      if (waiting !== undefined) return this.#dispatchAfter(waiting, routes, record, only, index + 1);
    }
    return undefined;
  }

  async #dispatchAfter(
    waiting: Promise<void>,
    routes: readonly Route[],
    record: StreamRecord<unknown, unknown>,
    only: string | undefined,
    from: number,
  ): Promise<void> {
    await waiting;
    await this.dispatch(routes, record, only, from);
  }

  #runProcessor(route: ProcessorRoute, record: StreamRecord<unknown, unknown>): Promise<void> | undefined {
    if (countAndSample(route.tally)) return this.#runProcessorTimed(route, record);
    const processed = route.processor.process(record, route.context);
    if (processed instanceof Promise) return processed.then(() => this.drain(route, 0));
    return route.forwarded.length > 0 ? this.drain(route, 0) : undefined;
  }

  /** #runProcessor for a sampled record: the step's own time (until its promise settles), forwards excluded. */
  #runProcessorTimed(
    route: ProcessorRoute,
    record: StreamRecord<unknown, unknown>,
  ): Promise<void> | undefined {
    const started = performance.now();
    const processed = route.processor.process(record, route.context);
    const observe = () => route.tally.observeLatency((performance.now() - started) / 1000);
    if (processed instanceof Promise) {
      return processed.then(() => {
        observe();
        return this.drain(route, 0);
      });
    }
    observe();
    return route.forwarded.length > 0 ? this.drain(route, 0) : undefined;
  }

  /** Dispatches what the processor forwarded, in order, then empties its queue. */
  drain(route: ProcessorRoute, from: number): Promise<void> | undefined {
    const forwarded = route.forwarded;
    // Records forwarded while draining (not possible in a DAG, but cheap to allow) are taken too.
    for (let index = from; index < forwarded.length; index++) {
      const waiting = this.dispatch(route.children, forwarded.record(index), forwarded.child(index), 0);
      if (waiting !== undefined) return this.#drainAfter(waiting, route, index + 1);
    }
    forwarded.clear();
    return undefined;
  }

  async #drainAfter(waiting: Promise<void>, route: ProcessorRoute, from: number): Promise<void> {
    await waiting;
    await this.drain(route, from);
  }

  /** Closes the processors; one that fails to close is logged, and the others still close. */
  close(log: Logger): void {
    for (const { processor } of this.#processors.values()) {
      try {
        processor.close?.();
      } catch (error) {
        log.warn({ error: describeError(error) }, 'processor close failed');
      }
    }
    this.#processors.clear();
  }
}
