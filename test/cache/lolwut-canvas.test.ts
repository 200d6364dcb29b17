// LOLWUT's drawing (src/cache/lolwut/), pixel by pixel with fixed inputs: lines, squares, the
// Braille and gray renderings, and the two versions' art with rand() scripted. Expected pictures
// are worked out by hand from Redis's lolwut*.c; lolwut.test.ts compares whole replies with
// redis-server where they do not depend on rand().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Canvas, cRand, cRound, drawLine, drawSquare, RAND_MAX, renderBraille } from '../../src/cache/lolwut/canvas.js';
import { drawSchotter } from '../../src/cache/lolwut/schotter.js';
import { drawSkyline, renderGrays } from '../../src/cache/lolwut/skyline.js';

/** The canvas as rows of colour digits, '.' for 0. */
function picture(canvas: Canvas): string[] {
  const rows: string[] = [];
  for (let y = 0; y < canvas.height; y++) {
    let row = '';
    for (let x = 0; x < canvas.width; x++) row += canvas.get(x, y) === 0 ? '.' : String(canvas.get(x, y));
    rows.push(row);
  }
  return rows;
}

/** A width x height picture with `lit` pixels 1. */
function expected(width: number, height: number, lit: ReadonlyArray<readonly [number, number]>): string[] {
  const rows = Array.from({ length: height }, () => Array<string>(width).fill('.'));
  for (const [x, y] of lit) if (x >= 0 && x < width && y >= 0 && y < height) rows[y]![x] = '1';
  return rows.map((r) => r.join(''));
}

/** The pixels of axis-aligned square outlines, corners (x0, y0) and (x1, y1). */
function outline(x0: number, y0: number, x1: number, y1: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let x = x0; x <= x1; x++) out.push([x, y0], [x, y1]);
  for (let y = y0; y <= y1; y++) out.push([x0, y], [x1, y]);
  return out;
}

/** The UTF-8 bytes of a rendering (latin1, as replies carry them) read as text. */
const utf8 = (s: string) => Buffer.from(s, 'latin1').toString('utf8');

test('drawLine lights the Bresenham pixels from one end to the other, either way, and drops those off the canvas', () => {
  const shallow = new Canvas(4, 2);
  drawLine(shallow, 0, 0, 3, 1, 1);
  assert.deepEqual(picture(shallow), ['11..', '..11']);
  const reversed = new Canvas(4, 2);
  drawLine(reversed, 3, 1, 0, 0, 1);
  assert.deepEqual(picture(reversed), picture(shallow));
  const steep = new Canvas(2, 4);
  drawLine(steep, 0, 0, 1, 3, 1);
  assert.deepEqual(picture(steep), ['1.', '1.', '.1', '.1']);
  const clipped = new Canvas(3, 3);
  drawLine(clipped, -2, -2, 1, 1, 7);
  drawLine(clipped, 2, 0, 2, 5, 2);
  assert.deepEqual(picture(clipped), ['7.2', '.72', '..2']);
  const point = new Canvas(2, 2);
  drawLine(point, 1, 1, 1, 1, 1);
  assert.deepEqual(picture(point), ['..', '.1']);
});

test('drawSquare puts the corners on the circle of radius round(side / √2), at 45° plus the angle and every 90°', () => {
  assert.deepEqual([cRound(2.5), cRound(-2.5), cRound(1.49), cRound(-1.5)], [3, -3, 1, -2]);
  // Side 8.49: radius 6, corners at ±round(6 sin 45°) = ±4 from the centre.
  const straight = new Canvas(12, 12);
  drawSquare(straight, 5, 5, 8.49, 0, 1);
  assert.deepEqual(picture(straight), expected(12, 12, outline(1, 1, 9, 9)));
  // Turned by 45°: a diamond with its corners 6 from the centre on the axes.
  const diamond = new Canvas(13, 13);
  drawSquare(diamond, 6, 6, 8.49, Math.fround(Math.PI / 4), 1);
  for (const [x, y] of [[12, 6], [6, 0], [0, 6], [6, 12], [9, 3], [3, 9], [9, 9], [3, 3]] as const) assert.equal(diamond.get(x, y), 1, `${x},${y}`);
  assert.equal(diamond.get(6, 6), 0);
  assert.equal(picture(diamond).join('').replaceAll('.', '').length, 24);
});

