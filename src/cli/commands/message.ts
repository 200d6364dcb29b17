// depot message get <id> | depot message find --topic T (--key K | --since TIME)
import process from 'node:process';
import { Command } from 'commander';
import type { FoundMessage } from '../../client/index.js';
import { formatTime, intOption, parsePosition, printJson, printTable, withConnection, withDepot, type GlobalOptions } from './common.js';

interface FindOptions extends GlobalOptions {
  topic: string;
  key?: string;
  since?: string;
  max?: number;
}

export function messageCommand(): Command {
  const message = new Command('message').description('look up stored messages by id, key or time');
  withConnection(message.command('get <id>').description('the message a message id names')).action(async (id: string, o: GlobalOptions) => {
    const m = await withDepot(o, (d) => d.admin.getMessage(id));
    if (o.json) return printJson(asJson(m));
    const rows: Array<[string, string | number]> = [
      ['id', m.messageId], ['topic', m.topic], ['queue', m.queue], ['offset', m.offset],
      ['key', m.key ?? '-'], ['tag', m.tag ?? '-'], ['stored', formatTime(m.storeTimestamp)], ['produced', formatTime(m.timestamp)],
      ...Object.entries(m.headers).map(([k, v]): [string, string] => [`header ${k}`, v]),
      ['body', m.body.toString('utf8')],
    ];
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(10)} ${v}\n`);
  });
  withConnection(message.command('find').description('messages of a topic by key (newest first) or by store time (per queue)'))
    .requiredOption('--topic <topic>', 'the topic')
    .option('-k, --key <key>', 'messages produced with this key')
    .option('--since <time>', 'messages stored at or after this time (ISO 8601 or ms), per queue')
    .option('--max <n>', 'at most this many (per queue with --since)', intOption('--max', 1))
    .action(async (o: FindOptions) => {
      if ((o.key === undefined) === (o.since === undefined)) throw new Error('give exactly one of --key and --since');
      const found = await withDepot(o, async (d) => {
        if (o.key !== undefined) return d.admin.findByKey(o.topic, o.key, o.max ?? 32);
        const since = parsePosition(o.since!);
        if (typeof since !== 'object') throw new Error(`--since needs a time, not '${o.since}'`);
        return d.admin.findByTime(o.topic, since.timestamp, o.max ?? 1);
      });
      if (o.json) return printJson(found.map(asJson));
      printTable(
        found.map((m) => ({ id: m.messageId, queue: m.queue, offset: m.offset, key: m.key ?? '', tag: m.tag ?? '', stored: formatTime(m.storeTimestamp), body: m.body.toString('utf8').slice(0, 60) })),
        ['id', 'queue', 'offset', 'key', 'tag', 'stored', 'body'],
      );
    });
  return message;
}

function asJson(m: FoundMessage): Record<string, unknown> {
  return { ...m, body: m.body.toString('utf8') };
}
