#!/usr/bin/env -S node --max-semi-space-size=64 --expose-gc
// The node flags above are part of how Depot runs (test/helpers/depot-process.ts starts nodes
// with the same ones). A young generation of up to 3 x 64 MiB instead of V8's 3 x 16 MiB: values
// stored by the cache are born young and survive, so a small young generation copies most of
// them twice and scavenges every few MiB; a larger one lets more overwritten values die before
// they are copied. 1 KiB SET at -P 16: about a quarter less server CPU (docs/benchmarks.md).
// --expose-gc: near the heap's cap the cache collects before it refuses writes
// (src/cache/heap-guard.ts), so that garbage does not refuse them.
import '../dist/src/cli/main.js';
