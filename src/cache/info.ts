// INFO: the sections and fields clients and tools read (ioredis waits while `loading:1`;
// monitoring reads used_memory, connected_clients, keyspace lines, cmdstat_ and errorstat_
// lines, ...). Sections as Redis 7 has them: server, clients, memory, persistence, stats,
// replication, cpu, modules, errorstats, cluster and keyspace by default; commandstats and
// latencystats too with "all" or "everything".
import { arch, platform, release, totalmem } from 'node:os';
import { REDIS_VERSION } from './commands/connection.js';
import type { CacheService } from './service.js';

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace'];
/** Every section, in the order Redis prints them whatever the order asked. */
const ALL_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'commandstats', 'errorstats', 'latencystats', 'cluster', 'keyspace'];
/** Other names Redis 7.0 takes for a section. */
const ALIASES: Readonly<Record<string, string>> = { module_list: 'modules' };
/** Section titles that are not the name capitalised. */
const TITLES: Readonly<Record<string, string>> = { cpu: 'CPU' };
const DEPOT_VERSION = '0.1.0';

function human(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${bytes}B` : `${v.toFixed(2)}${units[i]}`;
}

function server(s: CacheService, now: number): string[] {
  const uptime = Math.floor((now - s.startedAt) / 1000);
  return [
    `redis_version:${REDIS_VERSION}`,
    `depot_version:${DEPOT_VERSION}`,
    'redis_git_sha1:00000000',
    'redis_git_dirty:0',
    'redis_build_id:0000000000000000',
    'redis_mode:standalone',
    `os:${platform()} ${release()} ${arch()}`,
    'arch_bits:64',
    // Node's clocks are clock_gettime's; Depot is not built by GCC, which Redis shows as 0.0.0.
    'monotonic_clock:POSIX clock_gettime',
    'multiplexing_api:epoll',
    'atomicvar_api:c11-builtin',
    'gcc_version:0.0.0',
    `process_id:${process.pid}`,
    `node_version:${process.versions.node}`,
    'process_supervised:no',
    `run_id:${s.runId}`,
    `tcp_port:${s.port}`,
    `server_time_usec:${now * 1000}`,
    `uptime_in_seconds:${uptime}`,
    `uptime_in_days:${Math.floor(uptime / 86400)}`,
    `hz:${s.settings.hz}`,
    `configured_hz:${s.settings.hz}`,
    // Redis's LRU clock: seconds, in 24 bits.
    `lru_clock:${Math.floor(now / 1000) & 0xffffff}`,
    'executable:depot',
    'config_file:',
    'io_threads_active:0',
  ];
}

/**
 * Redis 7.0's fields, and `pubsub_clients` (Redis 7.2's). The largest buffers are those of the
 * connections now, where Redis keeps the largest of the last few seconds.
 */
function clients(s: CacheService): string[] {
  let pubsub = 0;
  let maxInput = 0;
  let maxOutput = 0;
  let withTimeout = 0;
  for (const c of s.clients()) {
    if (c.subscribed) pubsub++;
    maxInput = Math.max(maxInput, c.sink.queryBufferBytes);
    maxOutput = Math.max(maxOutput, c.sink.outputBytes);
    if (c.blocked !== null && c.blocked.deadline !== 0) withTimeout++;
  }
  return [
    `connected_clients:${s.clientCount}`,
    'cluster_connections:0',
    `maxclients:${s.settings.maxclients}`,
    `client_recent_max_input_buffer:${maxInput}`,
    `client_recent_max_output_buffer:${maxOutput}`,
    `blocked_clients:${s.blockedCount}`,
    `pubsub_clients:${pubsub}`,
    `tracking_clients:${s.tracking.clients}`,
    `clients_in_timeout_table:${withTimeout}`,
  ];
}

/** Redis 7.0's fields in its order (memory-report.ts says what each means in Depot), and Depot's own. */
function memory(s: CacheService): string[] {
  const r = s.memoryReport();
  const lua = s.scripts.memoryBytes;
  const vmFunctions = s.functions.memoryBytes;
  const scriptBytes = s.scripts.cacheBytes + s.functions.codeBytes;
  return [
    `used_memory:${r.used}`,
    `used_memory_human:${human(r.used)}`,
    `used_memory_rss:${r.rss}`,
    `used_memory_rss_human:${human(r.rss)}`,
    `used_memory_peak:${r.peak}`,
    `used_memory_peak_human:${human(r.peak)}`,
    `used_memory_peak_perc:${r.peakPercent.toFixed(2)}%`,
    `used_memory_overhead:${r.overhead}`,
    `used_memory_startup:${r.startup}`,
    // What maxmemory counts: the keys' estimated heap bytes plus long values' blocks (machine/memory.ts).
    `used_memory_dataset:${r.dataset}`,
    `used_memory_dataset_perc:${r.datasetPercent.toFixed(2)}%`,
    // Long values live outside the JS heap (docs/cache.md, "Long values"): in use, and reserved.
    `used_memory_blobs:${s.blobMemory.used}`,
    `blobs_reserved:${s.blobMemory.reserved}`,
    // The JS heap's cap, and whether writes are refused for nearing it (heap-guard.ts).
    `depot_heap_limit:${s.heapGuard.limit}`,
    `depot_heap_full:${s.heapGuard.full ? 1 : 0}`,
    `allocator_allocated:${r.allocated}`,
    `allocator_active:${r.active}`,
    `allocator_resident:${r.resident}`,
    `total_system_memory:${totalmem()}`,
    `total_system_memory_human:${human(totalmem())}`,
    // The Lua states of EVAL's scripts and of the function libraries (in WebAssembly memory, outside the JS heap).
    `used_memory_lua:${lua}`,
    `used_memory_vm_eval:${lua}`,
    `used_memory_lua_human:${human(lua)}`,
    `used_memory_scripts_eval:${s.scripts.cacheBytes}`,
    `number_of_cached_scripts:${s.scripts.count}`,
    `number_of_functions:${s.functions.functionCount}`,
    `number_of_libraries:${s.functions.libraryCount}`,
    `used_memory_vm_functions:${vmFunctions}`,
    `used_memory_vm_total:${lua + vmFunctions}`,
    `used_memory_vm_total_human:${human(lua + vmFunctions)}`,
    `used_memory_functions:${s.functions.codeBytes}`,
    `used_memory_scripts:${scriptBytes}`,
    `used_memory_scripts_human:${human(scriptBytes)}`,
    `maxmemory:${s.settings.maxmemory}`,
    `maxmemory_human:${human(s.settings.maxmemory)}`,
    `maxmemory_policy:${s.settings.maxmemoryPolicy}`,
    `allocator_frag_ratio:${ratio(r.active, r.allocated)}`,
    `allocator_frag_bytes:${r.active - r.allocated}`,
    `allocator_rss_ratio:${ratio(r.resident, r.active)}`,
    `allocator_rss_bytes:${r.resident - r.active}`,
    'rss_overhead_ratio:1.00',
    'rss_overhead_bytes:0',
    `mem_fragmentation_ratio:${r.fragmentation.toFixed(2)}`,
    `mem_fragmentation_bytes:${r.fragmentationBytes}`,
    'mem_not_counted_for_evict:0',
    'mem_replication_backlog:0',
    'mem_total_replication_buffers:0',
    'mem_clients_slaves:0',
    `mem_clients_normal:${r.clients}`,
    'mem_cluster_links:0',
    'mem_aof_buffer:0',
    'mem_allocator:v8',
    'active_defrag_running:0',
    'lazyfree_pending_objects:0',
    'lazyfreed_objects:0',
  ];
}

function ratio(a: number, b: number): string {
  return (b === 0 ? 0 : a / b).toFixed(2);
}

/**
 * Redis 7.0's fields. Depot forks no child (a snapshot is written by the event loop in slices),
 * so the copy-on-write and fork fields are 0; SAVE/BGSAVE and BGREWRITEAOF are saves.ts's.
 */
function persistence(s: CacheService): string[] {
  const { rdb, aof } = s.saves;
  const lines = [
    `loading:${s.loading ? 1 : 0}`,
    'async_loading:0',
    'current_cow_peak:0',
    'current_cow_size:0',
    'current_cow_size_age:0',
    'current_fork_perc:0.00',
    'current_save_keys_processed:0',
    'current_save_keys_total:0',
    `rdb_changes_since_last_save:${s.machine.ks.changes - s.machine.ks.changesAtSnapshot}`,
    `rdb_bgsave_in_progress:${rdb.running ? 1 : 0}`,
    `rdb_last_save_time:${s.saves.lastSave}`,
    `rdb_last_bgsave_status:${rdb.lastOk ? 'ok' : 'err'}`,
    `rdb_last_bgsave_time_sec:${rdb.lastSeconds}`,
    `rdb_current_bgsave_time_sec:${rdb.currentSeconds()}`,
    `rdb_saves:${rdb.count}`,
    'rdb_last_cow_size:0',
    'rdb_last_load_keys_expired:0',
    `rdb_last_load_keys_loaded:${s.keysLoaded}`,
    `aof_enabled:${s.settings.appendonly ? 1 : 0}`,
    `aof_rewrite_in_progress:${aof.running ? 1 : 0}`,
    `aof_rewrite_scheduled:${aof.scheduled ? 1 : 0}`,
    `aof_last_rewrite_time_sec:${aof.lastSeconds}`,
    `aof_current_rewrite_time_sec:${aof.currentSeconds()}`,
    `aof_last_bgrewrite_status:${aof.lastOk ? 'ok' : 'err'}`,
    `aof_rewrites:${aof.count}`,
    `aof_rewrites_consecutive_failures:${aof.consecutiveFailures}`,
    `aof_last_write_status:${s.writeFailure === null ? 'ok' : 'err'}`,
    // Depot's own: the journal's fsync policy (CONFIG GET appendfsync).
    `aof_fsync:${s.settings.appendfsync}`,
    'aof_last_cow_size:0',
    'module_fork_in_progress:0',
    'module_fork_last_cow_size:0',
  ];
  if (!s.settings.appendonly) return lines;
  // The journal's base is the last snapshot, its current size that plus the log applied since.
  const sizes = s.journalSizes();
  return [
    ...lines,
    `aof_current_size:${sizes.snapshotBytes + sizes.logBytes}`,
    `aof_base_size:${sizes.snapshotBytes}`,
    `aof_pending_rewrite:${aof.scheduled ? 1 : 0}`,
    'aof_buffer_length:0',
    'aof_pending_bio_fsync:0',
    'aof_delayed_fsync:0',
  ];
}

/**
 * Redis 7.0's fields in its order, and Depot's own. Replication (Redis's, not the raft group's),
 * forks, defragmentation, I/O threads and payload sanitization do not happen here, and the
 * expiry cycle and eviction keep no time budget: their counters are 0.
 */
function stats(s: CacheService): string[] {
  const st = s.stats;
  const commit = s.commitState;
  const kbps = (bytesPerSecond: number) => (bytesPerSecond / 1024).toFixed(2);
  return [
    `total_connections_received:${st.totalConnections}`,
    `total_commands_processed:${st.totalCommands}`,
    `instantaneous_ops_per_sec:${Math.floor(s.instant.ops.perSecond)}`,
    `total_net_input_bytes:${st.netInputBytes}`,
    `total_net_output_bytes:${st.netOutputBytes}`,
    'total_net_repl_input_bytes:0',
    'total_net_repl_output_bytes:0',
    `instantaneous_input_kbps:${kbps(s.instant.netInput.perSecond)}`,
    `instantaneous_output_kbps:${kbps(s.instant.netOutput.perSecond)}`,
    'instantaneous_input_repl_kbps:0.00',
    'instantaneous_output_repl_kbps:0.00',
    `rejected_connections:${st.rejectedConnections}`,
    'sync_full:0',
    'sync_partial_ok:0',
    'sync_partial_err:0',
    `expired_keys:${st.expiredKeys}`,
    `expired_keys_active:${s.expiredByCycle}`,
    'expired_stale_perc:0.00',
    'expired_time_cap_reached_count:0',
    'expire_cycle_cpu_milliseconds:0',
    `evicted_keys:${st.evictedKeys}`,
    'evicted_clients:0',
    'total_eviction_exceeded_time:0',
    'current_eviction_exceeded_time:0',
    `keyspace_hits:${st.keyspaceHits}`,
    `keyspace_misses:${st.keyspaceMisses}`,
    `pubsub_channels:${s.channels(null).length}`,
    `pubsub_patterns:${s.patternCount}`,
    `pubsubshard_channels:${s.channels(null, true).length}`,
    `pubsub_messages_delivered:${st.pubsubMessages}`,
    'latest_fork_usec:0',
    'total_forks:0',
    `migrate_cached_sockets:${s.migrateCachedSockets}`,
    'slave_expires_tracked_keys:0',
    'active_defrag_hits:0',
    'active_defrag_misses:0',
    'active_defrag_key_hits:0',
    'active_defrag_key_misses:0',
    'total_active_defrag_time:0',
    'current_active_defrag_time:0',
    `tracking_total_keys:${s.tracking.keys}`,
    `tracking_total_items:${s.tracking.totalItems}`,
    `tracking_total_prefixes:${s.tracking.totalPrefixes}`,
    'unexpected_error_replies:0',
    `total_error_replies:${s.commandStats.totalErrorReplies}`,
    'dump_payload_sanitizations:0',
    `total_reads_processed:${st.readsProcessed}`,
    `total_writes_processed:${st.writesProcessed}`,
    'io_threaded_reads_processed:0',
    'io_threaded_writes_processed:0',
    'reply_buffer_shrinks:0',
    'reply_buffer_expands:0',
    `depot_log_index:${commit.lastIndex}`,
    `depot_proposals_in_flight:${commit.inFlight}`,
  ];
}

/** A master without replicas or backlog, as Redis 7.0 describes one (replication here is the raft group's). */
function replication(s: CacheService): string[] {
  return [
    'role:master',
    'connected_slaves:0',
    'master_failover_state:no-failover',
    `master_replid:${s.replicationId}`,
    'master_replid2:0000000000000000000000000000000000000000',
    'master_repl_offset:0',
    'second_repl_offset:-1',
    'repl_backlog_active:0',
    // CONFIG GET repl-backlog-size's: Redis shows the configured size even with no backlog.
    'repl_backlog_size:1048576',
    'repl_backlog_first_byte_offset:0',
    'repl_backlog_histlen:0',
  ];
}

function cpu(): string[] {
  const u = process.cpuUsage();
  const sys = (u.system / 1e6).toFixed(6);
  const user = (u.user / 1e6).toFixed(6);
  // No child processes: Depot does not fork. The main thread's figures are the process's, as
  // Node 20 does not give one thread's (most of the rest is the garbage collector's).
  return [`used_cpu_sys:${sys}`, `used_cpu_user:${user}`, 'used_cpu_sys_children:0.000000', 'used_cpu_user_children:0.000000', `used_cpu_sys_main_thread:${sys}`, `used_cpu_user_main_thread:${user}`];
}

function keyspace(s: CacheService, now: number): string[] {
  const lines: string[] = [];
  s.machine.ks.dbs.forEach((db, i) => {
    if (db.keys.size === 0) return;
    let ttlSum = 0;
    let ttlCount = 0;
    // avg_ttl from a bounded sample, as Redis estimates it.
    for (const at of db.expires.values()) {
      if (ttlCount >= 1000) break;
      if (at > now) {
        ttlSum += at - now;
        ttlCount++;
      }
    }
    lines.push(`db${i}:keys=${db.keys.size},expires=${db.expires.size},avg_ttl=${ttlCount === 0 ? 0 : Math.round(ttlSum / ttlCount)}`);
  });
  return lines;
}

/**
 * The sections asked for (lower-case), in Redis's order and each once (server.c's
 * genInfoSectionDict): `default` adds the default ones to the others named, `all` and
 * `everything` are every section; none asked is the default ones. Unknown names are left out.
 */
function sectionsOf(requested: readonly string[]): string[] {
  if (requested.length === 0) return DEFAULT_SECTIONS;
  if (requested.includes('all') || requested.includes('everything')) return ALL_SECTIONS;
  const wanted = new Set(requested.map((name) => ALIASES[name] ?? name));
  if (wanted.has('default')) for (const name of DEFAULT_SECTIONS) wanted.add(name);
  return ALL_SECTIONS.filter((name) => wanted.has(name));
}

export function buildInfo(s: CacheService, requested: readonly string[]): string {
  const now = Date.now();
  const blocks: string[] = [];
  for (const name of sectionsOf(requested)) {
    const title = TITLES[name] ?? name.charAt(0).toUpperCase() + name.slice(1);
    let lines: string[] | null = null;
    if (name === 'server') lines = server(s, now);
    else if (name === 'clients') lines = clients(s);
    else if (name === 'memory') lines = memory(s);
    else if (name === 'persistence') lines = persistence(s);
    else if (name === 'stats') lines = stats(s);
    else if (name === 'replication') lines = replication(s);
    else if (name === 'cpu') lines = cpu();
    else if (name === 'modules') lines = [];
    else if (name === 'commandstats') lines = s.commandStats.commandLines();
    else if (name === 'errorstats') lines = s.commandStats.errorLines();
    else if (name === 'latencystats') lines = s.commandStats.latencyLines(s.settings.latencyPercentiles);
    else if (name === 'cluster') lines = ['cluster_enabled:0'];
    else if (name === 'keyspace') lines = keyspace(s, now);
    if (lines !== null) blocks.push(`# ${title}\r\n${lines.map((l) => l + '\r\n').join('')}`);
  }
  return blocks.join('\r\n');
}
