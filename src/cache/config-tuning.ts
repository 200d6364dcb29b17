// Redis parameters that do not apply in Depot (encoding thresholds of types Depot stores its
// own way, lazy freeing, replication, cluster, TLS, process management, ...): CONFIG GET lists
// them with redis-server 7.0's defaults and CONFIG SET checks and remembers them, so that tools
// and scripts that read or set them keep working. Each is checked as Redis checks it.
import {
  INT_MAX, LLONG_MAX, ULLONG_MAX, boolParam, immutable, memoryParam, parseInteger, parseMemory, storedBool, storedEnum, storedInt, storedMemory, storedString, type Param,
} from './config-params.js';

/** save: pairs of seconds (1 or more) and changes (0 or more), or "" for none; kept as Redis prints them. */
function saveParam(initial: string): Param {
  let v = initial;
  return {
    get: () => v,
    parse: (text) => {
      const args = text.split(/\s+/).filter((a) => a !== '');
      const nums = args.map((a) => (/^[+-]?[0-9]+$/.test(a) ? Number(a) : NaN));
      if (args.length % 2 === 1 || nums.some((n, i) => Number.isNaN(n) || n < (i % 2 === 0 ? 1 : 0))) return { error: 'Invalid save parameters' };
      return { apply: () => ((v = nums.join(' ')), null) };
    },
  };
}

/**
 * oom-score-adj-values: three integers from -2000 to 2000 (config.c's
 * setConfigOomScoreAdjValuesOption), printed as integers.
 */
function oomScoreAdjValuesParam(): Param {
  let v = '0 200 800';
  return {
    get: () => v,
    parse: (text) => {
      const args = text.split(' ').filter((a) => a !== '');
      if (args.length !== 3) return { error: 'wrong number of arguments' };
      const nums = args.map((a) => (/^[+-]?[0-9]+$/.test(a) ? Number(a) : NaN));
      if (nums.some((n) => !(n >= -2000 && n <= 2000))) return { error: 'Invalid oom-score-adj-values, elements must be between -2000 and 2000.' };
      return { apply: () => ((v = nums.map((n) => String(n + 0)).join(' ')), null) };
    },
  };
}

/**
 * maxmemory-clients: a size, or a percentage of maxmemory ("10%", 0 to 100). As in Redis, whose
 * value is signed, a size past 2^63-1 reads as a negative percentage ("1%" for 2^64-1).
 */
function maxmemoryClientsParam(): Param {
  let v = '0';
  return {
    get: () => v,
    parse: (text) => {
      let n: bigint | null;
      const percent = /^[0-9]+%$/.test(text) ? BigInt(text.slice(0, -1)) : null;
      if (percent !== null) n = -percent;
      else {
        n = parseMemory(text);
        if (n === null) return { error: 'argument must be a memory or percent value' };
        if (n > LLONG_MAX) n -= ULLONG_MAX + 1n;
      }
      if (n < -100n) return { error: 'percentage argument must be less or equal to 100' };
      const shown = n < 0n ? `${-n}%` : String(n);
      return { apply: () => ((v = shown), null) };
    },
  };
}

/** cluster-announce-hostname: letters, digits, hyphens and dots, or "" for none. */
function hostnameParam(): Param {
  let v = '';
  return {
    get: () => v,
    parse: (text) => (/^[A-Za-z0-9.-]*$/.test(text) ? { apply: () => ((v = text), null) } : { error: 'Hostnames may only contain alphanumeric characters, hyphens or dots' }),
  };
}

/** What proc-title-template's variables expand to here ({title} is left empty when Redis checks a template). */
const TITLE_VARIABLES: Readonly<Record<string, boolean>> = {
  title: false, 'listen-addr': true, 'server-mode': false, port: true, 'tls-port': true, unixsocket: false, 'config-file': false,
};

/**
 * proc-title-template (server.c's validateProcTitleTemplate, sds.c's sdstemplate): `{variable}`
 * among Redis's, `{{` for a brace, and something left once {title} and the variables that are
 * empty on a standalone server without a socket file or config file are expanded.
 */
function procTitleTemplateParam(): Param {
  let v = '{title} {listen-addr} {server-mode}';
  const valid = (text: string): boolean => {
    let shown = false;
    for (let i = 0; i < text.length; i++) {
      if (text[i] !== '{') shown = true;
      else if (text[i + 1] === '{') {
        shown = true;
        i++;
      } else {
        const end = text.indexOf('}', i);
        const name = end < 0 ? undefined : text.slice(i + 1, end);
        if (name === undefined || !(name in TITLE_VARIABLES)) return false;
        shown ||= TITLE_VARIABLES[name]!;
        i = end;
      }
    }
    return shown;
  };
  return {
    get: () => v,
    parse: (text) => (valid(text) ? { apply: () => ((v = text), null) } : { error: 'template format is invalid or contains unknown variables' }),
  };
}

