import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/node/config.js';
import { isDepotError } from '../../src/util/errors.js';

test('defaults describe a single node on loopback', () => {
  const c = loadConfig();
  assert.equal(c.dataDir, './data');
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 7450);
  assert.equal(c.httpPort, 8080);
  assert.equal(c.cache.port, 6379);
  assert.equal(c.cache.appendonly, true);
  assert.equal(c.cache.appendfsync, 'everysec');
  assert.equal(c.broker.flush, 'sync');
  assert.equal(c.broker.maxMessageBytes, 4 * 1024 * 1024);
});

test('file < environment < flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'depot-config-'));
  try {
    const file = join(dir, 'depot.yaml');
    writeFileSync(file, 'port: 1000\nhttpPort: 1001\ncache:\n  port: 1002\n  appendfsync: always\n');
    const c = loadConfig({ file, env: { DEPOT_HTTP_PORT: '2001', DEPOT_REDIS_PORT: '2002' }, flags: { redisPort: '3002' } });
    assert.equal(c.port, 1000);
    assert.equal(c.httpPort, 2001);
    assert.equal(c.cache.port, 3002);
    assert.equal(c.cache.appendfsync, 'always');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('appendonly reads yes/no as Redis writes it, from the environment and from flags', () => {
  assert.equal(loadConfig({ env: { DEPOT_CACHE_APPENDONLY: 'no' } }).cache.appendonly, false);
  assert.equal(loadConfig({ env: { DEPOT_CACHE_APPENDONLY: 'no' }, flags: { appendonly: 'yes' } }).cache.appendonly, true);
  assert.throws(() => loadConfig({ flags: { appendonly: 'maybe' } }), /--appendonly maybe: expected true or false/);
});

test('maxmemory reads sizes as redis.conf writes them, from a file, the environment and flags', () => {
  assert.equal(loadConfig().cache.maxmemory, 0);
  assert.equal(loadConfig({ flags: { maxmemory: '100mb' } }).cache.maxmemory, 100 * 1024 ** 2);
  assert.equal(loadConfig({ env: { DEPOT_CACHE_MAXMEMORY: '2GB' } }).cache.maxmemory, 2 * 1024 ** 3);
  assert.equal(loadConfig({ flags: { maxmemory: '500k' } }).cache.maxmemory, 500_000);
  assert.equal(loadConfig({ flags: { maxmemory: '12345' } }).cache.maxmemory, 12345);
  assert.equal(loadConfig({ flags: { maxmemoryPolicy: 'allkeys-lru' } }).cache.maxmemoryPolicy, 'allkeys-lru');
  const dir = mkdtempSync(join(tmpdir(), 'depot-config-'));
  try {
    const file = join(dir, 'depot.yaml');
    writeFileSync(file, 'cache:\n  maxmemory: 64mb\n  maxmemoryPolicy: volatile-ttl\n');
    assert.equal(loadConfig({ file }).cache.maxmemory, 64 * 1024 ** 2);
    writeFileSync(file, 'cache:\n  maxmemory: 1048576\n');
    assert.equal(loadConfig({ file }).cache.maxmemory, 1024 ** 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => loadConfig({ flags: { maxmemory: '10 potatoes' } }), /cache.maxmemory: expected a size such as 100mb or 2gb, got '10 potatoes'/);
  assert.throws(() => loadConfig({ flags: { maxmemory: -5 } }), /cache.maxmemory: expected a size/);
  assert.throws(() => loadConfig({ flags: { maxmemory: 1.5 } }), /cache.maxmemory: expected a size/);
  assert.throws(() => loadConfig({ flags: { maxmemoryPolicy: 'most-lru' } }), /cache.maxmemoryPolicy/);
});

test('every problem is reported with where it came from', () => {
  assert.throws(
    () => loadConfig({ env: { DEPOT_PORT: 'abc' }, flags: { appendfsync: 'sometimes' } }),
    (err) => {
      assert.ok(isDepotError(err, 'INVALID_CONFIG'));
      assert.match(err.message, /DEPOT_PORT=abc: expected an integer/);
      assert.match(err.message, /cache\.appendfsync/);
      return true;
    },
  );
});

test('unknown keys and bad YAML are rejected, not ignored', () => {
  const dir = mkdtempSync(join(tmpdir(), 'depot-config-'));
  try {
    const typo = join(dir, 'typo.yaml');
    writeFileSync(typo, 'prot: 7450\n');
    assert.throws(() => loadConfig({ file: typo }), /prot/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'port: [1,\n');
    assert.throws(() => loadConfig({ file: bad }), /not valid YAML/);
    assert.throws(() => loadConfig({ file: join(dir, 'missing.yaml') }), /cannot read config file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
