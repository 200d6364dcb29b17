// HyperLogLog commands (Redis's hyperloglog.c): PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST, over
// string values in Redis's layout (../hyperloglog.ts). A change is logged as the bytes it changed
// (SETRANGEs of the cached cardinality and of the registers a few elements raised), or as the
// whole value when its length changed (a sparse value grew, or became dense), so that adding an
// element to a 12 KB dense value does not put 12 KB in the log.
import { countRegisters, Hll, REGISTERS } from '../hyperloglog.js';
import { hllSelfTest } from '../hyperloglog-selftest.js';
import type { CommandSpec, Ctx } from './context.js';
import { fail } from './reply-error.js';
import { command, family, NO_KEYS, ONE_KEY } from './spec.js';

const NOT_HLL = 'WRONGTYPE Key is not a valid HyperLogLog string value.';
const CORRUPT = 'INVALIDOBJ Corrupted HLL object detected';

/** The HyperLogLog at `key` (read where it is stored), undefined when missing; fails on another type or a string that is not one. */
function read(c: Ctx, key: string): Hll | undefined {
  const v = c.getStored(key);
  if (v === undefined) return undefined;
  const h = Hll.parse(c.bytes(v));
  if (h === null) fail(NOT_HLL);
  return h;
}

/** Logs what changed in `h`, the value of `key` (a new key unless `existed`). */
function save(c: Ctx, key: string, existed: boolean, h: Hll): void {
  const { card, body } = h.changes;
  if (!existed || body === null) return c.fx.set(c.db, key, h.toString(), 0, existed);
  if (card) c.fx.setrange(c.db, key, 8, h.bytes(8, 16));
  if (body.from < body.to) c.fx.setrange(c.db, key, body.from, h.bytes(body.from, body.to));
}

function pfadd(c: Ctx): void {
  const key = c.argv[1]!;
  const found = read(c, key);
  const h = found ?? Hll.empty();
  let updated = found === undefined;
  const sparseMax = c.server.hllSparseMaxBytes;
  for (let i = 2; i < c.argv.length; i++) {
    const r = h.add(c.argv[i]!, sparseMax);
    if (r < 0) fail(CORRUPT);
    if (r > 0) updated = true;
  }
  if (updated) {
    h.invalidate();
    save(c, key, found !== undefined, h);
    c.notify('$', 'pfadd', key);
  }
  c.out.int(updated ? 1 : 0);
}

/**
 * One key: its cached cardinality, computed and cached first when stale (a write, as in Redis,
 * which counts PFCOUNT as read-only but propagates the cache). Several: the estimate for their
 * union, nothing cached.
 */
function pfcount(c: Ctx): void {
  if (c.argv.length > 2) {
    const max = new Uint8Array(REGISTERS);
    for (let i = 1; i < c.argv.length; i++) {
      const h = read(c, c.argv[i]!);
      if (h !== undefined && !h.mergeInto(max)) fail(CORRUPT);
    }
    return c.out.int(countRegisters(max));
  }
  const key = c.argv[1]!;
  const h = read(c, key);
  if (h === undefined) return c.out.int(0);
  let card = h.cached;
  if (card === null) {
    card = h.count();
    if (card === null) fail(CORRUPT);
    h.cache(card);
    save(c, key, true, h);
  }
  c.out.int(card);
}

/** Merges the sources' registers into the destination (a source itself), which becomes dense if any of them is. */
function pfmerge(c: Ctx): void {
  const key = c.argv[1]!;
  const max = new Uint8Array(REGISTERS);
  let dense = false;
  let found: Hll | undefined;
  for (let i = 1; i < c.argv.length; i++) {
    // Read lookups of every key (the destination too), as Redis's PFMERGE does.
    const h = c.looking('read', () => read(c, c.argv[i]!));
    if (h === undefined) continue;
    if (i === 1) found = h;
    if (h.dense) dense = true;
    if (!h.mergeInto(max)) fail(CORRUPT);
  }
  const dest = found ?? Hll.empty();
  if (dense && !dest.toDense()) fail(CORRUPT);
  const sparseMax = c.server.hllSparseMaxBytes;
  for (let j = 0; j < REGISTERS; j++) {
    // The destination was checked by its merge above: a set cannot find it corrupt.
    if (max[j] !== 0 && dest.set(j, max[j]!, sparseMax) < 0) fail(CORRUPT);
  }
  dest.invalidate();
  // Redis looks the destination up again to write it, changed or not: another access.
  c.lookup(key);
  save(c, key, found !== undefined, dest);
  c.notify('$', 'pfadd', key);
  c.out.ok();
}

/** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key: Redis's introspection of the representation. */
function pfdebug(c: Ctx): void {
  const sub = c.argv[1]!;
  const key = c.argv[2]!;
  const h = read(c, key);
  if (h === undefined) fail('ERR The specified key does not exist');
  switch (sub.toLowerCase()) {
    case 'getreg': {
      if (!h.dense) {
        if (!h.toDense()) fail(CORRUPT);
        save(c, key, true, h);
      }
      const regs = h.registers();
      c.out.array(regs.length);
      for (const r of regs) c.out.int(r);
      return;
    }
    case 'decode':
      if (h.dense) fail('ERR HLL encoding is not sparse');
      return c.out.bulk(h.decode());
    case 'encoding':
      return c.out.simple(h.dense ? 'dense' : 'sparse');
    case 'todense': {
      const converted = !h.dense;
      if (converted) {
        if (!h.toDense()) fail(CORRUPT);
        save(c, key, true, h);
      }
      return c.out.int(converted ? 1 : 0);
    }
    default:
      fail(`ERR Unknown PFDEBUG subcommand '${sub}'`);
  }
}

/** PFSELFTEST: ../hyperloglog-selftest.ts, which takes about a second (Redis's own takes 0.4 s). */
function pfselftest(c: Ctx): void {
  const failure = hllSelfTest(c.random, c.server.hllSparseMaxBytes);
  if (failure !== null) fail(failure);
  c.out.ok();
}

export const hyperloglogCommands: CommandSpec[] = family('hyperloglog', [
  command('pfadd', -2, 'write denyoom fast', ONE_KEY, '@write @hyperloglog @fast', 'Adds elements to a HyperLogLog key, creating it if needed.', pfadd),
  command('pfcount', -2, 'readonly', [1, -1, 1], '@read @hyperloglog @slow', 'Returns the approximated cardinality of the union of HyperLogLog keys.', pfcount),
  command('pfmerge', -2, 'write denyoom', [1, -1, 1], '@write @hyperloglog @slow', 'Merges HyperLogLog keys into one.', pfmerge),
  command('pfdebug', 3, 'write denyoom admin', [2, 2, 1], '@write @hyperloglog @admin @slow @dangerous', 'Internal commands for debugging HyperLogLog values.', pfdebug),
  command('pfselftest', 1, 'admin', NO_KEYS, '@hyperloglog @admin @slow @dangerous', "Tests the HyperLogLog implementation's registers and estimates.", pfselftest),
]);
