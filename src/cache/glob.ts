// Redis glob-style matching (util.c stringmatchlen): * ? [abc] [^a-z] and \ escapes, used by
// KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET and ACL key and channel patterns.

const MAX_DEPTH = 1000;

export function globMatch(pattern: string, text: string, nocase = false): boolean {
  return match(pattern, 0, text, 0, nocase, 0);
}

function eq(a: string, b: string, nocase: boolean): boolean {
  return nocase ? a.toLowerCase() === b.toLowerCase() : a === b;
}

function match(p: string, pi: number, s: string, si: number, nocase: boolean, depth: number): boolean {
  // Patterns like "a*a*a*...b" are exponential; Redis bounds the recursion the same way.
  if (depth > MAX_DEPTH) return false;
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === '*') {
      while (p[pi + 1] === '*') pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= s.length; k++) if (match(p, pi + 1, s, k, nocase, depth + 1)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === '?') {
      pi++;
      si++;
      continue;
    }
    if (c === '[') {
      const r = matchClass(p, pi + 1, s[si]!, nocase);
      if (!r.matched) return false;
      pi = r.next;
      si++;
      continue;
    }
    if (c === '\\' && pi + 1 < p.length) pi++;
    if (!eq(p[pi]!, s[si]!, nocase)) return false;
    pi++;
    si++;
  }
  return si === s.length;
}

function matchClass(p: string, pi: number, ch: string, nocase: boolean): { matched: boolean; next: number } {
  const not = p[pi] === '^';
  if (not) pi++;
  let matched = false;
  for (;;) {
    if (pi >= p.length) {
      // An unterminated class: Redis treats the end of the pattern as its end.
      return { matched: matched !== not, next: pi };
    }
    const c = p[pi]!;
    if (c === ']') break;
    if (c === '\\' && pi + 1 < p.length) {
      pi++;
      if (eq(p[pi]!, ch, nocase)) matched = true;
    } else if (pi + 2 < p.length && p[pi + 1] === '-' && p[pi + 2] !== ']') {
      let lo = p[pi]!;
      let hi = p[pi + 2]!;
      let x = ch;
      if (nocase) {
        lo = lo.toLowerCase();
        hi = hi.toLowerCase();
        x = x.toLowerCase();
      }
      if (lo > hi) [lo, hi] = [hi, lo];
      if (x >= lo && x <= hi) matched = true;
      pi += 2;
    } else if (eq(c, ch, nocase)) {
      matched = true;
    }
    pi++;
  }
  return { matched: matched !== not, next: pi + 1 };
}
