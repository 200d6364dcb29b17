// The queue benchmark's servers: Depot (the single-node server process), RabbitMQ and NATS with
// JetStream, each on a free loopback port with a temporary data directory, stopped after.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as natsConnect } from 'nats';
import { startQueueServer } from '../../test/helpers/mq-server.js';

export interface RunningPeer {
  name: string;
  /** host:port (Depot), amqp:// URL (RabbitMQ) or nats server address. */
  address: string;
  dataDir: string;
  /** The server process, where one process is the server (Depot). */
  pid?: number;
  /** A sample of the server's /metrics (Depot). */
  metric?(name: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function stopChild(proc: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    const exited = new Promise<void>((r) => (proc.exitCode !== null ? r() : proc.once('exit', () => r())));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
    rmSync(dir, { recursive: true, force: true });
  };
}

export async function startDepot(): Promise<RunningPeer> {
  const s = await startQueueServer();
  return {
    name: 'depot',
    address: s.address,
    dataDir: s.dataDir,
    pid: s.proc.pid,
    metric: (name) => s.metric(name),
    stop: async () => (await s.stop(), s.cleanup()),
  };
}

export function installPeers(): void {
  execFileSync('bash', [join(process.cwd(), 'scripts', 'install-mq-peers.sh')], { stdio: 'inherit' });
}

export async function startRabbit(): Promise<RunningPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'depot-bench-rabbit-'));
  const port = await freePort();
  writeFileSync(join(dir, 'plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq.conf'), 'loopback_users = none\n');
  const env = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: `bench${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(await freePort()),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
    RABBITMQ_FEATURE_FLAGS_FILE: join(dir, 'feature_flags'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  // The packaged wrapper switches to the rabbitmq user; the real script runs as whoever we are.
  const proc = spawn('/usr/lib/rabbitmq/bin/rabbitmq-server', [], { env, stdio: 'ignore' });
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const amqp = await import('amqplib');
  await waitFor(async () => {
    const c = await amqp.connect(url);
    await c.close();
    return true;
  }, 'rabbitmq-server', 90_000);
  return { name: 'rabbitmq', address: url, dataDir: dir, stop: stopChild(proc, dir) };
}

export async function startNats(): Promise<RunningPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'depot-bench-nats-'));
  const port = await freePort();
  const proc = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
  const address = `127.0.0.1:${port}`;
  await waitFor(async () => {
    const nc = await natsConnect({ servers: address });
    await nc.close();
    return true;
  }, 'nats-server', 30_000);
  return { name: 'nats-jetstream', address, dataDir: dir, stop: stopChild(proc, dir) };
}
