// LOLWUT against redis-server 7.0.15 side by side. Where the art does not depend on rand() (its
// first two rows of squares, a sky one row tall), argument clamping, VERSION's parsing and the
// errors, the replies are compared byte for byte, on RESP2 and RESP3 (a verbatim string there).
// Where it does, the structure: the number of lines, each line's width in characters, that the
// characters are Braille (version 5) or the four grays' escape sequences (version 6), and the
// closing lines. The drawing itself is tested pixel by pixel in lolwut-canvas.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RespClient, sideBySide, type Reply } from '../helpers/cache-resp-client.js';
import { depotAndRedis } from '../helpers/cache-servers.js';

const servers = depotAndRedis();

test('LOLWUT answers as redis-server does wherever its art is not random', async () => {
  const lines: string[][] = [
    ['LOLWUT'],
    ['lolwut', 'version'],
    ['LOLWUT', '5'],
    ['LOLWUT', '5', '1', '1'],
    ['LOLWUT', 'VERSION', '7'],
    ['LOLWUT', 'VERSION', '4'],
    ['LOLWUT', 'VERSION', '-1'],
    ['LOLWUT', 'VERSION', '9223372036854775807'],
    // Read as a long, printed as an unsigned int: these are 5 and 6.
    ['LOLWUT', 'VERSION', '4294967301', '7', '3', '1'],
    ['LOLWUT', 'VERSION', '-4294967290', '9', '1'],
    ['LOLWUT', 'VERSION', 'x'],
    ['LOLWUT', 'VERSION', '9223372036854775808'],
    ['LOLWUT', 'VERSION', '5.0'],
    ['LOLWUT', 'VERSION', '5', 'x'],
    ['LOLWUT', 'VERSION', '5', '66', 'x'],
    ['LOLWUT', 'VERSION', '5', '66', '8', 'x'],
    ['LOLWUT', 'VERSION', '6', '', '1'],
    ['LOLWUT', 'VERSION', '6', '80', '1.5'],
    // Version 5 with at most two rows of squares: no square is turned or moved.
    ['LOLWUT', 'VERSION', '5', '66', '8', '2'],
    ['LOLWUT', 'version', '5', '40', '3', '1'],
    ['LOLWUT', 'VERSION', '5', '100', '7', '2'],
    ['LOLWUT', 'VERSION', '5', '1', '1', '1'],
    ['LOLWUT', 'VERSION', '5', '2', '1', '2'],
    ['LOLWUT', 'VERSION', '5', '3', '3', '2'],
    ['LOLWUT', 'VERSION', '5', '0', '0', '0'],
    ['LOLWUT', 'VERSION', '5', '-5', '-1', '-9223372036854775808'],
    ['LOLWUT', 'VERSION', '5', '5000', '300', '2'],
    ['LOLWUT', 'VERSION', '5', '9223372036854775807', '1', '1', 'extra'],
    // Version 6 one row tall: every building is 0 rows high, the sky all white.
    ['LOLWUT', 'VERSION', '6', '10', '1'],
    ['LOLWUT', 'VERSION', '6', '5000', '1'],
    ['LOLWUT', 'VERSION', '6', '0', '0'],
    ['LOLWUT', 'VERSION', '6', '1', '-3', 'extra'],
    ['EVAL', "return redis.call('lolwut', 'version', '5', '20', '2', '2')", '0'],
    ['MULTI'],
    ['LOLWUT', 'VERSION', '6', '3', '1'],
    ['LOLWUT'],
    ['EXEC'],
    ['HELLO', '3'],
    ['LOLWUT'],
    ['LOLWUT', 'VERSION', '5', '10', '2', '2'],
    ['LOLWUT', 'VERSION', '6', '4', '1'],
  ];
  // The squares' float arithmetic over sizes that round in many ways.
  for (const cols of ['1', '3', '7', '33', '99', '333', '1000']) {
    for (const perRow of ['1', '3', '13', '64', '199']) lines.push(['LOLWUT', 'VERSION', '5', cols, perRow, '2']);
  }
  // HELLO's reply names each server's own connection id.
  const replies = (all: string[]) => all.filter((l) => !l.startsWith('HELLO '));
  const { depot, redis } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.deepEqual(replies(depot), replies(redis));
});

