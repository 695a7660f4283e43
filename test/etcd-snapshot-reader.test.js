// Our bbolt reader against `etcdctl snapshot status` (Debian's 3.4.23) on snapshots real etcd made
// (on 127.62.0.2, plain http): hash, revision and size equal; etcdctl 3.4's total keys (every pair)
// equals our pair count; our total keys (etcdutl 3.6: distinct live keys) equals the count etcd
// itself reports. Then damaged files (truncations, flipped bytes, garbage pages, fixed seed): a
// SnapshotFileError with a sentence, never another exception, never a hang.
import assert from 'node:assert/strict';
import {execFile, spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {after, before, describe, it} from 'node:test';
import {promisify} from 'node:util';
import {Crc32c, crc32c} from '../dist/machinery/etcd-snapshot/crc32c.js';
import {keyValueKey} from '../dist/machinery/etcd-snapshot/status.js';
import {describeStatus, SnapshotFileError, snapshotStatus, snapshotTrailer} from '../dist/machinery/etcd-snapshot/index.js';

const run = promisify(execFile);
const ADDRESS = '127.62.0.2';
const ENDPOINT = `http://${ADDRESS}:2379`;

let dir;
let etcd;

async function etcdctl(args, input) {
  if (input === undefined) return (await run('etcdctl', [`--endpoints=${ENDPOINT}`, ...args], {maxBuffer: 64 << 20})).stdout;
  return new Promise((resolve, reject) => {
    const child = spawn('etcdctl', [`--endpoints=${ENDPOINT}`, ...args], {stdio: ['pipe', 'pipe', 'pipe']});
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`etcdctl ${args.join(' ')}: ${err}`))));
    child.stdin.end(input);
  });
}

/** `etcdctl txn` input putting each [key, value] (no compares, no failure ops). */
const txn = (pairs) => `\n${pairs.map(([k, v]) => `put ${k} ${v}\n`).join('')}\n\n`;

async function putMany(prefix, from, to, value) {
  for (let start = from; start < to; start += 128) {
    const pairs = [];
    for (let i = start; i < Math.min(start + 128, to); i++) pairs.push([`${prefix}${String(i).padStart(6, '0')}`, `${value}-${i}`]);
    await etcdctl(['txn'], txn(pairs));
  }
}

async function liveKeyCount() {
  return JSON.parse(await etcdctl(['get', '--prefix', '', '--limit', '1', '-w', 'json'])).count;
}

async function etcdctlStatus(file) {
  return JSON.parse((await run('etcdctl', ['snapshot', 'status', file, '-w', 'json'])).stdout);
}

async function save(name) {
  const file = path.join(dir, name);
  await etcdctl(['snapshot', 'save', file]);
  return file;
}

async function assertAgrees(file, live) {
  const ours = await snapshotStatus(file);
  // a tiny cache (two windows of two pages): windows are reused and spans cross them all the time
  assert.deepEqual(await snapshotStatus(file, undefined, {windowBytes: 8192, windows: 2}), ours, 'the same with a tiny cache');
  const theirs = await etcdctlStatus(file);
  assert.equal(ours.hash, theirs.hash, 'hash');
  assert.equal(ours.revision, BigInt(theirs.revision), 'revision');
  assert.equal(ours.totalSize, theirs.totalSize, 'total size');
  assert.equal(ours.totalPairs, theirs.totalKey, 'every pair (etcdctl 3.4\'s total keys)');
  if (live !== undefined) assert.equal(ours.totalKey, live, 'distinct live keys (etcdutl 3.6\'s total keys)');
  return ours;
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osctl-etcd-snapshot-'));
  etcd = spawn('etcd', [
    '--name', 'm1', '--data-dir', path.join(dir, 'data'), '--logger', 'zap',
    '--listen-client-urls', ENDPOINT, '--advertise-client-urls', ENDPOINT,
    '--listen-peer-urls', `http://${ADDRESS}:2380`, '--initial-advertise-peer-urls', `http://${ADDRESS}:2380`,
    '--initial-cluster', `m1=http://${ADDRESS}:2380`,
  ], {stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'etcd.log'), 'w')]});
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await run('etcdctl', [`--endpoints=${ENDPOINT}`, 'endpoint', 'health']);
      break;
    } catch (err) {
      if (Date.now() > deadline || etcd.exitCode !== null) throw new Error(`etcd did not come up: ${fs.readFileSync(path.join(dir, 'etcd.log'), 'utf8').slice(-2000)}`, {cause: err});
      await delay(100);
    }
  }
});

