// Two `chengguo serve` on one PostgreSQL database behind HAProxy (issue #11, point 12).
//
// Starts everything itself and stops everything at the end, also on failure:
//   - a fresh database `chengguo_cluster_<random>` on the server of CHENGGUO_TEST_DATABASE_URL
//     (dropped at the end);
//   - server A with `--demo` (it loads the demo), then server B on the same database, each on
//     a port of its own choosing on 127.0.0.1 and with its own search index directory;
//   - HAProxy on a free loopback port, round-robin over both, health checks on /healthz,
//     `option redispatch` and retries of requests that never reached a server, `X-Forwarded-For`
//     added, and the answering server named in
//     an `X-Chengguo-Server` response header so that the test sees which one answered.
// Then, through the balancer only: a session made through one server is valid through the other;
// a write through one is visible through the other within a second, in the database (API GET) and
// in search; one server is killed with `kill -9` during a bounded write load, after which every
// write that was acknowledged (201 with an id) is in the database and `chengguo audit verify`
// passes.
//
// Environment:
//   CHENGGUO_TEST_DATABASE_URL  PostgreSQL server to use (required), e.g.
//                               postgres://postgres@127.0.0.1:5432/postgres
//   CHENGGUO_BIN                the binary (default <repo>/target/debug/chengguo)
//   HAPROXY                     the haproxy executable (default: haproxy on PATH)
//   CLUSTER_WRITERS             concurrent writers in the kill test (default 8)
//   CLUSTER_LOAD_MS             length of the write load in ms (default 6000)
//
// Run: node --test tests/cluster/ (from the repository root; .ci/run does this).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TARGET_DIR = process.env.CARGO_TARGET_DIR || path.join(REPO_ROOT, 'target');
const BIN = process.env.CHENGGUO_BIN || path.join(TARGET_DIR, 'debug', 'chengguo');
const HAPROXY = process.env.HAPROXY || 'haproxy';
const ADMIN_URL = process.env.CHENGGUO_TEST_DATABASE_URL || '';
const WRITERS = Number(process.env.CLUSTER_WRITERS || 8);
const LOAD_MS = Number(process.env.CLUSTER_LOAD_MS || 6000);
const DEMO_PASSWORD = 'chengguo-demo';

if (!ADMIN_URL.startsWith('postgres')) {
  throw new Error('CHENGGUO_TEST_DATABASE_URL must name a PostgreSQL server (postgres://…)');
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'chengguo-cluster-'));
const dbName = `chengguo_cluster_${randomBytes(6).toString('hex')}`;
const dbUrl = withDatabase(ADMIN_URL, dbName);
const children = new Set();
let dbCreated = false;
let servers = {}; // name -> { child, port, log }
let lbPort = 0;
let lbChild = null;