test("renderBraille maps each 2x4 block's pixels to Unicode's Braille dots, in UTF-8, a newline after each row but one ending on the last pixel row", () => {
  const dots: Array<[number, number, number]> = [[0, 0, 0x2801], [0, 1, 0x2802], [0, 2, 0x2804], [1, 0, 0x2808], [1, 1, 0x2810], [1, 2, 0x2820], [0, 3, 0x2840], [1, 3, 0x2880]];
  for (const [x, y, code] of dots) {
    const c = new Canvas(2, 4);
    c.set(x, y, 1);
    assert.equal(utf8(renderBraille(c)), `${String.fromCharCode(code)}\n`, `${x},${y}`);
  }
  const full = new Canvas(2, 4, 3);
  assert.equal(utf8(renderBraille(full)), '\u28ff\n');
  assert.deepEqual([...Buffer.from(renderBraille(full), 'latin1')], [0xe2, 0xa3, 0xbf, 0x0a]);
  // Width 3: the second character's right column is off the canvas. Height 5: the second row
  // starts on the last pixel row, so no newline after it; height 8: a newline after each.
  const odd = new Canvas(3, 5, 1);
  assert.equal(utf8(renderBraille(odd)), '\u28ff\u2847\n\u2809\u2801');
  assert.equal(utf8(renderBraille(new Canvas(2, 8))), '\u2800\n\u2800\n');
});

test("renderGrays writes each pixel as a space in one of the terminal's four grays, rows joined by newlines", () => {
  const c = new Canvas(2, 2);
  c.set(1, 0, 1);
  c.set(0, 1, 2);
  c.set(1, 1, 3);
  assert.equal(renderGrays(c), '\x1b[0;30;40m \x1b[0m\x1b[0;90;100m \x1b[0m\n\x1b[0;37;47m \x1b[0m\x1b[0;97;107m \x1b[0m');
});

/** A rand() that counts its calls and answers `value`. */
function constantRand(value: number): { rand: () => number; calls: () => number } {
  let n = 0;
  return {
    rand: () => {
      n++;
      return value;
    },
    calls: () => n,
  };
}

test('drawSchotter sizes the canvas as Redis does and turns and moves only the squares below the second row, by rand()', () => {
  const noRand = () => assert.fail('rand() called for two rows of squares');
  const sizes = ([[66, 8, 12], [1, 1, 1], [3, 3, 2], [40, 5, 9], [1000, 200, 200]] as const).map(([cols, row, col]) => {
    const c = drawSchotter(cols, row, Math.min(col, 2), noRand);
    const full = drawSchotter(cols, row, col, cRand(Math.random));
    return [c.width, full.height];
  });
  // Height: float(side) × squares per column + 2 × padding, truncated; side = (width - padding) / squares per row.
  assert.deepEqual(sizes, [[132, 196], [2, 2], [6, 5], [80, 140], [2000, 1999]]);
  // 20 x 20: side 8, squares centred at 6 and 14, radius round(8 / √2) = 6, corners ±4 away.
  const grid = drawSchotter(10, 2, 2, noRand);
  const squares = [6, 14].flatMap((sy) => [6, 14].flatMap((sx) => outline(sx - 4, sy - 4, sx + 4, sy + 4)));
  assert.deepEqual(picture(grid), expected(20, 20, squares));
  // rand() = 0: no turn, no move, so a third row like the others.
  const still = constantRand(0);
  const three = drawSchotter(10, 2, 3, still.rand);
  assert.deepEqual(picture(three), expected(20, 28, [...squares, ...[6, 14].flatMap((sx) => outline(sx - 4, 18, sx + 4, 26))]));
  assert.equal(still.calls(), 6 * 2);
  // rand() = RAND_MAX (odd): each value 1 × 2/3 for the third of three rows, negated: turned by
  // -2/3 rad, moved by -2/3 × 8/3 (6 → 4, 14 → 12, 22 → 20), corners at (+1,+6) (+6,-1) (-1,-6) (-6,+1).
  const moved = drawSchotter(10, 2, 3, constantRand(RAND_MAX).rand);
  const corners = [[4, 20], [12, 20]].flatMap(([sx, sy]) => [[1, 6], [6, -1], [-1, -6], [-6, 1]].map(([dx, dy]) => [sx! + dx!, sy! + dy!] as const));
  for (const [x, y] of corners.filter(([x]) => x >= 0)) assert.equal(moved.get(x, y), 1, `${x},${y}`);
  // Above the moved squares' top corners (y 14) the first two rows are as drawn before.
  assert.deepEqual(picture(moved).slice(0, 14), picture(three).slice(0, 14));
});

test('drawSkyline: a white sky, two rows of gray buildings behind black ones with gray windows (rand() = 0 throughout)', () => {
  // Light gray buildings 10 wide every 5 columns from -10, 10 tall; darker gray ones 10 wide at
  // 1 and 12, 10 tall; black ones 7 wide at 2 and 14, 6 tall, roofs two pixels narrower on each
  // side; one window (x 5-6, y 16) lit in the darker gray.
  const sky = Array<string>(10).fill('3333333333333333');
  assert.deepEqual(picture(drawSkyline(16, 20, () => 0)), [
    ...sky,
    '2221111112222211',
    '2111111111121111',
    '2111111111121111',
    '2111111111121111',
    '2111...111121111',
    '21.......11211..',
    '21...11..11211..',
    '21.......11211..',
    '21.......11211..',
    '21.......11211..',
  ]);
  // One row: every building is 0 rows tall.
  assert.deepEqual(picture(drawSkyline(7, 1, cRand(Math.random))), ['3333333']);
});
