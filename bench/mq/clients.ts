// One client per system, each with its standard Node library: create a destination (topic,
// queue, stream), publish with durable acknowledgement under an in-flight window, consume with
// acknowledgement, and publish at a fixed rate for latency. Used inside the client processes
// (client-main.ts) and, for administration, by the benchmark itself. Every loop is bounded by a
// message count, a deadline or a stop signal.
import amqp from 'amqplib';
import { AckPolicy, connect as natsConnect, StorageType, type NatsConnection } from 'nats';
import { Depot } from '../../src/client/index.js';
import { nowMs } from '../lib/stats.js';

export type SystemName = 'depot' | 'rabbitmq' | 'nats-jetstream';

export interface Subscription {
  start(seen: () => void): void;
  stop(): Promise<void>;
}

export interface SystemClient {
  /** Creates a destination to publish to and consume from. */
  create(dest: string): Promise<void>;
  /** Prepares consumption of `dest` by a group of clients (a shared durable consumer, ...). */
  prepareConsume(dest: string): Promise<void>;
  /** Publishes `n` messages of `body`, at most `window` unacknowledged. */
  publish(dest: string, n: number, body: Buffer, window: number): Promise<void>;
  /**
   * Joins the consumers of `dest` (nothing is processed yet: a group of clients settles its
   * assignment first). The subscription's `start` processes (acknowledging each message, `seen`
   * called for each) until `stop`.
   */
  subscribe(dest: string, window: number): Promise<Subscription>;
  /** Publishes at `rate`/s for `seconds`; latencies (ms) from each message's intended send time. */
  latency(dest: string, rate: number, seconds: number, body: Buffer): Promise<number[]>;
  close(): Promise<void>;
}

/** Runs `one(i)` for i < n with at most `window` in flight. */
export function windowed(n: number, window: number, one: (i: number) => Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    let inFlight = 0;
    let next = 0;
    let done = 0;
    const pump = (): void => {
      while (inFlight < window && next < n) {
        inFlight++;
        one(next++).then(() => {
          inFlight--;
          if (++done === n) resolve();
          else pump();
        }, reject);
      }
    };
    if (n === 0) resolve();
    else pump();
  });
}

/** Constant-rate sender: message i is due at start + i/rate; latency counts from then (no coordinated omission). */
export async function constantRate(rate: number, seconds: number, maxInFlight: number, send: () => Promise<unknown>): Promise<number[]> {
  const total = Math.floor(rate * seconds);
  const latencies: number[] = [];
  const start = nowMs();
  let sent = 0;
  let inFlight = 0;
  const pending: Array<Promise<void>> = [];
  while (sent < total) {
    const due = start + (sent * 1000) / rate;
    const now = nowMs();
    if (due > now || inFlight >= maxInFlight) {
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(1, due - now))));
      continue;
    }
    inFlight++;
    sent++;
    pending.push(send().then(() => {
      inFlight--;
      latencies.push(nowMs() - due);
    }));
  }
  await Promise.all(pending);
  return latencies;
}

export function connectClient(system: SystemName, address: string): Promise<SystemClient> {
  switch (system) {
    case 'depot':
      return depotClient(address);
    case 'rabbitmq':
      return rabbitClient(address);
    case 'nats-jetstream':
      return natsClient(address);
  }
}

async function depotClient(address: string): Promise<SystemClient> {
  const depot = await Depot.connect({ servers: [address] });
  const producer = depot.producer();
  return {
    create: async (dest) => void (await depot.admin.createTopic(dest, { queues: 8, flush: 'sync' })),
    prepareConsume: async () => undefined,
    publish: (dest, n, body, window) => windowed(n, window, () => producer.send(dest, { body })),
    async subscribe(dest, window) {
      const consumer = depot.consumer({ group: `g-${dest}`, topic: dest, start: 'earliest', prefetch: window });
      await consumer.start();
      return { start: (seen) => void consumer.run(seen), stop: () => consumer.close() };
    },
    latency: (dest, rate, seconds, body) => constantRate(rate, seconds, 10_000, () => producer.send(dest, { body })),
    close: () => depot.close(),
  };
}

async function rabbitClient(url: string): Promise<SystemClient> {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  const publishOne = (q: string, body: Buffer) =>
    new Promise<void>((resolve, reject) => ch.sendToQueue(q, body, { persistent: true }, (err) => (err ? reject(err) : resolve())));
  return {
    create: async (dest) => void (await ch.assertQueue(dest, { durable: true })),
    prepareConsume: async () => undefined,
    publish: (dest, n, body, window) => windowed(n, window, () => publishOne(dest, body)),
    async subscribe(dest, window) {
      const cch = await conn.createChannel();
      await cch.prefetch(window);
      let tag: Promise<string> | undefined;
      return {
        start(seen) {
          tag = cch
            .consume(dest, (m) => {
              if (m === null) return;
              cch.ack(m);
              seen();
            })
            .then((r) => r.consumerTag);
        },
        async stop() {
          if (tag !== undefined) await cch.cancel(await tag);
          await cch.close();
        },
      };
    },
    latency: (dest, rate, seconds, body) => constantRate(rate, seconds, 10_000, () => publishOne(dest, body)),
    close: async () => {
      await ch.close();
      await conn.close();
    },
  };
}

async function natsClient(address: string): Promise<SystemClient> {
  const nc: NatsConnection = await natsConnect({ servers: address });
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  return {
    create: async (dest) => void (await jsm.streams.add({ name: dest, subjects: [`${dest}.>`], storage: StorageType.File })),
    prepareConsume: async (dest) => void (await jsm.consumers.add(dest, { durable_name: 'bench', ack_policy: AckPolicy.Explicit })),
    publish: (dest, n, body, window) => windowed(n, window, () => js.publish(`${dest}.m`, body)),
    async subscribe(dest, window) {
      const c = await js.consumers.get(dest, 'bench');
      let loop: Promise<void> = Promise.resolve();
      let stopping: (() => void) | undefined;
      return {
        start(seen) {
          loop = (async () => {
            const messages = await c.consume({ max_messages: window });
            stopping = () => void messages.stop();
            for await (const m of messages) {
              m.ack();
              seen();
            }
          })();
        },
        async stop() {
          stopping?.();
          await loop;
        },
      };
    },
    latency: (dest, rate, seconds, body) => constantRate(rate, seconds, 10_000, () => js.publish(`${dest}.m`, body)),
    close: () => nc.drain(),
  };
}

/** Destination names every system accepts (NATS stream names: no dots). */
export function destName(system: SystemName, label: string): string {
  return system === 'nats-jetstream' ? `BENCH_${label.replace(/[^A-Za-z0-9_]/g, '_')}` : `bench-${label}`;
}
