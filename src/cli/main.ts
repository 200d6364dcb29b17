// `depot` command line. Subcommands are filled in as the layers below them land.
import process from 'node:process';

function main(argv: string[]): number {
  const [command] = argv;
  if (command === undefined || command === '--help' || command === 'help') {
    process.stdout.write('usage: depot <command>\n');
    return 0;
  }
  process.stderr.write(`depot: unknown command '${command}'\n`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
