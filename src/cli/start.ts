// `depot start`: runs a node in the foreground until SIGINT or SIGTERM, then shuts down
// gracefully (in-flight requests answered, everything durable flushed).
import process from 'node:process';
import { Command, Option } from 'commander';
import { EVICTION_POLICIES } from '../cache/eviction.js';
import { loadConfig } from '../node/config.js';
import { createLogger } from '../node/logger.js';
import { DepotNode } from '../node/node.js';

export function startCommand(): Command {
  return new Command('start')
    .description('run a Depot node (a single node by default: queue, cache, HTTP health and metrics)')
    .option('-c, --config <file>', 'YAML configuration file (docs/configuration.md)')
    .option('--data <dir>', 'data directory [./data]')
    .option('--host <address>', 'address the listeners bind to [127.0.0.1]')
    .option('--port <port>', 'native protocol port [7450]')
    .option('--http-port <port>', 'HTTP port for /health and /metrics [8080]')
    .option('--raft-port <port>', 'node-to-node raft port [7451]')
    .option('--redis-port <port>', 'Redis protocol port [6379]')
    .option('--no-cache', 'do not run the Redis-compatible server')
    .addOption(new Option('--appendonly <yes|no>', 'cache journal on disk; no: persisted only by SAVE/BGSAVE [yes]').choices(['yes', 'no']))
    .addOption(new Option('--appendfsync <mode>', 'cache journal fsync [everysec]').choices(['always', 'everysec', 'no']))
    .addOption(new Option('--cache-journal-compression <codec>', 'cache journal entries LZ4-compressed when that pays [lz4]').choices(['lz4', 'none']))
    .option('--cache-snapshot-entries <n>', 'log entries between cache snapshots, at most [10000000]')
    .option('--cache-snapshot-min-bytes <bytes>', 'log bytes before a cache snapshot is due by size (auto-aof-rewrite-min-size) [1gb]')
    .option('--cache-snapshot-growth-percent <n>', 'log growth, in percent of the last snapshot, that makes one due (auto-aof-rewrite-percentage; 0: never by size) [100]')
    .option('--maxmemory <bytes>', 'cache data set size over which keys are evicted or writes refused; 0: no limit [0]')
    .addOption(new Option('--maxmemory-policy <policy>', 'what goes over maxmemory [noeviction]').choices([...EVICTION_POLICIES]))
    .option('--aclfile <path>', 'the cache users file, read at start and by ACL LOAD, written by ACL SAVE (Redis format) [none]')
    .addOption(new Option('--broker-flush <policy>', 'default flush policy of new topics [sync]').choices(['sync', 'async']))
    .option('--max-message-bytes <n>', 'default message size limit of new topics [4194304]')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent [info]')
    .action(async (opts: Record<string, unknown>) => {
      const { config: file, cache, ...flags } = opts;
      // commander sets `cache: true` unless --no-cache was given; only an explicit choice overrides the config.
      const config = loadConfig({ file: file as string | undefined, env: process.env, flags: cache === false ? { ...flags, cache: false } : flags });
      const log = createLogger(config.logLevel);
      // Handlers go in before the node starts: a signal during startup stops it once it is up.
      let stopRequested: string | undefined;
      let node: DepotNode | undefined;
      const stop = (signal: string) => {
        stopRequested ??= signal;
        if (node === undefined) return;
        log.info({ signal }, 'shutting down');
        node.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      // A client's SHUTDOWN (Redis protocol) stops the node as SIGTERM would.
      try {
        node = await DepotNode.start(config, log, () => stop('SHUTDOWN'));
      } catch (err) {
        // What started before the failure may hold the event loop: a node that cannot start exits.
        process.stderr.write(`depot: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      }
      const listeners = Object.entries(node.ports).map(([name, port]) => `${name} ${config.host}:${port}`);
      process.stdout.write(`depot started: ${listeners.join(', ')}, data ${config.dataDir}\n`);
      if (stopRequested !== undefined) stop(stopRequested);
    });
}
