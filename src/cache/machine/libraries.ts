// The function libraries (FUNCTION LOAD): each library's name and its code, the whole of what
// Redis keeps of them (an RDB holds only the code). They are state like keys: changed by
// effects, in snapshots, untouched by FLUSHALL. Compiling them is the command layer's work
// (scripting/functions.ts), which follows `version` to know when to compile again.
export class Libraries {
  private readonly code = new Map<string, string>();
  /** Bumped by every change. */
  version = 0;

  get size(): number {
    return this.code.size;
  }

  get(name: string): string | undefined {
    return this.code.get(name);
  }

  entries(): IterableIterator<[string, string]> {
    return this.code.entries();
  }

  set(name: string, code: string): void {
    this.code.set(name, code);
    this.version++;
  }

  delete(name: string): boolean {
    if (!this.code.delete(name)) return false;
    this.version++;
    return true;
  }

  clear(): void {
    this.code.clear();
    this.version++;
  }

  /** Replaces every library (a restored snapshot). */
  replace(libraries: ReadonlyMap<string, string>): void {
    this.code.clear();
    for (const [name, code] of libraries) this.code.set(name, code);
    this.version++;
  }
}
