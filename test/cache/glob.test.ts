// Glob matching (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET, ACL patterns) against a regular
// expression as the model, and the patterns that made Redis's matcher exponential.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { globMatch } from '../../src/cache/glob.js';

function model(pattern: string): RegExp {
  const body = [...pattern].map((ch) => (ch === '*' ? '[\\s\\S]*' : ch === '?' ? '[\\s\\S]' : ch)).join('');
  return new RegExp(`^${body}$`);
}

test('* and ? match as the regular expression does', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[ab*?]{0,9}$/), fc.stringMatching(/^[ab]{0,12}$/), (pattern, text) => {
      assert.equal(globMatch(pattern, text), model(pattern).test(text), `${pattern} on ${text}`);
    }),
    { numRuns: 5000 },
  );
});

test('classes, ranges, negation, escapes and nocase', () => {
  assert.equal(globMatch('h[ae]llo', 'hallo'), true);
  assert.equal(globMatch('h[^e]llo', 'hello'), false);
  assert.equal(globMatch('h[a-c]llo', 'hbllo'), true);
  assert.equal(globMatch('h[c-a]llo', 'hbllo'), true);
  assert.equal(globMatch('\\*', '*'), true);
  assert.equal(globMatch('\\*', 'x'), false);
  assert.equal(globMatch('MAX*', 'maxclients', true), true);
});

test('patterns with many stars that cannot match finish at once (CVE-2022-36021)', { timeout: 10_000 }, () => {
  // Exponential in the number of stars without the early stop: 8 stars took 2 s, 30 would not end.
  assert.equal(globMatch('*a'.repeat(30) + 'b', 'a'.repeat(60)), false);
  assert.equal(globMatch('*a'.repeat(30), 'a'.repeat(60)), true);
  assert.equal(globMatch('a*'.repeat(30) + 'b', 'a'.repeat(40) + 'b'), true);
});
