// depot consume <topic> --group G: prints messages as they arrive; ctrl-C commits and leaves.
import process from 'node:process';
import { Command } from 'commander';
import { Depot, type ConsumedMessage } from '../../client/index.js';
import { intOption, parsePosition, printJson, withConnection, type GlobalOptions } from './common.js';

interface ConsumeOptions extends GlobalOptions {
  group: string;
  tag: string[];
  from: string;
  broadcast: boolean;
  instance?: string;
  count?: number;
}

export function consumeCommand(): Command {
  return withConnection(new Command('consume').description('print messages of a topic as a member of a consumer group'))
    .argument('<topic>')
    .requiredOption('-g, --group <group>', 'consumer group')
    .option('-t, --tag <tag>', 'only messages with this tag (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--from <position>', "where a new group starts: 'earliest', 'latest' or a time", 'latest')
    .option('--broadcast', 'broadcast mode: this member receives every message', false)
    .option('--instance <id>', 'instance id (keeps a broadcast member\'s progress across runs)')
    .option('-n, --count <n>', 'exit after this many messages', intOption('--count', 1))
    .action(async (topic: string, o: ConsumeOptions) => {
      const depot = await Depot.connect({ servers: [o.server] });
      const consumer = depot.consumer({
        group: o.group,
        topic,
        tags: o.tag,
        start: parsePosition(o.from),
        mode: o.broadcast ? 'broadcast' : 'clustering',
        ...(o.instance === undefined ? {} : { instanceId: o.instance }),
      });
      let seen = 0;
      let stopping: Promise<void> | undefined;
      const stop = () => (stopping ??= consumer.close().then(() => depot.close()));
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
      await consumer.run(async (m) => {
        if (stopping !== undefined) throw new Error('stopping');
        print(m, o.json);
        if (o.count !== undefined && ++seen >= o.count) void stop();
      });
      await new Promise<void>((resolve) => {
        const wait = () => (stopping === undefined ? setTimeout(wait, 50) : void stopping.then(resolve));
        wait();
      });
    });
}

function print(m: ConsumedMessage, json: boolean): void {
  if (json) {
    const { topic, queue, offset, messageId, key, tag, headers, timestamp, storeTimestamp } = m;
    printJson({ topic, queue, offset, messageId, key, tag, headers, timestamp, storeTimestamp, body: m.body.toString('utf8') });
    return;
  }
  const meta = [`queue=${m.queue}`, `offset=${m.offset}`, m.key === undefined ? '' : `key=${m.key}`, m.tag === undefined ? '' : `tag=${m.tag}`].filter(Boolean).join(' ');
  process.stdout.write(`${meta}  ${m.body.toString('utf8')}\n`);
}
