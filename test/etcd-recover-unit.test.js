// Restoring etcd from an uploaded snapshot (src/agent/etcd/recover.ts), the parts before etcdctl:
// our bbolt reader checks the file first, as Talos's Status does, so a file that is no snapshot
// fails with `error verifying snapshot: …`, is kept, and etcdctl never runs.
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {restoreFromSnapshot} from '../dist/agent/etcd/recover.js';

function setup(bytes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osctl-recover-'));
  const snapshot = path.join(dir, 'etcd.snapshot');
  const dataDir = path.join(dir, 'etcd');
  fs.mkdirSync(dataDir);
  fs.writeFileSync(snapshot, bytes);
  const lines = [];
  const options = {
    snapshot,
    dataDir,
    name: 'cp-1',
    peerUrl: 'https://127.68.0.2:2380',
    skipHashCheck: false,
    // Never reached in these tests: running it would fail with `cannot run /nonexistent/etcdctl`.
    etcdctl: '/nonexistent/etcdctl',
    log: (line) => lines.push(line),
    signal: new AbortController().signal,
  };
  return {dir, snapshot, dataDir, lines, options};
}

describe('restoreFromSnapshot verifies the snapshot with the reader first', () => {
  for (const [what, bytes, reason] of [
    ['a file too small for bbolt', Buffer.from('not a snapshot'), /is not an etcd snapshot: 14 bytes is too small for a bbolt database$/],
    ['8 KiB of noise', Buffer.alloc(8192, 0x5a), /is not an etcd snapshot: no valid bbolt meta page/],
  ]) {
    test(`${what}: error verifying snapshot, the upload kept, nothing logged, the data dir untouched`, async () => {
      const {dir, snapshot, dataDir, lines, options} = setup(bytes);
      try {
        await assert.rejects(restoreFromSnapshot(options), (error) => {
          assert.match(error.message, /^error verifying snapshot: /);
          assert.match(error.message, reason);
          return true;
        });
        assert.deepEqual(fs.readFileSync(snapshot), bytes);
        assert.deepEqual(lines, []);
        assert.deepEqual(fs.readdirSync(dataDir), []);
        assert.equal(fs.existsSync(`${dataDir}.restore`), false);
      } finally {
        fs.rmSync(dir, {recursive: true, force: true});
      }
    });
  }

  test('a missing upload is an error verifying snapshot naming the file', async () => {
    const {dir, snapshot, options} = setup(Buffer.alloc(0));
    fs.rmSync(snapshot);
    try {
      await assert.rejects(restoreFromSnapshot(options), new RegExp(`^Error: error verifying snapshot: cannot open ${JSON.stringify(snapshot).replaceAll('.', '\\.')}`));
    } finally {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });

  test('a stop (aborted signal) is not reported as a bad snapshot', async () => {
    const {dir, options} = setup(Buffer.alloc(8192, 0x5a));
    const abort = new AbortController();
    abort.abort(new Error('context canceled'));
    try {
      await assert.rejects(restoreFromSnapshot({...options, signal: abort.signal}), (error) => {
        assert.doesNotMatch(error.message, /error verifying snapshot/);
        return true;
      });
    } finally {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });
});