/** Depot serves no TLS: turning it on fails as on a Redis whose TLS is not configured. */
const NO_TLS = 'Unable to update TLS configuration. Check server logs.';

/** tls-port: any port but 0 fails. */
function tlsPortParam(): Param {
  return {
    get: () => '0',
    parse: (text) => {
      const n = parseInteger(text, 0n, 65535n);
      if (typeof n !== 'bigint') return n;
      return { apply: () => (n === 0n ? null : NO_TLS) };
    },
  };
}

/** tls-cluster and tls-replication: `yes` fails. */
function tlsBoolParam(): Param {
  return boolParam(() => false, (on) => (on ? NO_TLS : null));
}

/** repl-backlog-size: at least 16 KiB, as Redis raises a smaller size (CONFIG_REPL_BACKLOG_MIN_SIZE). */
function replBacklogSizeParam(): Param {
  let v = 1048576;
  return memoryParam(() => v, (n) => (v = Math.max(n, 16 * 1024)), 1n, LLONG_MAX);
}

/** activedefrag: Depot has no defragmentation to turn on, as redis-server built without Redis's jemalloc has none. */
function activeDefragParam(): Param {
  return {
    get: () => 'no',
    parse: (text) => {
      const choice = text.toLowerCase();
      if (choice !== 'yes' && choice !== 'no') return { error: "argument must be 'yes' or 'no'" };
      if (choice === 'yes') {
        return { error: 'Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution' };
      }
      return { apply: () => null };
    },
  };
}

const bool = (names: readonly string[], initial: boolean): [readonly string[], Param] => [names, storedBool(initial)];
const int = (names: readonly string[], initial: number, min: bigint, max: bigint): [readonly string[], Param] => [names, storedInt(initial, min, max)];
const fixed = (names: readonly string[], value: string): [readonly string[], Param] => [names, immutable(value)];
const text = (names: readonly string[]): [readonly string[], Param] => [names, storedString('')];
const PORT = 65535n;

/**
 * The parameters, each under its names (Redis 7's, then the old `slave` ones it keeps as
 * aliases), with redis-server 7.0's defaults.
 */