function withDatabase(url, db) {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

function psql(sql, url = ADMIN_URL) {
  const r = spawnSync('psql', ['-w', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', url, '-c', sql], {
    encoding: 'utf8',
    env: { ...process.env, PGCONNECT_TIMEOUT: '10' },
  });
  if (r.status !== 0) throw new Error(`psql failed (${sql}): ${r.stderr || r.error}`);
  return r.stdout.trim();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts a process, keeping its output in memory; `waitFor` resolves on a matching line. */
function start(name, cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.add(child);
  const proc = { name, child, log: '', exited: null };
  const listeners = [];
  const onData = (d) => {
    proc.log += d.toString();
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.on('exit', (code, signal) => {
    proc.exited = { code, signal };
    children.delete(child);
    for (const l of listeners) l();
  });
  proc.waitFor = (re, ms) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${name}: no ${re} within ${ms} ms\n${proc.log}`)), ms);
      const check = () => {
        const m = proc.log.match(re);
        if (m) done(null, m);
        else if (proc.exited) done(new Error(`${name} exited (${JSON.stringify(proc.exited)}):\n${proc.log}`));
      };
      function done(err, m) {
        clearTimeout(timer);
        const i = listeners.indexOf(check);
        if (i >= 0) listeners.splice(i, 1);
        err ? reject(err) : resolve(m);
      }
      listeners.push(check);
      check();
    });
  return proc;
}

async function startServer(name, demo) {
  const dir = path.join(tmp, name);
  const args = ['serve', '--addr', '127.0.0.1:0', '--database-url', dbUrl];
  if (demo) args.push('--demo');
  const env = {
    ...process.env,
    CHENGGUO_SEARCH_INDEX_DIR: path.join(tmp, `${name}.search`),
    CHENGGUO_LOG: 'warn',
    // HAProxy runs on this machine and adds X-Forwarded-For (docs/CONFIGURATION.md).
    CHENGGUO_TRUSTED_PROXIES: '127.0.0.1',
  };
  delete env.DATABASE_URL;
  spawnSync('mkdir', ['-p', dir]);
  const proc = start(name, BIN, args, { cwd: dir, env });
  const m = await proc.waitFor(/serving http:\/\/127\.0\.0\.1:(\d+)\//, 180_000);
  proc.port = Number(m[1]);
  servers[name] = proc;
  return proc;
}

async function startBalancer() {
  lbPort = await freePort();
  const cfg = `
global
    maxconn 512

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout check 1s
    retries 3
    option redispatch
    # Only a request that never reached a server is retried (on the other, redispatch): a write
    # that a dying server may have committed is never replayed (no duplicate), it fails with 502.
    retry-on conn-failure
    option forwardfor

frontend chengguo
    bind 127.0.0.1:${lbPort}
    default_backend servers

backend servers
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    http-response set-header X-Chengguo-Server %s
    server a 127.0.0.1:${servers.a.port} check inter 250ms fall 2 rise 2
    server b 127.0.0.1:${servers.b.port} check inter 250ms fall 2 rise 2
`;
  const file = path.join(tmp, 'haproxy.cfg');
  writeFileSync(file, cfg);
  const check = spawnSync(HAPROXY, ['-c', '-q', '-f', file], { encoding: 'utf8' });
  assert.equal(check.status, 0, `haproxy -c: ${check.stderr}${check.stdout}`);
  // -db: stay in the foreground, so that the process we started is the one we stop.
  lbChild = start('haproxy', HAPROXY, ['-db', '-f', file]);
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${lbPort}/healthz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (lbChild.exited) break;
    await sleep(100);
  }
  throw new Error(`HAProxy did not answer on 127.0.0.1:${lbPort}:\n${lbChild.log}`);
}

/** A browser-like client of the balancer: cookies and the CSRF token echoed on API writes. */
class Client {
  constructor() {
    this.cookies = new Map();
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  keep(res) {
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      this.cookies.set(kv.slice(0, i).trim(), kv.slice(i + 1).trim());
    }
  }

  async request(method, pathname, { json, form, timeoutMs = 10_000 } = {}) {
    const headers = { cookie: this.cookieHeader() };
    let body;
    if (json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    if (method !== 'GET' && this.cookies.has('cg_csrf')) headers['x-csrf-token'] = this.cookies.get('cg_csrf');
    const res = await fetch(`http://127.0.0.1:${lbPort}${pathname}`, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    this.keep(res);
    const text = await res.text();
    let data = null;
    try {
      data = JSON.parse(text);
    } catch {
      // a page, or an empty body
    }
    return { status: res.status, server: res.headers.get('x-chengguo-server'), data, text };
  }

  async login(username) {
    const form = await this.request('GET', '/login');
    assert.equal(form.status, 200, form.text);
    assert.ok(this.cookies.has('cg_csrf'), 'the login page sets the CSRF cookie');
    const r = await this.request('POST', '/login', {
      form: { csrf: this.cookies.get('cg_csrf'), next: '/', username, password: DEMO_PASSWORD },
    });
    assert.equal(r.status, 303, `login of ${username}: ${r.status} ${r.text.slice(0, 300)}`);
    assert.ok(this.cookies.get('cg_session'), 'a session cookie');
    return r.server;
  }
}

function stopAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

let cleanedUp = false;

/** Stops every process, drops the database, removes the files: the last resort, synchronous. */
function cleanupSync() {
  if (cleanedUp) return;
  cleanedUp = true;
  stopAll();
  if (dbCreated) {
    try {
      psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    } catch (e) {
      console.error(String(e));
    }
  }
  rmSync(tmp, { recursive: true, force: true });
}

// Whatever happens (an uncaught error, ^C, a timeout's SIGTERM), leave nothing behind; and never
// run for more than four minutes.
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
setTimeout(() => {
  console.error('cluster test: over four minutes, stopping');
  process.exit(1);
}, 240_000).unref();

before(async () => {
  psql(`CREATE DATABASE ${dbName}`);
  dbCreated = true;
  await startServer('a', true);
  await startServer('b', false);
  await startBalancer();
});

after(async () => {
  for (const proc of [lbChild, ...Object.values(servers)]) {
    if (proc && !proc.exited) {
      proc.child.kill('SIGTERM');
    }
  }
  for (let i = 0; i < 50 && children.size > 0; i++) await sleep(100);
  cleanupSync();
});

test('both servers answer through the balancer, in turn', async () => {
  const seen = [];
  for (let i = 0; i < 6; i++) {
    const r = await fetch(`http://127.0.0.1:${lbPort}/healthz`);
    assert.equal(r.status, 200);
    seen.push(r.headers.get('x-chengguo-server'));
  }
  assert.deepEqual([...new Set(seen)].sort(), ['a', 'b'], `answered by ${seen}`);
  for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], `round-robin: ${seen}`);
});

