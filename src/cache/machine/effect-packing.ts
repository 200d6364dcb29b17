// A turn's effects go into the journal LZ4-compressed when that pays (docs/cache.md, "Effects").
//
// A packed payload is   u8 0 | u32 LE length of the effects | LZ4 block
// (the length-prefixed block lz4-napi's `compressSync` writes). Effect records start with an op
// of at least 1, so a leading 0 tells the two forms apart and an unpacked payload is stored as
// it was built. The journal's bytes are what the page cache, the disk and a follower's link
// carry, and on the benchmark's VM every fresh page-cache page costs a host fault
// (docs/benchmarks.md, "What bounds the cache now"). Values repeated within a turn's batch (one
// value written to many keys, a key rewritten) compress across its records.
import { compressSync, uncompressSync } from 'lz4-napi';
import { DepotError } from '../../util/errors.js';

export const PACKED = 0;
/** Smaller payloads are stored as built: a native call for a few hundred bytes saves nothing. */
const MIN_PACK_BYTES = 4 * 1024;
/**
 * Larger payloads (a single command's big value) are stored as built: compressing 4 MiB takes a
 * few milliseconds of the event loop, and such a payload goes to the thread pool to be written.
 */
const MAX_PACK_BYTES = 4 * 1024 * 1024;
/** A payload over this size is first judged by compressing only its first SAMPLE_BYTES. */
const SAMPLE_ABOVE_BYTES = 64 * 1024;
const SAMPLE_BYTES = 16 * 1024;
/** After payloads that did not compress, this many at most are stored as built before the next try. */
const MAX_SKIP = 64;
/** The largest effects a packed payload may claim (the log's payload limit). */
const MAX_UNPACKED_BYTES = 1024 ** 3;

/** Kept only when it saves at least an eighth: a smaller saving is not worth decompressing at every replay. */
function pays(packed: number, raw: number): boolean {
  return packed <= raw - (raw >>> 3);
}

/**
 * Compresses the payloads of one encoder. Values that do not compress (random or already
 * compressed bytes) cost a try now and then: after a miss the next 1, 2, 4 ... 64 payloads are
 * stored as built, and a hit starts compressing every payload again.
 */
export class EffectPacker {
  private skip = 0;
  private skipped = 0;

  pack(raw: Buffer): Buffer {
    if (raw.length < MIN_PACK_BYTES || raw.length > MAX_PACK_BYTES) return raw;
    if (this.skipped < this.skip) {
      this.skipped++;
      return raw;
    }
    if (raw.length > SAMPLE_ABOVE_BYTES && !pays(compressSync(raw.subarray(0, SAMPLE_BYTES)).length, SAMPLE_BYTES)) return this.miss(raw);
    const block = compressSync(raw);
    if (!pays(block.length + 1, raw.length)) return this.miss(raw);
    this.skip = 0;
    this.skipped = 0;
    const out = Buffer.allocUnsafe(block.length + 1);
    out[0] = PACKED;
    block.copy(out, 1);
    return out;
  }

  private miss(raw: Buffer): Buffer {
    this.skip = Math.min(MAX_SKIP, this.skip * 2 || 1);
    this.skipped = 0;
    return raw;
  }
}

/** The effect records of a payload, packed or not; a malformed packed payload is CORRUPT_LOG. */
export function unpackEffects(payload: Buffer): Buffer {
  if (payload.length === 0 || payload[0] !== PACKED) return payload;
  const declared = packedLength(payload) ?? -1;
  if (declared <= 0 || declared > MAX_UNPACKED_BYTES) throw new DepotError('CORRUPT_LOG', `packed cache entry of ${payload.length} bytes claims ${declared} bytes of effects`);
  let effects: Buffer;
  try {
    effects = uncompressSync(payload.subarray(1));
  } catch (err) {
    throw new DepotError('CORRUPT_LOG', `packed cache entry does not decompress: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (effects.length !== declared) throw new DepotError('CORRUPT_LOG', `packed cache entry gave ${effects.length} bytes of effects, not ${declared}`);
  return effects;
}

/** The bytes of effects a payload holds (what counts towards a snapshot by size). */
export function effectBytes(payload: Buffer): number {
  return packedLength(payload) ?? payload.length;
}

/** The length of the effects a packed payload declares; null for a payload stored as built (or too short to declare one). */
function packedLength(payload: Buffer): number | null {
  return payload.length >= 5 && payload[0] === PACKED ? payload.readUInt32LE(1) : null;
}
