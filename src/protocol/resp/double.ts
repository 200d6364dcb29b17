// Text forms of doubles as Redis 7.0 prints them: `%.17g` for scores and RESP3 doubles,
// and "inf" / "-inf" for the infinities. Shared by the reply writer and the command layer.

/** C's `printf("%.17g", d)`, with `inf`/`-inf`/`nan` spelled as Redis spells them. */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  if (Number.isInteger(d) && Math.abs(d) < 1e17) return String(d);
  const exp = d.toExponential(16); // "-d.dddddddddddddddde±X": 17 significant digits
  const negative = exp.charCodeAt(0) === 45;
  const body = negative ? exp.slice(1) : exp;
  const ePos = body.indexOf('e');
  const digits = body[0]! + body.slice(2, ePos);
  const x = Number(body.slice(ePos + 1));
  let text: string;
  if (x < -4 || x >= 17) {
    const mantissa = stripZeros(digits[0]! + '.' + digits.slice(1));
    const abs = Math.abs(x);
    text = `${mantissa}e${x < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  } else if (x >= 0) {
    text = stripZeros(digits.slice(0, x + 1) + '.' + digits.slice(x + 1));
  } else {
    text = stripZeros('0.' + '0'.repeat(-x - 1) + digits);
  }
  return negative ? '-' + text : text;
}

function stripZeros(s: string): string {
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}