/** A LOLWUT reply's text (a bulk string's bytes) as the terminal shows it: UTF-8. */
async function lolwutText(c: RespClient, args: readonly string[]): Promise<string> {
  const r: Reply = await c.call('LOLWUT', ...args);
  assert.equal(r.t, 'bulk', `LOLWUT ${args.join(' ')}: ${JSON.stringify(r)}`);
  return Buffer.from((r as { v: string }).v, 'latin1').toString('utf8');
}

/** A reply's shape: its lines' widths in characters, and its closing lines; `cell` must match every character of the art. */
function shape(text: string, closing: number, cell: RegExp): { widths: number[]; closing: string[] } {
  const lines = text.split('\n');
  const art = lines.slice(0, lines.length - closing);
  const cells = art.map((l) => l.match(new RegExp(cell.source, 'gy'))?.join('') ?? '');
  assert.deepEqual(cells, art, `every character of the art is a ${cell.source}`);
  return { widths: art.map((l) => (l.match(new RegExp(cell.source, 'gy')) ?? []).length), closing: lines.slice(-closing) };
}

test("LOLWUT VERSION 5 and 6 draw art of redis-server's shape: its lines, widths, characters and closing lines", async () => {
  const [d, r] = await Promise.all([RespClient.open(servers.depot.port), RespClient.open(servers.redis.port)]);
  try {
    const braille = /[\u2800-\u28ff]/;
    const gray = /\x1b\[0;(?:30;40|90;100|37;47|97;107)m \x1b\[0m/;
    const cases: Array<[string[], number, RegExp]> = [
      // Version 5 ends its art with an empty line (its last row of pixels rarely ends a Braille row).
      [['VERSION', '5'], 3, braille],
      [['VERSION', '5', '40', '5', '9'], 3, braille],
      [['VERSION', '5', '13', '1', '30'], 3, braille],
      [['VERSION', '5', '1000', '200', '200'], 3, braille],
      [['VERSION', '6'], 3, gray],
      [['VERSION', '6', '33', '17'], 3, gray],
      [['VERSION', '6', '2', '2'], 3, gray],
      [['VERSION', '6', '1000', '300'], 3, gray],
    ];
    for (const [args, closing, cell] of cases) {
      const [mine, theirs] = [await lolwutText(d, args), await lolwutText(r, args)];
      assert.deepEqual(shape(mine, closing, cell), shape(theirs, closing, cell), args.join(' '));
    }
    // The art is drawn at random, as in Redis: two calls differ.
    assert.notEqual(await lolwutText(d, ['VERSION', '5']), await lolwutText(d, ['VERSION', '5']));
    assert.notEqual(await lolwutText(d, ['VERSION', '6']), await lolwutText(d, ['VERSION', '6']));
  } finally {
    d.close();
    r.close();
  }
});

test("LOLWUT's and PFSELFTEST's COMMAND INFO are redis-server's; COMMAND COUNT is Redis's", async () => {
  const lines = [['COMMAND', 'INFO', 'lolwut', 'pfselftest'], ['COMMAND', 'DOCS', 'lolwut', 'pfselftest']];
  const { depot, redis } = await sideBySide(servers.depot.port, servers.redis.port, lines);
  assert.equal(depot[0], redis[0]);
  // Summaries are Depot's own.
  const docs = (s: string) => s.replace(/bulk:"summary", bulk:"[^"]*"/g, 'summary');
  assert.equal(docs(depot[1]!), docs(redis[1]!));
  const count = async (port: number) => {
    const c = await RespClient.open(port);
    try {
      return Number((await c.call('COMMAND', 'COUNT') as { v: string }).v);
    } finally {
      c.close();
    }
  };
  // Every command of Redis 7.0 is in the table (SCRIPT DEBUG, a subcommand, is not counted).
  assert.equal(await count(servers.depot.port), await count(servers.redis.port));
});
