// Splitting of inline commands and `redis-cli` style lines, with Redis's quoting rules
// (sdssplitargs): words separated by blanks; "double quotes" take the escapes \n \r \t \b \a
// \\ \" and \xHH; 'single quotes' take only \'. A closing quote must be followed by a blank.

const HEX = /^[0-9a-fA-F]{2}$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

function isBlank(c: string): boolean {
  return c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\v' || c === '\f' || c === '\0';
}

/** The words of `line`, or null when a quote is unbalanced or not followed by a blank. */
export function splitInlineArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && isBlank(line[i]!)) i++;
    if (i >= n) return out;
    let word = '';
    let inDouble = false;
    let inSingle = false;
    for (;;) {
      const c = line[i];
      if (inDouble) {
        if (c === undefined) return null;
        if (c === '\\' && line[i + 1] === 'x' && HEX.test(line.slice(i + 2, i + 4))) {
          word += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          const e = line[++i]!;
          word += ESCAPES[e] ?? e;
        } else if (c === '"') {
          if (i + 1 < n && !isBlank(line[i + 1]!)) return null;
          i++;
          break;
        } else {
          word += c;
        }
      } else if (inSingle) {
        if (c === undefined) return null;
        if (c === '\\' && line[i + 1] === "'") {
          word += "'";
          i++;
        } else if (c === "'") {
          if (i + 1 < n && !isBlank(line[i + 1]!)) return null;
          i++;
          break;
        } else {
          word += c;
        }
      } else if (c === undefined || isBlank(c)) {
        break;
      } else if (c === '"') {
        inDouble = true;
      } else if (c === "'") {
        inSingle = true;
      } else {
        word += c;
      }
      i++;
    }
    out.push(word);
  }
}
