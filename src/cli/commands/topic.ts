// depot topic create|list|describe|delete
import { Command } from 'commander';
import { DEFAULT_TOPIC_SETTINGS, type FlushPolicy } from '../../client/index.js';
import { formatTime, intOption, printJson, printTable, withConnection, withDepot, type GlobalOptions } from './common.js';

export function topicCommand(): Command {
  const topic = new Command('topic').description('create, list, describe and delete topics');
  withConnection(topic.command('create <name>').description('create a topic'))
    .option('-q, --queues <n>', 'number of queues', intOption('--queues', 1), DEFAULT_TOPIC_SETTINGS.queues)
    .option('--retention-ms <ms>', 'retention time', intOption('--retention-ms'), DEFAULT_TOPIC_SETTINGS.retentionMs)
    .option('--max-message-bytes <n>', 'largest message body', intOption('--max-message-bytes', 1), DEFAULT_TOPIC_SETTINGS.maxMessageBytes)
    .option('--flush <policy>', "'sync' (acked after fsync) or 'async'", DEFAULT_TOPIC_SETTINGS.flush)
    .action(async (name: string, o: GlobalOptions & { queues: number; retentionMs: number; maxMessageBytes: number; flush: string }) => {
      if (o.flush !== 'sync' && o.flush !== 'async') throw new Error(`--flush is 'sync' or 'async', not '${o.flush}'`);
      const t = await withDepot(o, (d) => d.admin.createTopic(name, { queues: o.queues, retentionMs: o.retentionMs, maxMessageBytes: o.maxMessageBytes, flush: o.flush as FlushPolicy }));
      if (o.json) printJson(t);
      else process.stdout.write(`created topic ${t.name} with ${t.queues} queues\n`);
    });
  withConnection(topic.command('list').description('list topics')).action(async (o: GlobalOptions) => {
    const topics = await withDepot(o, (d) => d.admin.listTopics());
    if (o.json) printJson(topics);
    else printTable(topics.map((t) => ({ ...t, created: formatTime(t.createdAt) })), ['name', 'queues', 'flush', 'maxMessageBytes', 'retentionMs', 'created']);
  });
  withConnection(topic.command('describe <name>').description('show a topic and its queues')).action(async (name: string, o: GlobalOptions) => {
    const d = await withDepot(o, (depot) => depot.admin.describeTopic(name));
    if (o.json) return printJson(d);
    const t = d.topic;
    process.stdout.write(`topic ${t.name}: ${t.queues} queues, flush ${t.flush}, max message ${t.maxMessageBytes} B, retention ${t.retentionMs} ms, broker group ${t.brokerGroup}\n`);
    printTable(d.queues.map((q, i) => ({ queue: i, start: q.startOffset, end: q.endOffset, messages: q.endOffset - q.startOffset, last: formatTime(q.lastStoreTimestamp) })), ['queue', 'start', 'end', 'messages', 'last']);
  });
  withConnection(topic.command('delete <name>').description('delete a topic and its messages')).action(async (name: string, o: GlobalOptions) => {
    await withDepot(o, (d) => d.admin.deleteTopic(name));
    if (o.json) printJson({ deleted: name });
    else process.stdout.write(`deleted topic ${name}\n`);
  });
  return topic;
}
