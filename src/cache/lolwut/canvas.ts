// The drawing surface LOLWUT's art is made on (Redis's lolwut.c): a grid of small colour
// numbers, Bresenham lines, rotated squares, and the rendering of a two-colour canvas in Braille
// characters, 2x4 pixels each. The arithmetic follows Redis's C step for step, in float where it
// computes in float, so that the same inputs light the same pixels.

/** C's rand(): an integer in [0, RAND_MAX] (glibc's RAND_MAX), the only randomness the art uses. */
export type Rand = () => number;
export const RAND_MAX = 0x7fffffff;

/** rand() over a uniform source in [0, 1). */
export function cRand(random: () => number): Rand {
  return () => Math.floor(random() * (RAND_MAX + 1));
}

/** C's round(): halfway cases away from zero (Math.round takes them up). */
export function cRound(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

export class Canvas {
  private readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background = 0,
  ) {
    this.pixels = new Uint8Array(width * height).fill(background);
  }

  /** Pixels outside the canvas are dropped: shapes may reach past its edges. */
  set(x: number, y: number, color: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    this.pixels[x + y * this.width] = color;
  }

  /** 0 outside the canvas. */
  get(x: number, y: number): number {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return 0;
    return this.pixels[x + y * this.width]!;
  }
}

/** A line from x1,y1 to x2,y2, both ends included (Bresenham). */
export function drawLine(canvas: Canvas, x1: number, y1: number, x2: number, y2: number, color: number): void {
  const dx = Math.abs(x2 - x1);
  const dy = Math.abs(y2 - y1);
  const sx = x1 < x2 ? 1 : -1;
  const sy = y1 < y2 ? 1 : -1;
  let err = dx - dy;
  for (;;) {
    canvas.set(x1, y1, color);
    if (x1 === x2 && y1 === y2) return;
    const e2 = err * 2;
    if (e2 > -dy) {
      err -= dy;
      x1 += sx;
    }
    if (e2 < dx) {
      err += dx;
      y1 += sy;
    }
  }
}

const f = Math.fround;

/**
 * A square of side `size` (a C float) centred on x,y and turned by `angle` radians (a float):
 * its corners are on the circle through them, at angle + 45° and every 90° from there, the
 * circle's radius being the side over √2, rounded.
 */
export function drawSquare(canvas: Canvas, x: number, y: number, size: number, angle: number, color: number): void {
  const radius = f(cRound(f(size / 1.4142135623)));
  const px: number[] = [];
  const py: number[] = [];
  let k = f(Math.PI / 4 + angle);
  for (let j = 0; j < 4; j++) {
    px.push(cRound(Math.sin(k) * radius + x));
    py.push(cRound(Math.cos(k) * radius + y));
    k = f(k + Math.PI / 2);
  }
  for (let j = 0; j < 4; j++) drawLine(canvas, px[j]!, py[j]!, px[(j + 1) % 4]!, py[(j + 1) % 4]!, color);
}

/**
 * Each 2x4 block's pixels as the dots of a Braille character, U+2800 plus this bit per lit
 * pixel (Unicode's dot numbering): left column 0, 1, 2 then 6 at the bottom, right column 3,
 * 4, 5 then 7. In UTF-8, as three latin1 characters: replies are byte strings.
 */
const DOTS: ReadonlyArray<readonly [dx: number, dy: number, bit: number]> = [
  [0, 0, 0x01], [0, 1, 0x02], [0, 2, 0x04], [1, 0, 0x08], [1, 1, 0x10], [1, 2, 0x20], [0, 3, 0x40], [1, 3, 0x80],
];
const BRAILLE_UTF8: readonly string[] = Array.from({ length: 256 }, (_, dots) => {
  const code = 0x2800 + dots;
  return String.fromCharCode(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
});

/**
 * The canvas as lines of Braille characters, a pixel lit where its colour is not 0. As in
 * Redis, every line ends in a newline but one that ends exactly on the last pixel row.
 */
export function renderBraille(canvas: Canvas): string {
  const lines: string[] = [];
  for (let y = 0; y < canvas.height; y += 4) {
    let line = '';
    for (let x = 0; x < canvas.width; x += 2) {
      let dots = 0;
      for (const [dx, dy, bit] of DOTS) if (canvas.get(x + dx, y + dy) !== 0) dots |= bit;
      line += BRAILLE_UTF8[dots]!;
    }
    lines.push(y === canvas.height - 1 ? line : line + '\n');
  }
  return lines.join('');
}
