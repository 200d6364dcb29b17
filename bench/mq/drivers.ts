// One driver per system, each with its standard Node client: publish with durable
// acknowledgement under a fixed in-flight window, consume with acknowledgement, and publish at a
// fixed rate for latency. Every loop is bounded by a message count or a deadline.
import amqp from 'amqplib';
import { AckPolicy, connect as natsConnect, StorageType, type NatsConnection } from 'nats';
import { Depot } from '../../src/client/index.js';
import { nowMs } from '../lib/stats.js';

export interface Driver {
  /** Publishes `n` messages of `body`, at most `window` unacknowledged; returns messages/s. */
  publish(n: number, body: Buffer, window: number): Promise<number>;
  /** Consumes the `n` messages published last; returns messages/s. */
  consume(n: number, window: number): Promise<number>;
  /** Publishes at `rate`/s for `seconds`; returns latencies (ms) from each message's intended send time. */
  latency(rate: number, seconds: number, body: Buffer): Promise<number[]>;
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

export async function depotDriver(address: string, runId: string): Promise<Driver> {
  const depot = await Depot.connect({ servers: [address] });
  let topic = '';
  let round = 0;
  return {
    async publish(n, body, window) {
      topic = `bench-${runId}-${round++}`;
      await depot.admin.createTopic(topic, { queues: 8, flush: 'sync' });
      const producer = depot.producer();
      const t = nowMs();
      await windowed(n, window, () => producer.send(topic, { body }));
      return (n * 1000) / (nowMs() - t);
    },
    async consume(n, window) {
      const consumer = depot.consumer({ group: `g-${topic}`, topic, start: 'earliest', prefetch: window });
      let seen = 0;
      const t = nowMs();
      await new Promise<void>((resolve) => void consumer.run(() => {
        if (++seen === n) resolve();
      }));
      const rate = (n * 1000) / (nowMs() - t);
      await consumer.close();
      return rate;
    },
    async latency(rate, seconds, body) {
      const t = `bench-${runId}-lat-${round++}`;
      await depot.admin.createTopic(t, { queues: 8 });
      const producer = depot.producer();
      return constantRate(rate, seconds, 10_000, () => producer.send(t, { body }));
    },
    close: () => depot.close(),
  };
}

export async function rabbitDriver(url: string, runId: string): Promise<Driver> {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  let queue = '';
  let round = 0;
  const publishOne = (q: string, body: Buffer) =>
    new Promise<void>((resolve, reject) => ch.sendToQueue(q, body, { persistent: true }, (err) => (err ? reject(err) : resolve())));
  return {
    async publish(n, body, window) {
      queue = `bench-${runId}-${round++}`;
      await ch.assertQueue(queue, { durable: true });
      const t = nowMs();
      await windowed(n, window, () => publishOne(queue, body));
      return (n * 1000) / (nowMs() - t);
    },
    async consume(n, window) {
      const cch = await conn.createChannel();
      await cch.prefetch(window);
      let seen = 0;
      const t = nowMs();
      await new Promise<void>((resolve) => {
        void cch.consume(queue, (m) => {
          if (m === null) return;
          cch.ack(m);
          if (++seen === n) resolve();
        });
      });
      const rate = (n * 1000) / (nowMs() - t);
      await cch.close();
      return rate;
    },
    async latency(rate, seconds, body) {
      const q = `bench-${runId}-lat-${round++}`;
      await ch.assertQueue(q, { durable: true });
      return constantRate(rate, seconds, 10_000, () => publishOne(q, body));
    },
    close: async () => {
      await ch.close();
      await conn.close();
    },
  };
}

export async function natsDriver(address: string, runId: string): Promise<Driver> {
  const nc: NatsConnection = await natsConnect({ servers: address });
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  let stream = '';
  let round = 0;
  const newStream = async (): Promise<string> => {
    const name = `BENCH_${runId}_${round++}`;
    await jsm.streams.add({ name, subjects: [`${name}.>`], storage: StorageType.File });
    return name;
  };
  return {
    async publish(n, body, window) {
      stream = await newStream();
      const subject = `${stream}.m`;
      const t = nowMs();
      await windowed(n, window, () => js.publish(subject, body));
      return (n * 1000) / (nowMs() - t);
    },
    async consume(n, window) {
      await jsm.consumers.add(stream, { durable_name: 'bench', ack_policy: AckPolicy.Explicit });
      const c = await js.consumers.get(stream, 'bench');
      const t = nowMs();
      const messages = await c.consume({ max_messages: window });
      let seen = 0;
      for await (const m of messages) {
        m.ack();
        if (++seen === n) break;
      }
      const rate = (n * 1000) / (nowMs() - t);
      messages.stop();
      return rate;
    },
    async latency(rate, seconds, body) {
      const s = await newStream();
      return constantRate(rate, seconds, 10_000, () => js.publish(`${s}.m`, body));
    },
    close: () => nc.drain(),
  };
}
