import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, Counter } from 'prom-client';
import { HttpServer } from '../../src/server/http/server.js';

test('health reflects the node and metrics speak Prometheus', async () => {
  const metrics = new Registry();
  new Counter({ name: 'depot_test_total', help: 'a test counter', registers: [metrics] }).inc(3);
  let ok = true;
  const server = await HttpServer.start({ host: '127.0.0.1', port: 0, health: () => ({ ok, groups: 1 }), metrics });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    let res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true, groups: 1 });
    ok = false;
    res = await fetch(`${base}/health`);
    assert.equal(res.status, 503);
    res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^depot_test_total 3$/m);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(`${base}/health`, { method: 'POST' })).status, 405);
  } finally {
    await server.close();
  }
});
