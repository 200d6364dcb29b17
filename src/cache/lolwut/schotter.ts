// LOLWUT 5's art (Redis's lolwut5.c): Georg Nees's "Schotter" (1968), a grid of squares that
// are turned and shifted more and more at random from the third row down, drawn for a terminal
// of `cols` columns and rendered in Braille characters.
import { Canvas, drawSquare, type Rand } from './canvas.js';

const f = Math.fround;

/** A canvas twice `cols` pixels wide, with `perRow` x `perCol` squares in it (C's float arithmetic, as Redis sizes it). */
export function drawSchotter(cols: number, perRow: number, perCol: number, rand: Rand): Canvas {
  const width = cols * 2;
  const padding = width > 4 ? 2 : 0;
  const side = f((width - padding * 2) / perRow);
  const canvas = new Canvas(width, Math.trunc(f(f(side * perCol) + padding * 2)), 0);
  // rand() / RAND_MAX, in float: (float)RAND_MAX rounds to 2^31.
  const unit = () => f(f(rand()) / 2 ** 31);
  const sign = (v: number) => (rand() % 2 !== 0 ? -v : v);
  for (let y = 0; y < perCol; y++) {
    for (let x = 0; x < perRow; x++) {
      let sx = Math.trunc(f(f(f(x * side) + f(side / 2)) + padding));
      let sy = Math.trunc(f(f(f(y * side) + f(side / 2)) + padding));
      let angle = 0;
      if (y > 1) {
        // The further down, the larger the turn (r1) and the shifts (r2, r3).
        const spread = (r: number) => f(f(r / perCol) * y);
        let r1 = spread(unit());
        let r2 = spread(unit());
        let r3 = spread(unit());
        r1 = sign(r1);
        r2 = sign(r2);
        r3 = sign(r3);
        angle = r1;
        sx = Math.trunc(f(sx + f(f(r2 * side) / 3)));
        sy = Math.trunc(f(sy + f(f(r3 * side) / 3)));
      }
      drawSquare(canvas, sx, sy, side, angle, 1);
    }
  }
  return canvas;
}