after(async () => {
  if (etcd && etcd.exitCode === null) {
    const exited = new Promise((resolve) => etcd.once('exit', resolve));
    process.kill(etcd.pid, 'SIGTERM');
    const timer = setTimeout(() => etcd.exitCode === null && process.kill(etcd.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (dir) fs.rmSync(dir, {recursive: true, force: true});
});

describe('status agrees with etcdctl on snapshots real etcd wrote', () => {
  let small;

  it('an empty store: hash, revision 0 (no key yet), size; no live keys; the trailer is etcd\'s', async () => {
    const file = await save('empty.db');
    const status = await assertAgrees(file, 0);
    assert.equal(status.revision, 0n);
    assert.deepEqual(await snapshotTrailer(file).then(({present, valid, size}) => ({present, valid, size})), {present: true, valid: true, size: fs.statSync(file).size});
    assert.match(describeStatus(status), /^hash [0-9a-f]{8}, revision 0, total keys 0, total size \d+$/);
  });

  it('puts, overwrites, a range delete and a lease', async () => {
    await putMany('/k/', 0, 600, 'v');
    await putMany('/k/', 0, 200, 'overwritten');
    await etcdctl(['del', '/k/000300', '/k/000350']);
    const lease = /lease ([0-9a-f]+) granted/.exec(await etcdctl(['lease', 'grant', '600']))[1];
    await etcdctl(['put', '--lease', lease, '/leased', 'v']);
    const live = await liveKeyCount();
    assert.equal(live, 600 - 50 + 1);
    small = await save('small.db');
    const status = await assertAgrees(small, live);
    assert.ok(status.totalPairs > status.totalKey + 250, 'history and tombstones are pairs, not live keys');
  });

  it('thousands of keys (a deeper tree), a compaction and a 1.2 MB value on overflow pages', async () => {
    await putMany('/bulk/', 0, 6000, 'x'.repeat(100));
    const {header} = JSON.parse(await etcdctl(['get', '/none', '-w', 'json']));
    await etcdctl(['compact', String(header.revision), '--physical']);
    const big = Buffer.alloc(1_200_000, 'b').toString();
    await etcdctl(['put', '/big'], big);
    await etcdctl(['del', '/bulk/', '--prefix=false', '/bulk/000100']);
    const live = await liveKeyCount();
    const file = await save('big.db');
    const status = await assertAgrees(file, live);
    assert.ok(status.totalSize > 1_200_000);
  });

  it('a data directory\'s member/snap/db (no trailer) agrees too', async () => {
    const copy = path.join(dir, 'member-db');
    fs.copyFileSync(path.join(dir, 'data', 'member', 'snap', 'db'), copy);
    await assertAgrees(copy, await liveKeyCount());
    assert.equal((await snapshotTrailer(copy)).present, false);
  });

  it('a flipped data byte still reads (another hash); the trailer no longer matches', async () => {
    const bytes = fs.readFileSync(small);
    const {hash} = await snapshotStatus(small);
    // a value's byte is data, not structure: flip the last digit of every copy of one value (stale
    // copies sit in free pages too)
    const needle = Buffer.from('overwritten-199');
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) bytes[at + 14] ^= 1;
    const flipped = path.join(dir, 'flipped.db');
    fs.writeFileSync(flipped, bytes);
    const theirs = await etcdctlStatus(flipped);
    const ours = await snapshotStatus(flipped);
    assert.notEqual(ours.hash, hash);
    assert.equal(ours.hash, theirs.hash);
    const trailer = await snapshotTrailer(flipped);
    assert.deepEqual({present: trailer.present, valid: trailer.valid, size: trailer.size}, {present: true, valid: false, size: bytes.length});
    assert.equal(trailer.expected, bytes.subarray(-32).toString("hex"));
    assert.notEqual(trailer.actual, trailer.expected);
  });

  it('damaged files: a clear SnapshotFileError or a status, never a crash, never a hang (fixed seed)', async (t) => {
    const original = fs.readFileSync(small);
    const pageSize = 4096;
    const pages = Math.floor(original.length / pageSize);
    let seed = 0x5eed1234;
    const random = (n) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const target = path.join(dir, 'mutant.db');
    const outcomes = {error: 0, status: 0};
    const messages = new Set();
    const check = async (bytes, what) => {
      fs.writeFileSync(target, bytes);
      const started = Date.now();
      const tiny = await snapshotStatus(target, undefined, {windowBytes: 8192, windows: 2}).then((s) => s, (err) => err.message);
      try {
        const status = await snapshotStatus(target);
        assert.deepEqual(tiny, status, `${what}: the same with a tiny cache`);
        outcomes.status++;
      } catch (err) {
        if (err.code === 'ERR_ASSERTION') throw err;
        assert.equal(tiny, err.message, `${what}: the same error with a tiny cache`);
        assert.ok(err instanceof SnapshotFileError, `${what}: ${err.stack}`);
        assert.ok(err.message.length > 10 && !err.message.includes('undefined'), `${what}: ${err.message}`);
        messages.add(err.message.split('\n')[0].replace(/\d+/g, 'N'));
        outcomes.error++;
      }
      assert.ok(Date.now() - started < 5000, `${what}: took ${Date.now() - started} ms`);
    };
    // truncations, at page boundaries and inside pages
    for (const length of [0, 1, 100, 4095, 4096, 8191, 8192, 12288, original.length - 33, original.length - pageSize - 32, 2 * pageSize + 7]) {
      await check(original.subarray(0, length), `truncated to ${length}`);
    }
    // single bytes flipped anywhere, many times
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(original);
      const at = random(bytes.length);
      bytes[at] ^= 1 << random(8);
      await check(bytes, `byte ${at} flipped`);
    }
    // page headers and element tables of data pages garbled
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(original);
      const page = 2 + random(pages - 2);
      const length = 1 + random(64);
      for (let j = 0; j < length; j++) bytes[page * pageSize + random(48)] = random(256);
      await check(bytes, `page ${page} header garbled`);
    }
    // whole pages zeroed or copied over another page
    for (let i = 0; i < 60; i++) {
      const bytes = Buffer.from(original);
      const page = 2 + random(pages - 2);
      if (i % 2 === 0) bytes.fill(0, page * pageSize, (page + 1) * pageSize);
      else original.copy(bytes, page * pageSize, (2 + random(pages - 2)) * pageSize, (3 + random(pages - 2)) * pageSize);
      await check(bytes, `page ${page} replaced`);
    }
    // both metas broken: not a bbolt file at all
    const noMeta = Buffer.from(original);
    noMeta[16] ^= 0xff;
    noMeta[pageSize + 16] ^= 0xff;
    await check(noMeta, 'both metas');
    await assert.rejects(snapshotStatus(target), /is not an etcd snapshot: no valid bbolt meta page \(meta 0: invalid magic; meta 1: invalid magic\)/);
    await check(Buffer.from('hello, not a database\n'.repeat(500)), 'text');
    t.diagnostic(JSON.stringify(outcomes));
    assert.ok(outcomes.error > 100, JSON.stringify(outcomes));
    assert.ok(messages.has('snapshot file integrity check failed. N errors found.'), [...messages].join('\n'));
    assert.ok([...messages].some((m) => m.includes('is truncated: it holds N bytes')), [...messages].join('\n'));
  });

  it('a missing file and a folder are named', async () => {
    await assert.rejects(snapshotStatus(path.join(dir, 'nope.db')), (err) => err instanceof SnapshotFileError && /cannot open ".*nope\.db": no such file or directory/.test(err.message));
    await assert.rejects(snapshotStatus(dir), (err) => err instanceof SnapshotFileError && /is not a regular file/.test(err.message));
  });
});

