// The kinds of CONFIG GET/SET parameters, each read and checked as Redis reads and checks it
// (config.c's INTEGER_CONFIG, MEMORY_CONFIG, enums, booleans, strings), with Redis's error texts.

/** A checked value, ready to apply; applying fails only when the server cannot act on it. */
export type Parsed = { readonly error: string } | { readonly apply: () => string | null };

export interface Param {
  get(): string;
  /** Checks a value without applying it (CONFIG SET checks every pair before applying any); absent when CONFIG SET refuses the parameter. */
  parse?(value: string): Parsed;
  /**
   * Refused as Redis refuses a PROTECTED_CONFIG while enable-protected-configs is `no` (fixed
   * in Depot), rather than as an immutable one.
   */
  readonly protected?: true;
}

export const INT_MAX = 2_147_483_647n;
export const UINT_MAX = 4_294_967_295n;
export const LLONG_MAX = 9_223_372_036_854_775_807n;
export const ULLONG_MAX = 18_446_744_073_709_551_615n;
const MEMORY_UNITS: Readonly<Record<string, bigint>> = { '': 1n, b: 1n, k: 1000n, kb: 1024n, m: 1_000_000n, mb: 1024n ** 2n, g: 1_000_000_000n, gb: 1024n ** 3n };

export function between(n: bigint, min: bigint, max: bigint): string | null {
  return n < min || n > max ? `argument must be between ${min} and ${max} inclusive` : null;
}

/**
 * A size as redis.conf and CONFIG SET write one (util.c's memtoull): digits with an optional
 * unit (b, k, kb, m, mb, g, gb; any case), or null. As in Redis, no digits read as 0 ("", "kb"),
 * more than 127 digits are refused, digits beyond 2^64-1 saturate (strtoull) and the unit's
 * product wraps at 2^64 (unsigned long long).
 */
export function parseMemory(v: string): bigint | null {
  const m = /^([0-9]*)([a-z]*)$/i.exec(v);
  const mult = m === null ? undefined : MEMORY_UNITS[m[2]!.toLowerCase()];
  if (m === null || mult === undefined || m[1]!.length > 127) return null;
  const raw = m[1] === '' ? 0n : BigInt(m[1]!);
  return ((raw > ULLONG_MAX ? ULLONG_MAX : raw) * mult) % (ULLONG_MAX + 1n);
}

/** A value of an integer parameter (Redis's INTEGER_CONFIG: a plain base-10 long long, no units) in its range, or Redis's error. */
export function parseInteger(v: string, min: bigint, max: bigint): bigint | { readonly error: string } {
  if (!/^-?[0-9]+$/.test(v) || BigInt(v) > LLONG_MAX || BigInt(v) < -LLONG_MAX - 1n) return { error: "argument couldn't be parsed into an integer" };
  const n = BigInt(v);
  const error = between(n, min, max);
  return error !== null ? { error } : n;
}

/** An integer parameter. */
export function intParam(get: () => number, apply: (n: number) => void, min: bigint, max: bigint): Param {
  let exact: bigint | null = null;
  return {
    get: () => exactText(exact, get()),
    parse: (v) => {
      const n = parseInteger(v, min, max);
      return typeof n !== 'bigint' ? n : { apply: () => ((exact = n), apply(Number(n)), null) };
    },
  };
}

/**
 * The text of a number as it was set. Above 2^53 (LLONG_MAX, say) the number in use is not
 * exact, and CONFIG GET (and the rollback of a failed CONFIG SET, which parses it again) must
 * read it back unchanged.
 */
function exactText(exact: bigint | null, current: number): string {
  return (exact !== null && Number(exact) === current ? exact : BigInt(current)).toString();
}

/** A memory parameter (Redis's MEMORY_CONFIG): a size as `parseMemory` reads it. */
export function memoryParam(get: () => number, apply: (n: number) => void, min: bigint, max: bigint): Param {
  let exact: bigint | null = null;
  return {
    get: () => exactText(exact, get()),
    parse: (v) => {
      const n = parseMemory(v);
      if (n === null) return { error: 'argument must be a memory value' };
      const error = between(n, min, max);
      if (error !== null) return { error };
      return {
        apply: () => {
          exact = n;
          apply(Number(n));
          return null;
        },
      };
    },
  };
}

