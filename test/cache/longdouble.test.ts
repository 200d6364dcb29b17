import { test } from 'node:test';
import assert from 'node:assert/strict';
import { incrByFloatText, timeoutMillis } from '../../src/cache/commands/longdouble.js';

test('INCRBYFLOAT arithmetic and formatting match Redis on x86-64 (80-bit long double)', () => {
  // Expected values are what Redis 7.0.15 replies (checked against redis-server).
  const cases: Array<[string, string, string]> = [
    ['0', '0.1', '0.1'],
    ['0.1', '0.2', '0.3'],
    ['10.5', '0.1', '10.6'],
    ['5.0e3', '2.0e2', '5200'],
    ['3', '-3', '0'],
    ['1', '-1.5', '-0.5'],
    ['0', '1e2', '100'],
    ['1.1', '2.2', '3.3'],
    ['123456789.123', '0.000001', '123456789.12300099999993108'],
    ['3.14159265358979', '2.71828182845904', '5.85987448204883'],
    // strtold's hexadecimal form, which Redis accepts too.
    ['0', '0x10', '16'],
    ['16', '0x1.8p1', '19'],
    ['19', '-0x.1', '18.9375'],
    ['0x1p-2', '0X.8', '0.75'],
  ];
  for (const [a, b, want] of cases) assert.equal(incrByFloatText(a, b), want, `${a} + ${b}`);
});

test('INCRBYFLOAT refuses what strtold refuses, and infinite results', () => {
  assert.equal(incrByFloatText('abc', '1'), 'value');
  assert.equal(incrByFloatText('1', ' 1'), 'increment');
  assert.equal(incrByFloatText('1', '1x'), 'increment');
  assert.equal(incrByFloatText('1', ''), 'increment');
  assert.equal(incrByFloatText('1', 'nan'), 'increment');
  assert.equal(incrByFloatText('1', 'inf'), 'nan');
  assert.equal(incrByFloatText('1e4932', '1e4932'), 'nan');
  for (const bad of ['0x', '0x.', '0xg', '0x1p', '0x1p+', ' 0x1', '0x1 ']) assert.equal(incrByFloatText('1', bad), 'increment', bad);
});

test('blocking timeouts become milliseconds as Redis computes them (ceill of seconds x 1000)', () => {
  // Each was checked against redis-server 7.0.15 with BLPOP on a missing key: 0 blocks forever,
  // 'negative' is "timeout is negative", 'float' is "timeout is not a float or out of range".
  const cases: Array<[string, number | 'float' | 'negative']> = [
    ['0', 0],
    ['2.5', 2500],
    ['0x10', 16000],
    ['0.0004', 1], // a positive fraction of a millisecond still times out
    ['0.0015', 2],
    ['1e-400', 1], // below a double's range, not a long double's
    ['0x1p-20', 1],
    ['-0.0004', 0], // ceill(-0.4) is -0: Redis blocks forever
    ['-0.001', 0], // 0.001 as a long double, times 1000, is just above -1
    ['-0.0011', 'negative'],
    ['inf', 'negative'], // the x86 cast of an infinity is LLONG_MIN
    ['-inf', 'negative'],
    ['1e20', 'negative'],
    ['9223372036854775.808', 'negative'],
    ['nan', 'float'],
    ['1e5000', 'float'],
    [' 1', 'float'],
    ['', 'float'],
  ];
  for (const [text, want] of cases) assert.equal(timeoutMillis(text), want, text);
});
