// The queue commands on a bare commander program, as src/cli/main.ts registers them; lets the
// CLI test run them in a child process before `depot` itself is wired to them.
import { Command } from 'commander';
import { registerQueueCommands } from '../../src/cli/commands/queue.js';

// `node --test dist/test` runs every file under test/, this one too, with no arguments: do nothing then.
if (process.argv.length <= 2) process.exit(0);

const program = new Command('depot').exitOverride();
registerQueueCommands(program);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = (err as { exitCode?: number }).exitCode;
  if (code === undefined) process.stderr.write(`depot: ${(err as Error).message}\n`);
  process.exitCode = code ?? 1;
}
