// The queue engine as one process, for end-to-end tests and the benchmark until `depot start`
// is wired: a controller group and a broker group of one replica each (test/helpers/mq-group.ts)
// under --data DIR, the native server on --port (0: any), graceful shutdown on SIGTERM/SIGINT.
// Prints `listening <port>` on stdout once ready.
import process from 'node:process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BrokerService } from '../../src/broker/broker-service.js';
import { ControllerService } from '../../src/cluster/controller-service.js';
import { NativeServer } from '../../src/server/native/native-server.js';
import { createLogger } from '../../src/node/logger.js';
import { QueueTestGroup } from './mq-group.js';

// `node --test dist/test` runs every file under test/, this one too, with no arguments: do nothing then.
if (process.argv.length <= 2) process.exit(0);

const { values } = parseArgs({ options: { data: { type: 'string' }, port: { type: 'string', default: '0' } } });
if (values.data === undefined) {
  process.stderr.write('usage: mq-server-main --data DIR [--port N]\n');
  process.exit(2);
}

const controller = new ControllerService(1);
const controllerGroup = QueueTestGroup.open('controller-1', controller.stateMachine, join(values.data, 'controller-1'));
controller.attach(controllerGroup);
const broker = new BrokerService({ brokerGroup: 1 });
const brokerGroup = QueueTestGroup.open('broker-1', broker.stateMachine, join(values.data, 'broker-1'));
broker.attach(brokerGroup, brokerGroup);

const log = createLogger(process.env['DEPOT_LOG_LEVEL'] ?? 'warn', 'depot-mq');
const server = new NativeServer({ controller, broker, log });
const port = await server.listen(Number(values.port));
process.stdout.write(`listening ${port}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close();
  await Promise.all([controllerGroup.close(), brokerGroup.close()]);
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