test('a session made through one server is valid through the other', async () => {
  const c = new Client();
  const loggedInAt = await c.login('unit');
  const seen = new Set();
  for (let i = 0; i < 6; i++) {
    const r = await c.request('GET', '/api/v1/me');
    assert.equal(r.status, 200, `GET /api/v1/me through ${r.server}: ${r.text}`);
    assert.equal(r.data.username, 'unit');
    seen.add(r.server);
  }
  assert.deepEqual([...seen].sort(), ['a', 'b']);
  assert.ok(seen.has(loggedInAt === 'a' ? 'b' : 'a'));
});

test('a write through one server is visible through the other within a second, in the database and in search', async () => {
  const c = new Client();
  await c.login('unit');
  const word = `集群${randomBytes(4).toString('hex')}`;
  const created = await c.request('POST', '/api/v1/achievements', {
    json: { ref: `CLUSTER-${word}`, title: `${word} 双机负载均衡验证成果`, keywords: [word] },
  });
  assert.equal(created.status, 201, created.text);
  const id = created.data.id;
  const writer = created.server;
  const other = writer === 'a' ? 'b' : 'a';

  // Measured from the write's acknowledgement. Round-robin sends the next request to the other
  // server; requests the writer happens to answer are not counted as seeing the write.
  const t0 = Date.now();
  let found = false;
  let last;
  const tries = [];
  while (!found && Date.now() - t0 < 1000) {
    const ts = Date.now();
    last = await c.request('GET', `/api/v1/search?q=${encodeURIComponent(word)}`);
    tries.push(`${last.server} ${Date.now() - ts} ms`);
    assert.equal(last.status, 200, last.text);
    found = last.server === other && last.data.hits.some((h) => h.id === id && h.kind === 'achievement');
  }
  const searchMs = Date.now() - t0;
  assert.ok(found, `search through ${other} did not find achievement ${id} within a second: ${last.text.slice(0, 300)}`);

  // The record itself, through the other server.
  let read;
  do {
    read = await c.request('GET', `/api/v1/achievements/${id}`);
  } while (read.server !== other && Date.now() - t0 < 1000);
  const readMs = Date.now() - t0;
  assert.equal(read.server, other, 'the other server answered within a second');
  assert.equal(read.status, 200, read.text);
  assert.equal(read.data.id, id);
  assert.ok(readMs < 1000, `${readMs} ms`);
  console.log(
    `# achievement ${id} written through ${writer}: found by search through ${other} after ` +
      `${searchMs} ms (searches: ${tries.join(', ')}), read through ${other} after ${readMs} ms`,
  );
});

