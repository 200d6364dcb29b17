// A fault-injecting file layer for the log: wraps the real one and makes chosen operations
// fail with a chosen errno, or hang until healed, for the cases a real filesystem cannot be
// arranged to produce.
import { type FileSystem, nodeFileSystem } from '../../src/log/file-system.js';

type Op = keyof FileSystem;

export class FaultyFileSystem {
  private fault: { code: string; ops: ReadonlySet<Op> } | undefined;
  readonly fs: FileSystem;

  constructor(base: FileSystem = nodeFileSystem) {
    const wrapped = {} as Record<Op, unknown>;
    for (const op of Object.keys(base) as Op[]) {
      const fn = base[op] as (...args: unknown[]) => unknown;
      wrapped[op] = (...args: unknown[]) => {
        if (this.hung?.has(op) === true && !op.endsWith('Sync')) {
          // Held until heal(), then done as asked: a disk that stops answering, not one that fails.
          return new Promise((resolve) => this.held.push(resolve)).then(() => fn.apply(base, args));
        }
        const f = this.fault;
        if (f !== undefined && f.ops.has(op)) {
          const err = Object.assign(new Error(`${f.code}: injected fault in ${op}`), { code: f.code });
          if (op.endsWith('Sync')) throw err;
          return Promise.reject(err);
        }
        return fn.apply(base, args);
      };
    }
    this.fs = wrapped as unknown as FileSystem;
  }

  private hung: ReadonlySet<Op> | undefined;
  private held: Array<(v: undefined) => void> = [];

  /** Makes the asynchronous `ops` wait until `heal()` (a disk that hangs). */
  hang(ops: Op[]): void {
    this.hung = new Set(ops);
  }

  /** Makes `ops` fail with `code` until `heal()`. */
  failWith(code: string, ops: Op[]): void {
    this.fault = { code, ops: new Set(ops) };
  }

  heal(): void {
    this.fault = undefined;
    this.hung = undefined;
    for (const release of this.held.splice(0)) release(undefined);
  }
}
