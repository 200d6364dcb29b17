// LOLWUT 6's art (Redis's lolwut6.c): a city skyline after the parallax backgrounds of 8-bit
// games (Plaguemon's, by hikikomori), in the four grays of a colour terminal, one character per
// pixel: two rows of plain buildings in the grays behind a row of black ones with lit windows,
// all at random.
import { Canvas, type Rand } from './canvas.js';

const BLACK = 0;
const WHITE = 3;

interface Skyscraper {
  readonly xoff: number;
  readonly width: number;
  readonly height: number;
  readonly windows: boolean;
  readonly color: number;
}

/** A building standing on the bottom row; its roof is two pixels narrower on each side. */
function drawSkyscraper(canvas: Canvas, s: Skyscraper, rand: Rand): void {
  const bottom = canvas.height - 1;
  const top = bottom - s.height + 1;
  const right = s.xoff + s.width - 1;
  for (let y = bottom; y >= top; y--) {
    for (let x = s.xoff; x <= right; x++) {
      if (y === top && (x <= s.xoff + 1 || x >= right - 1)) continue;
      let color = s.color;
      // Windows only away from the walls, the roof and the ground: two pixels wide (terminal
      // characters are twice as tall as wide), one tall, every other row; each window one of
      // the two grays at random.
      if (s.windows && x > s.xoff + 1 && x < right - 1 && y > top + 1 && y < bottom - 1) {
        const relx = x - (s.xoff + 1);
        const rely = y - (top + 1);
        if (Math.trunc(relx / 2) % 2 !== 0 && rely % 2 !== 0) {
          do color = 1 + (rand() % 2);
          while (color === s.color);
          if (relx % 2 !== 0) color = canvas.get(x - 1, y);
        }
      }
      canvas.set(x, y, color);
    }
  }
}

/** A `cols` x `rows` skyline on a white sky. */
export function drawSkyline(cols: number, rows: number, rand: Rand): Canvas {
  const canvas = new Canvas(cols, rows, WHITE);
  // The background, lighter gray first so that it stays behind the darker one.
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < cols; ) {
      offset += rand() % 8;
      const width = 10 + (rand() % 9);
      const height = Math.trunc(rows / 2) + Math.trunc((rand() % rows) / (color === 2 ? 2 : 3));
      drawSkyscraper(canvas, { xoff: offset, width, height, windows: false, color }, rand);
      offset += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  for (let offset = -10; offset < cols; ) {
    offset += rand() % 8;
    let width = 5 + (rand() % 14);
    if (width % 4 !== 0) width += width % 3;
    const height = Math.trunc(rows / 3) + Math.trunc((rand() % rows) / 2);
    drawSkyscraper(canvas, { xoff: offset, width, height, windows: true, color: BLACK }, rand);
    offset += width + 5;
  }
  return canvas;
}

/** Each colour as a space with foreground and background set (terminals agree better on both). */
const CELLS: readonly string[] = ['0;30;40m', '0;90;100m', '0;37;47m', '0;97;107m'].map((sgr) => `\x1b[${sgr} \x1b[0m`);

/** The canvas one character per pixel, its lines joined by newlines. */
export function renderGrays(canvas: Canvas): string {
  const lines: string[] = [];
  for (let y = 0; y < canvas.height; y++) {
    let line = '';
    for (let x = 0; x < canvas.width; x++) line += CELLS[canvas.get(x, y)]!;
    lines.push(line);
  }
  return lines.join('\n');
}
