// Redis glob-style matching (util.c stringmatchlen): * ? [abc] [^a-z] and \ escapes, used by
// KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET and ACL key and channel patterns.

const MAX_DEPTH = 1000;

export function globMatch(pattern: string, text: string, nocase = false): boolean {
  return match(pattern, 0, text, 0, nocase, 0) === MATCH;
}

/** Outcomes of matching the rest of a pattern from a position in the text. */
const NO_MATCH = 0;
const MATCH = 1;
/**
 * No match from this position, nor from any later one (Redis's skipLongerMatches): an earlier
 * `*` then cannot help by swallowing more, so every enclosing `*` loop stops. Without this,
 * patterns like `*a*a*a*a*a*a*a*a*b` take exponential time (CVE-2022-36021 in Redis).
 */
const NEVER = 2;
type Outcome = typeof NO_MATCH | typeof MATCH | typeof NEVER;

function eq(a: string, b: string, nocase: boolean): boolean {
  return nocase ? a.toLowerCase() === b.toLowerCase() : a === b;
}

function match(p: string, pi: number, s: string, si: number, nocase: boolean, depth: number): Outcome {
  // Each `*` nests one call; Redis bounds the nesting the same way.
  if (depth > MAX_DEPTH) return NO_MATCH;
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === '*') {
      while (p[pi + 1] === '*') pi++;
      if (pi + 1 === p.length) return MATCH;
      for (let k = si; k < s.length; k++) {
        const r = match(p, pi + 1, s, k, nocase, depth + 1);
        if (r !== NO_MATCH) return r;
      }
      return NEVER;
    }
    if (si >= s.length) return NO_MATCH;
    if (c === '?') {
      pi++;
      si++;
      continue;
    }
    if (c === '[') {
      const r = matchClass(p, pi + 1, s[si]!, nocase);
      if (!r.matched) return NO_MATCH;
      pi = r.next;
      si++;
      continue;
    }
    if (c === '\\' && pi + 1 < p.length) pi++;
    if (!eq(p[pi]!, s[si]!, nocase)) return NO_MATCH;
    pi++;
    si++;
  }
  return si === s.length ? MATCH : NO_MATCH;
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
