// LOLWUT [VERSION v] [...] (Redis's lolwut.c): some computer art, and the Redis version. Redis
// 7.0 has no art of its own, so without VERSION 5 or 6 it answers the version line alone (what
// its unstable builds print). VERSION 5 [cols [squares-per-row [squares-per-col]]] draws Georg
// Nees's Schotter in Braille characters (66, 8 and 12 by default); VERSION 6 [cols [rows]] a
// skyline in a terminal's grays (80 by 20). The art's arguments are clamped to Redis's limits,
// which keep the drawing cheap: 1 to 1000 columns and rows, 1 to 200 squares a row or column.
import { cRand, renderBraille } from '../lolwut/canvas.js';
import { drawSchotter } from '../lolwut/schotter.js';
import { drawSkyline, renderGrays } from '../lolwut/skyline.js';
import { intArg, is, parseInt64 } from './args.js';
import { REDIS_VERSION } from './connection.js';
import type { CommandSpec, Ctx } from './context.js';
import { Err, fail } from './reply-error.js';
import { command, family, NO_KEYS } from './spec.js';

/** A version's argument `i` (a C long), clamped to 1 .. `max`; `absent` when not given. */
function sizeArg(args: readonly string[], i: number, absent: number, max: number): number {
  const s = args[i];
  return s === undefined ? absent : Math.min(Math.max(intArg(s), 1), max);
}

function schotter(c: Ctx, args: readonly string[]): void {
  const cols = sizeArg(args, 0, 66, 1000);
  const perRow = sizeArg(args, 1, 8, 200);
  const perCol = sizeArg(args, 2, 12, 200);
  const art = renderBraille(drawSchotter(cols, perRow, perCol, cRand(c.random)));
  c.out.verbatim(`${art}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${REDIS_VERSION}\n`);
}

function skyline(c: Ctx, args: readonly string[]): void {
  const cols = sizeArg(args, 0, 80, 1000);
  const rows = sizeArg(args, 1, 20, 1000);
  const art = renderGrays(drawSkyline(cols, rows, cRand(c.random)));
  c.out.verbatim(
    `${art}\nDedicated to the 8 bit game developers of past and present.\n` +
      `Original 8 bit image from Plaguemon by hikikomori. Redis ver. ${REDIS_VERSION}\n`,
  );
}

/** VERSION's argument as Redis reads it: a long, printed as an unsigned int ("%u.0.0") whose digits pick the art. */
function versionArg(s: string): number {
  const asked = parseInt64(s);
  if (asked === null) fail(Err.NOT_INTEGER);
  return Number(BigInt.asUintN(32, BigInt(asked)));
}

function lolwut(c: Ctx): void {
  const version = c.argv.length >= 3 && is(c.argv[1], 'VERSION') ? versionArg(c.argv[2]!) : null;
  const args = c.argv.slice(3);
  if (version === 5) return schotter(c, args);
  if (version === 6) return skyline(c, args);
  c.out.verbatim(`Redis ver. ${REDIS_VERSION}\n`);
}

export const lolwutCommands: CommandSpec[] = family('server', [
  command('lolwut', -1, 'readonly fast', NO_KEYS, '@read @fast', 'Displays computer art and the Redis version.', lolwut),
]);
