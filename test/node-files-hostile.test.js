// Hostile trees and hostile archives, from a security review of the node filesystem (issue 7 A):
// what a node's state folder may hold (deep trees, names that are not UTF-8) and what a hostile
// node may send to `cp`. Each test failed before its fix.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {randomBytes} from 'node:crypto';
import {gzipSync} from 'node:zlib';
import {after, describe, it} from 'node:test';
import {pack as tarPack} from 'tar-stream';
import {extractInto, prepareDestination} from '../dist/cli/archive-extract.js';
import {NodeFs, walkNode} from '../dist/agent/inside/node-fs.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'h7a-review-'));
// rm(1): Node's recursive rm overflows its stack on the deep tree.
after(() => execFileSync('rm', ['-rf', scratch]));

async function walkAll(nodeFs, root, maxDepth = -1) {
  const items = [];
  for await (const item of walkNode(nodeFs, root, {maxDepth, signal: new AbortController().signal})) items.push(item);
  return items;
}

describe('NodeFs.resolve of a hostile request', () => {
  it('a path of megabytes is refused as the kernel refuses it, at once (`/..` x 1M blocked osd for a minute)', async () => {
    const root = fs.mkdtempSync(path.join(scratch, 'long-'));
    fs.mkdirSync(path.join(root, 'etc'));
    const nodeFs = new NodeFs(root);
    for (const hostile of ['/..'.repeat(1_000_000) + '/etc', '/etc/..'.repeat(300_000)]) {
      const started = Date.now();
      await assert.rejects(nodeFs.resolve(hostile, {followLast: true, op: 'stat'}), (err) => {
        assert.match(err.message, /^stat \/(\.\.|etc)\/.{50,70}…: file name too long$/);
        return true;
      });
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    }
    // Just under the limit still resolves.
    assert.equal((await nodeFs.resolve('/etc/..'.repeat(580) + '/etc', {followLast: true, op: 'stat'})).nodePath, '/etc');
  });
});

describe('walkNode on hostile trees', () => {
  it('a tree thousands of levels deep is walked without overflowing the stack', async () => {
    const root = fs.mkdtempSync(path.join(scratch, 'deep-'));
    // Made with relative steps: the full path is longer than PATH_MAX.
    const cwd = process.cwd();
    try {
      process.chdir(root);
      fs.mkdirSync('deep');
      process.chdir('deep');
      for (let i = 0; i < 2500; i++) {
        fs.mkdirSync('a');
        process.chdir('a');
      }
    } finally {
      process.chdir(cwd);
    }
    const items = await walkAll(new NodeFs(root), '/deep');
    const errors = items.filter((item) => item.error);
    // Go's Walk stops where the path gets too long (4096 bytes); so does this walk, with an entry error.
    assert.ok(items.length > 2000, `walked ${items.length} entries`);
    assert.equal(errors.length, 1);
    assert.match(errors[0].error, /: file name too long$/);
  });

  it('a name that is not UTF-8 is an entry error, never confused with the entry its lossy form names', async () => {
    const root = fs.mkdtempSync(path.join(scratch, 'utf8-'));
    fs.mkdirSync(path.join(root, 'd'));
    const raw = (name) => Buffer.concat([Buffer.from(path.join(root, 'd') + '/'), Buffer.from(name)]);
    fs.writeFileSync(raw([0x62, 0xff]), 'hidden'); // "b\xff"
    fs.writeFileSync(path.join(root, 'd', 'b\uFFFD'), 'replacement');
    fs.mkdirSync(raw([0x63, 0xfe]));
    fs.writeFileSync(Buffer.concat([raw([0x63, 0xfe]), Buffer.from('/inner')]), 'inner');
    const items = await walkAll(new NodeFs(root), '/d');
    assert.deepEqual(items.map((i) => [i.nodePath, i.error ?? i.info.size]), [
      ['/d', fs.statSync(path.join(root, 'd')).size],
      ['/d/b\uFFFD', 'replacement'.length],
      ['/d/b\\xff', 'lstat /d/b\\xff: file name is not valid UTF-8'],
      ['/d/c\\xfe', 'lstat /d/c\\xfe: file name is not valid UTF-8'],
    ]);
  });
});

/** A gzip tar of [header, data] pairs, fed in 64 KiB pieces as osctl feeds the node's stream. */
async function archivePieces(entries) {
  const tar = tarPack();
  const chunks = [];
  tar.on('data', (c) => chunks.push(c));
  const ended = new Promise((resolve) => tar.on('end', resolve));
  for (const [header, data] of entries) await new Promise((resolve, reject) => tar.entry(header, data ?? '', (e) => (e ? reject(e) : resolve())));
  tar.finalize();
  await ended;
  const gz = gzipSync(Buffer.concat(chunks));
  return (async function* () {
    for (let i = 0; i < gz.length; i += 65536) yield gz.subarray(i, i + 65536);
  })();
}

/** Fails instead of hanging when the extraction never ends. */
function withinSeconds(promise, seconds) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${seconds} s`)), seconds * 1000)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('cp extraction of a hostile archive', () => {
  it('a refused entry followed by megabytes of data fails at once (it hung, waiting for a destroyed gunzip to drain)', async () => {
    const parent = fs.mkdtempSync(path.join(scratch, 'cp-'));
    const archive = await archivePieces([[{name: '../evil', type: 'file'}, 'x'], [{name: 'big', type: 'file'}, randomBytes(4 << 20)]]);
    await assert.rejects(withinSeconds(extractInto(await prepareDestination(path.join(parent, 'new')), archive, new AbortController().signal), 10), {
      message: 'refusing archive entry "../evil": a ".." in the name',
    });
    assert.deepEqual(fs.readdirSync(parent), []);
  });

  it('a tree deeper than a path can be fails cleanly and leaves no staging folder (Node\'s recursive rm overflowed)', async () => {
    const parent = fs.mkdtempSync(path.join(scratch, 'cp-'));
    const entries = [];
    let name = '';
    for (let i = 0; i < 2100; i++) entries.push([{name: (name += 'a/'), type: 'directory'}]);
    await assert.rejects(withinSeconds(extractInto(await prepareDestination(path.join(parent, 'new')), await archivePieces(entries), new AbortController().signal), 30), /ENAMETOOLONG/);
    assert.deepEqual(fs.readdirSync(parent), []);
  });
});
