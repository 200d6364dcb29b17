// A consumer in its own process, so tests can SIGKILL it: joins --group on --topic (from the
// earliest message) and prints `<queue> <offset> <body>` for every message it has processed.
// SIGTERM closes it cleanly (commits and leaves the group).
import process from 'node:process';
import { parseArgs } from 'node:util';
import { Depot } from '../../src/client/index.js';

const { values } = parseArgs({ options: { server: { type: 'string' }, group: { type: 'string' }, topic: { type: 'string' } } });
const depot = await Depot.connect({ servers: [values.server!] });
const consumer = depot.consumer({ group: values.group!, topic: values.topic!, start: 'earliest', sessionTimeoutMs: 3000 });
process.on('SIGTERM', () => {
  consumer
    .close()
    .then(() => depot.close())
    .then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`consumer close failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
});
await consumer.run((m) => {
  process.stdout.write(`${m.queue} ${m.offset} ${m.body.toString()}\n`);
});
process.stdout.write('joined\n');