test('kill -9 of one server under write load loses no acknowledged write; the audit chain verifies', async () => {
  const c = new Client();
  await c.login('unit');
  const run = randomBytes(3).toString('hex');
  const acked = []; // { id, ref, server, at }
  const failures = new Map(); // status or error -> count
  let killedAt = 0;
  const victim = servers.b;
  const stopAt = Date.now() + LOAD_MS;

  async function writer(w) {
    for (let n = 0; Date.now() < stopAt; n++) {
      const ref = `LOAD-${run}-${w}-${n}`;
      try {
        const r = await c.request('POST', '/api/v1/achievements', {
          json: { ref, title: `负载写入 ${ref}` },
          timeoutMs: 15_000,
        });
        if (r.status === 201 && Number.isInteger(r.data?.id)) {
          acked.push({ id: r.data.id, ref, server: r.server, at: Date.now() });
        } else {
          failures.set(r.status, (failures.get(r.status) || 0) + 1);
        }
      } catch (e) {
        const k = `${e.name}: ${e.cause?.code || e.cause?.message || e.message}`;
        failures.set(k, (failures.get(k) || 0) + 1);
      }
    }
  }

  const killer = (async () => {
    await sleep(Math.floor(LOAD_MS / 3));
    killedAt = Date.now();
    victim.child.kill('SIGKILL');
  })();
  await Promise.all([killer, ...Array.from({ length: WRITERS }, (_, w) => writer(w))]);
  for (let i = 0; i < 50 && !victim.exited; i++) await sleep(100);
  assert.equal(victim.exited?.signal, 'SIGKILL', 'server b was killed');

  const before = acked.filter((a) => a.at < killedAt);
  const afterKill = acked.filter((a) => a.at > killedAt + 1500);
  console.log(
    `# load: ${acked.length} writes acknowledged (${before.length} before the kill, ` +
      `${afterKill.length} from 1.5 s after it), failures: ${JSON.stringify(Object.fromEntries(failures))}`,
  );
  assert.ok(before.some((a) => a.server === 'b'), 'server b took writes before it was killed');
  assert.ok(afterKill.length > 0, 'the survivor takes the writes after the kill');
  assert.ok(afterKill.every((a) => a.server === 'a'));
  // Only the writes in flight at the kill fail (at most one per writer, and as many again while
  // the health check notices): a gateway error, or the connection closed without an answer;
  // never an error of the survivor, nor a replayed write (409).
  const failed = [...failures.values()].reduce((x, y) => x + y, 0);
  assert.ok(failed <= 2 * WRITERS, `${failed} failed writes`);
  for (const k of failures.keys()) {
    assert.ok([502, 503, 504].includes(k) || /^TypeError: (UND_ERR_SOCKET|ECONNRESET)/.test(k), `failure kind ${k}`);
  }

  // Every acknowledged write is in the database, as acknowledged.
  const stored = new Map(
    psql(`SELECT id || ' ' || ref FROM achievements WHERE ref LIKE 'LOAD-${run}-%'`, dbUrl)
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [id, ref] = l.split(' ');
        return [Number(id), ref];
      }),
  );
  const missing = acked.filter((a) => stored.get(a.id) !== a.ref);
  assert.deepEqual(missing, [], `${missing.length} acknowledged writes are missing`);
  // …and readable through the balancer (the survivor).
  for (const a of acked.slice(-5)) {
    const r = await c.request('GET', `/api/v1/achievements/${a.id}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.data.ref, a.ref);
  }

  const verify = spawnSync(BIN, ['audit', 'verify', '--database-url', dbUrl], { encoding: 'utf8' });
  assert.equal(verify.status, 0, `audit verify: ${verify.stdout}${verify.stderr}`);
  assert.match(verify.stdout, /audit chain intact/);
});
