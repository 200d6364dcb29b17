// depot send <topic> [body]: one message from the argument, or one per line of stdin.
import process from 'node:process';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import type { SendResult } from '../../client/index.js';
import { intOption, printJson, withConnection, withDepot, type GlobalOptions } from './common.js';

interface SendOptions extends GlobalOptions {
  key?: string;
  tag?: string;
  queue?: number;
  header: string[];
}

export function sendCommand(): Command {
  return withConnection(new Command('send').description('send a message (the argument), or one message per line of stdin'))
    .argument('<topic>')
    .argument('[body]')
    .option('-k, --key <key>', 'message key (same key → same queue → order kept)')
    .option('-t, --tag <tag>', 'message tag')
    .option('--queue <n>', 'explicit queue', intOption('--queue'))
    .option('-H, --header <name=value>', 'a header (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .action(async (topic: string, body: string | undefined, o: SendOptions) => {
      const headers: Record<string, string> = {};
      for (const h of o.header) {
        const eq = h.indexOf('=');
        if (eq <= 0) throw new Error(`--header '${h}' is not name=value`);
        headers[h.slice(0, eq)] = h.slice(eq + 1);
      }
      await withDepot(o, async (depot) => {
        const producer = depot.producer({ lingerMs: 5 });
        const report = (r: SendResult): void => {
          if (o.json) printJson(r);
          else process.stdout.write(`${r.messageId} queue ${r.queue} offset ${r.offset}\n`);
        };
        const one = (text: string) =>
          producer.send(topic, { body: text, headers, ...(o.key === undefined ? {} : { key: o.key }), ...(o.tag === undefined ? {} : { tag: o.tag }), ...(o.queue === undefined ? {} : { queue: o.queue }) });
        if (body !== undefined) {
          report(await one(body));
          return;
        }
        const pending: Array<Promise<void>> = [];
        for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
          pending.push(one(line).then(report));
          // Bounded: at most 10,000 lines waiting for their acknowledgement.
          if (pending.length >= 10_000) await Promise.all(pending.splice(0));
        }
        await Promise.all(pending);
      });
    });
}
