// Benchmark output shared by every `npm run bench:*`: a human table by default, and with
// `--json` one JSON object per figure per line (name, value, unit, and peer/peer_value/ratio
// where the figure has a peer; ratio_low/ratio_high where it is a median of rounds), so runs can
// be tracked over time.
import process from 'node:process';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** What the figure is measured against: 'redis', 'rabbitmq', 'disk', ... */
  peer?: string;
  peer_value?: number;
  /** value / peer_value, or the inverse where lower is better; stated by the benchmark. */
  ratio?: number;
  /**
   * Where the figure is a median of rounds, each round measuring both sides: the lowest and
   * highest ratio of one round's pair. The spread says how far a single cell's ratio is from
   * the noise of the machine.
   */
  ratio_low?: number;
  ratio_high?: number;
}

export class Report {
  private readonly figures: Figure[] = [];
  readonly json: boolean;

  constructor(readonly title: string, argv: readonly string[] = process.argv.slice(2)) {
    this.json = argv.includes('--json');
    if (!this.json) process.stdout.write(`# ${title}\n`);
  }

  /** Records a figure; prints it at once in JSON mode so a crash loses nothing measured. */
  add(figure: Figure): void {
    const f = { ...figure };
    if (f.peer_value !== undefined && f.ratio === undefined && f.peer_value !== 0) {
      f.ratio = f.value / f.peer_value;
    }
    this.figures.push(f);
    if (this.json) process.stdout.write(JSON.stringify(f) + '\n');
  }

  note(text: string): void {
    if (!this.json) process.stdout.write(`${text}\n`);
    else process.stderr.write(`${text}\n`);
  }

  /** Prints the table of everything recorded (human mode only). */
  print(): void {
    if (this.json) return;
    const spreads = this.figures.some((f) => f.ratio_low !== undefined);
    const rows = this.figures.map((f) => {
      const row = [
        f.name,
        fmt(f.value),
        f.unit,
        f.peer ?? '',
        f.peer_value === undefined ? '' : fmt(f.peer_value),
        f.ratio === undefined ? '' : f.ratio.toFixed(2) + 'x',
      ];
      if (spreads) row.push(f.ratio_low === undefined || f.ratio_high === undefined ? '' : `${f.ratio_low.toFixed(2)}-${f.ratio_high.toFixed(2)}x`);
      return row;
    });
    const head = ['figure', 'value', 'unit', 'peer', 'peer value', 'ratio', ...(spreads ? ['rounds'] : [])];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) =>
      '| ' + cells.map((c, i) => (i === 1 || i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ') + ' |';
    process.stdout.write(line(head) + '\n');
    process.stdout.write('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|\n');
    for (const r of rows) process.stdout.write(line(r) + '\n');
  }
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toPrecision(3);
}
