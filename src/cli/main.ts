// `depot` command line. Subcommands are filled in as the layers below them land.
import process from 'node:process';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { formatState, inspectDataDir } from './start.js';

const program = new Command()
  .name('depot')
  .description('A distributed message queue and a Redis-compatible cache on one replicated log')
  .showHelpAfterError();

program
  .command('start')
  .description('open the data directory and report the logs found in it (the broker and cache are not built yet)')
  .option('--data <dir>', 'data directory', './data')
  .option('--json', 'print the state as JSON')
  .action(async (opts: { data: string; json?: boolean }) => {
    const dir = resolve(opts.data);
    const groups = await inspectDataDir(dir);
    process.stdout.write(opts.json ? JSON.stringify({ dataDir: dir, groups }) + '\n' : formatState(dir, groups));
    if (groups.some((g) => g.error !== undefined)) process.exitCode = 1;
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`depot: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
