// The storage engine's public surface: the log, its secondary indexes and their building blocks.
export { Log, type LogPositions, type SegmentInfo } from './log.js';
export type { LogEntry } from './format.js';
export type { FlushPolicy, LogOptions } from './options.js';
export type { RetentionPolicy } from './retention.js';
export { type FileSystem, nodeFileSystem } from './file-system.js';
export { FdCache } from './fd-cache.js';
export { OffsetIndex, type OffsetIndexOptions, type OffsetRecord } from './offset-index.js';
export { HashIndex, type HashIndexOptions } from './hash-index.js';
export { catchUp } from './catch-up.js';
export { hash53, hashString } from './hash.js';