describe('pieces', () => {
  it('CRC-32C: the check value, and in pieces', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(0)), 0);
    assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
  });

  it('CRC-32C: the word loop equals a bit-by-bit CRC at every alignment and length, whole and in pieces', () => {
    const bitwise = (bytes) => {
      let c = 0xffffffff;
      for (const byte of bytes) {
        c ^= byte;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return ~c >>> 0;
    };
    const backing = new Uint8Array(600);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 2654435761) >>> 24;
    for (const offset of [0, 1, 2, 3, 5]) {
      for (const length of [0, 15, 63, 64, 65, 79, 80, 127, 300, 513]) {
        const bytes = backing.subarray(offset, offset + length);
        const expected = bitwise(bytes);
        assert.equal(crc32c(bytes), expected, `offset ${offset}, length ${length}`);
        const running = new Crc32c();
        const cut = length >> 1;
        running.update(bytes, 0, cut);
        running.update(Buffer.from(bytes.subarray(cut)));
        assert.equal(running.digest(), expected, `in two pieces: offset ${offset}, length ${length}`);
      }
    }
  });

  it('mvccpb.KeyValue key: decoded; malformed messages refused', () => {
    // key "ab" (field 1), create_revision 5 (field 2), value "x" (field 5)
    assert.equal(keyValueKey(Buffer.from([0x0a, 2, 0x61, 0x62, 0x10, 5, 0x2a, 1, 0x78])), 'ab');
    assert.equal(keyValueKey(Buffer.alloc(0)), '');
    assert.equal(keyValueKey(Buffer.from([0x0a, 9, 0x61])), undefined, 'length past the end');
    assert.equal(keyValueKey(Buffer.from([0x10])), undefined, 'varint cut');
    assert.equal(keyValueKey(Buffer.from([0x0b])), undefined, 'group wire type');
    assert.equal(keyValueKey(Buffer.from([0x02, 0])), undefined, 'field 0');
  });
});