export function enumParam(get: () => string, choices: readonly string[], apply: (choice: string) => string | null): Param {
  return {
    get,
    parse: (v) => {
      const choice = v.toLowerCase();
      if (!choices.includes(choice)) return { error: `argument(s) must be one of the following: ${choices.join(', ')}` };
      return { apply: () => apply(choice) };
    },
  };
}

/** A yes/no parameter, with Redis's text for anything else. */
export function boolParam(get: () => boolean, apply: (on: boolean) => string | null): Param {
  return {
    get: () => (get() ? 'yes' : 'no'),
    parse: (v) => {
      const choice = v.toLowerCase();
      if (choice !== 'yes' && choice !== 'no') return { error: "argument must be 'yes' or 'no'" };
      return { apply: () => apply(choice === 'yes') };
    },
  };
}

/** A parameter Depot only remembers, checked as Redis checks it. */
export function storedInt(initial: number, min: bigint, max: bigint): Param {
  let v = initial;
  return intParam(() => v, (n) => (v = n), min, max);
}

export function storedBool(initial: boolean): Param {
  let v = initial;
  return boolParam(() => v, (on) => ((v = on), null));
}

export function storedEnum(initial: string, choices: readonly string[]): Param {
  let v = initial;
  return enumParam(() => v, choices, (choice) => ((v = choice), null));
}

export function storedMemory(initial: number, min: bigint, max: bigint): Param {
  let v = initial;
  return memoryParam(() => v, (n) => (v = n), min, max);
}

/** A string parameter that takes any value (an address, a file name, a password). */
export function storedString(initial: string): Param {
  let v = initial;
  return { get: () => v, parse: (text) => ({ apply: () => ((v = text), null) }) };
}

/** Fixed at startup in Redis: CONFIG SET refuses it. */
export function immutable(value: string): Param {
  return { get: () => value };
}

/** A parameter Redis 7 lets CONFIG SET change only with enable-protected-configs (`dir`, `dbfilename`). */
export function protectedParam(value: string): Param {
  return { get: () => value, protected: true };
}

/** The client classes of client-output-buffer-limit (`replica` is `slave`'s other name). */
export type OutputBufferClass = 'normal' | 'slave' | 'pubsub';
/** A class's hard limit and soft limit in bytes (0: none) and the seconds the soft one may be passed. */
export type OutputBufferLimit = readonly [hard: bigint, soft: bigint, softSeconds: bigint];

const BUFFER_CLASSES: Readonly<Record<string, OutputBufferClass>> = { normal: 'normal', slave: 'slave', replica: 'slave', pubsub: 'pubsub' };

/**
 * client-output-buffer-limit: "<class> <hard> <soft> <soft seconds>" for any of the classes;
 * the ones not named keep their limits, and CONFIG GET prints all three in bytes.
 */
export function outputBufferLimitParam(
  get: () => Readonly<Record<OutputBufferClass, OutputBufferLimit>>,
  set: (limits: Readonly<Record<OutputBufferClass, OutputBufferLimit>>) => void,
): Param {
  return {
    get: () => (['normal', 'slave', 'pubsub'] as const).map((cls) => `${cls} ${get()[cls].join(' ')}`).join(' '),
    parse: (text) => {
      const args = text.split(/\s+/).filter((a) => a !== '');
      if (args.length % 4 !== 0) return { error: 'Wrong number of arguments in buffer limit configuration.' };
      const changes: Array<[OutputBufferClass, OutputBufferLimit]> = [];
      for (let i = 0; i < args.length; i += 4) {
        const cls = BUFFER_CLASSES[args[i]!.toLowerCase()];
        if (cls === undefined) return { error: 'Invalid client class specified in buffer limit configuration.' };
        const values = args.slice(i + 1, i + 4).map(parseMemory);
        if (values.some((n) => n === null)) return { error: 'Error in hard, soft or soft_seconds setting in buffer limit configuration.' };
        changes.push([cls, values as unknown as OutputBufferLimit]);
      }
      return { apply: () => (set({ ...get(), ...Object.fromEntries(changes) }), null) };
    },
  };
}
