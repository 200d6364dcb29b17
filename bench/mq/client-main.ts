// A benchmark client process: connects to one system with its standard client and runs the
// phases the benchmark sends over IPC, reporting absolute times so that several processes'
// work can be timed as one. Arguments: <system> <address>.
import process from 'node:process';
import { connectClient, type Subscription, type SystemName } from './clients.js';

export type ClientCommand =
  | { op: 'publish'; dest: string; n: number; size: number; window: number }
  | { op: 'join'; dest: string; window: number }
  | { op: 'consume' }
  | { op: 'stop' }
  | { op: 'latency'; dest: string; rate: number; seconds: number; size: number }
  | { op: 'exit' };

export type ClientReport =
  | { op: 'ready' }
  | { op: 'joined' }
  | { op: 'published'; t0: number; t1: number }
  | { op: 'progress'; count: number }
  | { op: 'consumed'; count: number; last: number }
  | { op: 'latencies'; values: number[] }
  | { op: 'failed'; error: string };

/** Milliseconds on a clock shared by the processes of one machine. */
export const wallMs = (): number => performance.timeOrigin + performance.now();

const send = (r: ClientReport): void => void process.send!(r);
const [system, address] = process.argv.slice(2) as [SystemName, string];
const client = await connectClient(system, address);
let subscription: Subscription | undefined;
let count = 0;
let last = 0;
let timer: NodeJS.Timeout | undefined;

async function run(cmd: ClientCommand): Promise<void> {
  switch (cmd.op) {
    case 'publish': {
      const t0 = wallMs();
      await client.publish(cmd.dest, cmd.n, Buffer.alloc(cmd.size, 0x61), cmd.window);
      return send({ op: 'published', t0, t1: wallMs() });
    }
    case 'join':
      subscription = await client.subscribe(cmd.dest, cmd.window);
      return send({ op: 'joined' });
    case 'consume': {
      count = 0;
      let reported = 0;
      // Progress goes out every few ms (for the benchmark to know when all arrived), not per message.
      timer = setInterval(() => {
        if (count !== reported) send({ op: 'progress', count: (reported = count) });
      }, 5);
      subscription?.start(() => {
        count++;
        last = wallMs();
      });
      return;
    }
    case 'stop':
      clearInterval(timer);
      await subscription?.stop();
      subscription = undefined;
      return send({ op: 'consumed', count, last });
    case 'latency':
      return send({ op: 'latencies', values: await client.latency(cmd.dest, cmd.rate, cmd.seconds, Buffer.alloc(cmd.size, 0x61)) });
    case 'exit':
      await client.close();
      process.exit(0);
  }
}

process.on('message', (cmd: ClientCommand) => {
  run(cmd).catch((err: unknown) => send({ op: 'failed', error: String((err as Error)?.stack ?? err) }));
});
send({ op: 'ready' });
