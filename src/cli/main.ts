// `depot` command line.
import process from 'node:process';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { registerQueueCommands } from './commands/queue.js';
import { formatState, inspectDataDir } from './inspect.js';
import { startCommand } from './start.js';

const program = new Command()
  .name('depot')
  .description('A distributed message queue and a Redis-compatible cache on one replicated log')
  .showHelpAfterError();

program.addCommand(startCommand());

program
  .command('inspect')
  .description('open a data directory offline (no node running on it) and report the logs found in it')
  .option('--data <dir>', 'data directory', './data')
  .option('--json', 'print the state as JSON')
  .action(async (opts: { data: string; json?: boolean }) => {
    const dir = resolve(opts.data);
    const groups = await inspectDataDir(dir);
    process.stdout.write(opts.json ? JSON.stringify({ dataDir: dir, groups }) + '\n' : formatState(dir, groups));
    if (groups.some((g) => g.error !== undefined)) process.exitCode = 1;
  });

registerQueueCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`depot: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
