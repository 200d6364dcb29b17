// Garbage collector tuning of a node process. V8 sets the old generation's next limit at a small
// multiple of what is live after each full collection (about 1.1× for a heap of a few MiB). A
// node moving hundreds of MB/s of messages allocates steadily in the old space, so it ran a full
// (concurrent) marking every few MiB, and on a machine with few cores the marking threads took
// the cores the event loop needs: about a third of the CPU at full publish rate (docs/benchmarks.md).
// Letting the heap grow to 5× its live size cuts full collections about fourfold for a few tens
// of MiB. V8 reads this flag only when it computes the next limit, so setting it at startup is
// safe (unlike flags that change how many threads the collector uses).
import v8 from 'node:v8';

/** Heap growth after a full collection, in percent of the live size. */
const HEAP_GROWING_PERCENT = 400;

export function tuneGarbageCollector(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
