// ASCII sparklines (Redis's sparkline.c), as LATENCY GRAPH draws them: each sample a column,
// `rows` rows of three characters' resolution each, filled below the line, and under the
// graph each column's label written downwards.

const CHARSET = '_-`';
const CHARSET_FILL = '_o#';
const LABEL_MARGIN_TOP = 1;

export interface SparklineSample {
  readonly value: number;
  /** Written downwards under the column; empty for none. */
  readonly label: string;
}

/** The graph of `samples`, `columns` at most per band (a longer sequence continues in a band below). */
export function renderSparkline(samples: readonly SparklineSample[], columns: number, rows: number, fill: boolean): string {
  let out = '';
  let min = 0;
  let max = 0;
  samples.forEach((s, i) => {
    if (i === 0) min = max = s.value;
    else if (s.value < min) min = s.value;
    else if (s.value > max) max = s.value;
  });
  const labels = samples.some((s) => s.label !== '');
  for (let j = 0; j < samples.length; j += columns) {
    if (j !== 0) out += '\n';
    out += renderRange(samples.slice(j, j + columns), min, max, labels, rows, fill);
  }
  return out;
}

/** sparklineRenderRange: the rows of one band, then its labels' rows. */
function renderRange(samples: readonly SparklineSample[], min: number, max: number, labels: boolean, rows: number, fill: boolean): string {
  const relmax = max - min === 0 ? 1 : max - min;
  const steps = CHARSET.length * rows;
  let out = '';
  for (let row = 0; ; row++) {
    let more = false;
    const chars = new Array<string>(samples.length).fill(' ');
    for (let j = 0; j < samples.length; j++) {
      const s = samples[j]!;
      // C's (int)(relval * steps) / relmax, truncated again on assignment.
      let step = Math.trunc(Math.trunc((s.value - min) * steps) / relmax);
      if (step < 0) step = 0;
      if (step >= steps) step = steps - 1;
      if (row < rows) {
        more = true;
        const at = step - (rows - row - 1) * CHARSET.length;
        if (at >= 0 && at < CHARSET.length) chars[j] = (fill ? CHARSET_FILL : CHARSET)[at]!;
        else if (fill && at >= CHARSET.length) chars[j] = '|';
      } else {
        if (labels && row - rows < LABEL_MARGIN_TOP) {
          more = true;
          break;
        }
        const at = row - rows - LABEL_MARGIN_TOP;
        if (s.label.length > at) {
          more = true;
          chars[j] = s.label[at]!;
        }
      }
    }
    if (!more) return out;
    out += `${chars.join('')}\n`;
  }
}