export function tuningParams(): Array<[readonly string[], Param]> {
  return [
    // Booleans.
    ...([
      'lazyfree-lazy-eviction', 'lazyfree-lazy-expire', 'lazyfree-lazy-server-del', 'lazyfree-lazy-user-del', 'lazyfree-lazy-user-flush',
      'no-appendfsync-on-rewrite', 'protected-mode', 'aof-disable-auto-gc', 'aof-timestamp-enabled', 'cluster-allow-reads-when-down', 'rdb-del-sync-files',
      'repl-disable-tcp-nodelay', 'replica-ignore-disk-write-errors', 'tls-prefer-server-ciphers',
    ].map((name) => bool([name], false))),
    ...([
      'stop-writes-on-bgsave-error', 'rdbcompression', 'aof-use-rdb-preamble', 'repl-diskless-sync', 'aof-load-truncated', 'aof-rewrite-incremental-fsync',
      'cluster-allow-pubsubshard-when-down', 'cluster-allow-replica-migration', 'cluster-require-full-coverage', 'crash-log-enabled', 'crash-memcheck-enabled',
      'dynamic-hz', 'jemalloc-bg-thread', 'rdb-save-incremental-fsync', 'replica-announced', 'tls-session-caching',
    ].map((name) => bool([name], true))),
    [['activedefrag'], activeDefragParam()],
    [['tls-cluster'], tlsBoolParam()],
    [['tls-replication'], tlsBoolParam()],
    bool(['replica-read-only', 'slave-read-only'], true),
    bool(['replica-serve-stale-data', 'slave-serve-stale-data'], true),
    bool(['replica-ignore-maxmemory', 'slave-ignore-maxmemory'], true),
    bool(['replica-lazy-flush', 'slave-lazy-flush'], false),
    bool(['cluster-replica-no-failover', 'cluster-slave-no-failover'], false),
    // Integers.
    int(['list-max-listpack-size', 'list-max-ziplist-size'], -2, -INT_MAX - 1n, INT_MAX),
    int(['list-compress-depth'], 0, 0n, INT_MAX),
    int(['active-expire-effort'], 1, 1n, 10n),
    int(['active-defrag-cycle-min'], 1, 1n, 99n),
    int(['active-defrag-cycle-max'], 25, 1n, 99n),
    int(['active-defrag-threshold-lower'], 10, 0n, 1000n),
    int(['active-defrag-threshold-upper'], 100, 0n, 1000n),
    int(['active-defrag-max-scan-fields'], 1000, 1n, LLONG_MAX),
    int(['maxmemory-eviction-tenacity'], 10, 0n, 100n),
    int(['cluster-announce-port'], 0, 0n, PORT),
    int(['cluster-announce-bus-port'], 0, 0n, PORT),
    int(['cluster-announce-tls-port'], 0, 0n, PORT),
    int(['cluster-migration-barrier'], 1, 0n, INT_MAX),
    int(['cluster-node-timeout'], 15000, 0n, LLONG_MAX),
    int(['cluster-replica-validity-factor', 'cluster-slave-validity-factor'], 10, 0n, INT_MAX),
    int(['min-replicas-to-write', 'min-slaves-to-write'], 0, 0n, INT_MAX),
    int(['min-replicas-max-lag', 'min-slaves-max-lag'], 10, 0n, INT_MAX),
    int(['repl-backlog-ttl'], 3600, 0n, LLONG_MAX),
    int(['repl-diskless-sync-delay'], 5, 0n, INT_MAX),
    int(['repl-diskless-sync-max-replicas'], 0, 0n, INT_MAX),
    int(['repl-ping-replica-period', 'repl-ping-slave-period'], 10, 1n, INT_MAX),
    int(['repl-timeout'], 60, 1n, INT_MAX),
    int(['replica-announce-port', 'slave-announce-port'], 0, 0n, PORT),
    int(['replica-priority', 'slave-priority'], 100, 0n, INT_MAX),
    int(['shutdown-timeout'], 10, 0n, INT_MAX),
    int(['tls-session-cache-size'], 20480, 0n, INT_MAX),
    int(['tls-session-cache-timeout'], 300, 0n, INT_MAX),
    [['tls-port'], tlsPortParam()],

    // Sizes.
    [['active-defrag-ignore-bytes'], storedMemory(104857600, 1n, LLONG_MAX)],
    [['repl-backlog-size'], replBacklogSizeParam()],
    [['cluster-link-sendbuf-limit'], storedMemory(0, 0n, ULLONG_MAX)],
    [['maxmemory-clients'], maxmemoryClientsParam()],
    // Choices, in the order Redis's error text lists them.
    [['loglevel'], storedEnum('notice', ['debug', 'verbose', 'notice', 'warning'])],
    [['acl-pubsub-default'], storedEnum('resetchannels', ['allchannels', 'resetchannels'])],
    [['cluster-preferred-endpoint-type'], storedEnum('ip', ['ip', 'hostname', 'unknown-endpoint'])],
    [['oom-score-adj'], storedEnum('no', ['no', 'yes', 'relative', 'absolute'])],
    [['propagation-error-behavior'], storedEnum('ignore', ['ignore', 'panic', 'panic-on-replicas'])],
    [['repl-diskless-load'], storedEnum('disabled', ['disabled', 'on-empty-db', 'swapdb'])],
    [['sanitize-dump-payload'], storedEnum('no', ['no', 'yes', 'clients'])],
    [['shutdown-on-sigint'], storedEnum('default', ['default', 'save', 'nosave', 'now', 'force'])],
    [['shutdown-on-sigterm'], storedEnum('default', ['default', 'save', 'nosave', 'now', 'force'])],
    [['tls-auth-clients'], storedEnum('yes', ['no', 'yes', 'optional'])],
    // Strings.
    ...[
      'bind-source-addr', 'cluster-announce-ip', 'ignore-warnings', 'masterauth', 'masteruser', 'tls-ca-cert-dir', 'tls-ca-cert-file', 'tls-cert-file', 'tls-ciphers',
      'tls-ciphersuites', 'tls-client-cert-file', 'tls-client-key-file', 'tls-client-key-file-pass', 'tls-dh-params-file', 'tls-key-file', 'tls-key-file-pass', 'tls-protocols',
    ].map((name) => text([name])),
    text(['replica-announce-ip', 'slave-announce-ip']),
    [['cluster-announce-hostname'], hostnameParam()],
    [['proc-title-template'], procTitleTemplateParam()],
    [['save'], saveParam('3600 1 300 100 60 10000')],
    [['oom-score-adj-values'], oomScoreAdjValuesParam()],
    // Fixed at start in Redis too.
    fixed(['io-threads'], '1'),
    fixed(['io-threads-do-reads'], 'no'),
    fixed(['rdbchecksum'], 'yes'),
    fixed(['cluster-enabled'], 'no'),
    fixed(['replicaof', 'slaveof'], ''),
    ...([
      ['always-show-logo', 'no'], ['appenddirname', 'appendonlydir'], ['cluster-config-file', 'nodes.conf'], ['cluster-port', '0'], ['daemonize', 'no'],
      ['disable-thp', 'yes'], ['logfile', ''], ['pidfile', ''], ['set-proc-title', 'yes'], ['socket-mark-id', '0'], ['supervised', 'no'], ['syslog-enabled', 'no'],
      ['syslog-facility', 'local0'], ['syslog-ident', 'redis'], ['tcp-backlog', '511'], ['unixsocket', ''], ['unixsocketperm', '0'],
      ['server_cpulist', ''], ['bio_cpulist', ''], ['aof_rewrite_cpulist', ''], ['bgsave_cpulist', ''],
    ] as const).map(([name, value]) => fixed([name], value)),
  ];
}
