// PFSELFTEST (Redis's pfselftestCommand): this HyperLogLog implementation tested from the
// inside, as Redis tests its own. First the dense registers: 1,000 rounds of random 6-bit values
// written to all 16,384 of them and read back against a plain byte array (registers share bytes,
// so a write that spilled into a neighbour shows). Then the estimate: 10,000,000 distinct
// elements added both to a dense HyperLogLog and to one that starts sparse and is promoted on the
// way; at cardinalities 1, 10, 100, ... the second must still be sparse while the cardinality is
// below half of hll-sparse-max-bytes, the two must estimate the same, and the error must stay
// within six standard errors (1.04 / sqrt(16384) of the cardinality; 1 at cardinality 10).
import { DENSE_BYTES, denseGet, denseSet, Hll, REGISTERS } from './hyperloglog.js';

const CYCLES = 1000;
const ELEMENTS = 10_000_000;
const REGISTER_VALUES = 64;
const RELATIVE_ERROR = 1.04 / Math.sqrt(REGISTERS);

/** Runs the test with `random` (uniform in [0, 1)): null when it passes, else Redis's TESTFAILED error. */
export function hllSelfTest(random: () => number, sparseMaxBytes: number): string | null {
  return registersTest(random) ?? estimateTest(random, sparseMaxBytes);
}

function registersTest(random: () => number): string | null {
  const bytes = new Uint8Array(DENSE_BYTES);
  const expected = new Uint8Array(REGISTERS);
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    for (let i = 0; i < REGISTERS; i++) {
      const r = Math.floor(random() * REGISTER_VALUES);
      expected[i] = r;
      denseSet(bytes, i, r);
    }
    for (let i = 0; i < REGISTERS; i++) {
      const v = denseGet(bytes, i);
      if (v !== expected[i]) return `ERR TESTFAILED Register ${i} should be ${expected[i]} but is ${v}`;
    }
  }
  return null;
}

function estimateTest(random: () => number, sparseMaxBytes: number): string | null {
  const dense = Hll.empty();
  dense.toDense();
  const sparse = Hll.empty();
  // The elements are the 8 bytes of j ^ seed, little-endian, as Redis hashes its uint64s; j stays
  // below 2^32, so the seed's high half is the same in every one.
  const seedLo = Math.floor(random() * 2 ** 32);
  const seedHi = Math.floor(random() * 2 ** 32);
  const h0 = seedHi & 0xff;
  const h1 = (seedHi >>> 8) & 0xff;
  const h2 = (seedHi >>> 16) & 0xff;
  const h3 = seedHi >>> 24;
  const sparseWhileBelow = Math.floor(sparseMaxBytes / 2);
  let checkpoint = 1;
  for (let j = 1; j <= ELEMENTS; j++) {
    const lo = (j ^ seedLo) >>> 0;
    const element = String.fromCharCode(lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, lo >>> 24, h0, h1, h2, h3);
    dense.add(element, sparseMaxBytes);
    sparse.add(element, sparseMaxBytes);
    if (j !== checkpoint) continue;
    if (j < sparseWhileBelow && sparse.dense) return 'ERR TESTFAILED sparse encoding not used';
    const card = dense.count();
    if (card === null || card !== sparse.count()) return 'ERR TESTFAILED dense/sparse disagree';
    // At cardinality 10 a collision is likely enough to fail the general bound now and then.
    const maxErr = j === 10 ? 1 : Math.ceil(RELATIVE_ERROR * 6 * checkpoint);
    const absErr = Math.abs(checkpoint - card);
    if (absErr > maxErr) return `ERR TESTFAILED Too big error. card:${checkpoint} abserr:${absErr}`;
    checkpoint *= 10;
  }
  return null;
}
