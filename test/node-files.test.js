// Unit tests of the node filesystem pieces: path resolution inside a root (hostile symlinks), the
// walk's depth rule, Go's FileMode text, go-humanize Bytes, LASTMOD, and cp's extraction of a
// hostile archive (nothing outside the destination, nothing partial, nothing overwritten).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {gzipSync} from 'node:zlib';
import {after, describe, it} from 'node:test';
import {pack as tarPack} from 'tar-stream';
import {goFileMode, NodeFs, walkNode} from '../dist/agent/inside/node-fs.js';
import {multiErrorText} from '../dist/agent/server/file-methods.js';
import {entryParts, extractInto, prepareDestination} from '../dist/cli/archive-extract.js';
import {goFileModeString, lastModified} from '../dist/cli/output/files-view.js';
import {humanizeBytes} from '../dist/cli/output/humanize.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'h7files-unit-'));
after(() => fs.rmSync(scratch, {recursive: true, force: true}));

function nodeRoot() {
  const root = fs.mkdtempSync(path.join(scratch, 'root-'));
  fs.mkdirSync(path.join(root, 'etc/sub'), {recursive: true});
  fs.writeFileSync(path.join(root, 'etc/hostname'), 'node\n');
  fs.writeFileSync(path.join(root, 'etc/sub/deep'), 'deep\n');
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'node passwd\n');
  fs.symlinkSync('/etc/passwd', path.join(root, 'etc/abs'));
  fs.symlinkSync('../../../../../../../../etc', path.join(root, 'etc/up'));
  fs.symlinkSync('/', path.join(root, 'etc/root'));
  fs.symlinkSync('loop2', path.join(root, 'etc/loop1'));
  fs.symlinkSync('loop1', path.join(root, 'etc/loop2'));
  return root;
}

describe('NodeFs.resolve', () => {
  const root = nodeRoot();
  const nodeFs = new NodeFs(root);
  const real = fs.realpathSync(root);

  it('keeps `..` and every kind of symlink inside the root', async () => {
    assert.deepEqual(await nodeFs.resolve('/../../etc/hostname', {followLast: true, op: 'stat'}), {nodePath: '/etc/hostname', hostPath: path.join(real, 'etc/hostname')});
    assert.equal((await nodeFs.resolve('/etc/root/etc/hostname', {followLast: true, op: 'stat'})).hostPath, path.join(real, 'etc/hostname'));
    assert.equal((await nodeFs.resolve('/etc/abs', {followLast: true, op: 'stat'})).hostPath, path.join(real, 'etc/passwd'));
    assert.equal((await nodeFs.resolve('/etc/up/hostname', {followLast: true, op: 'stat'})).hostPath, path.join(real, 'etc/hostname'));
    // Without following the last one, the link itself.
    assert.equal((await nodeFs.resolve('/etc/abs', {followLast: false, op: 'lstat'})).nodePath, '/etc/abs');
  });

  it('maps /proc and /sys to the host\'s, and /proc\'s magic links back into the node', async () => {
    assert.equal((await nodeFs.resolve('/proc/self/status', {followLast: true, op: 'stat'})).hostPath, `/proc/${process.pid}/status`);
    const viaRoot = await nodeFs.resolve('/proc/self/root/etc/hostname', {followLast: true, op: 'stat'});
    assert.equal(viaRoot.hostPath, path.join(real, 'etc/hostname'));
  });

  it('words errors as Go does, with the node\'s path and never the host\'s', async () => {
    await assert.rejects(nodeFs.resolve('/etc/nope', {followLast: true, op: 'stat'}), {message: 'stat /etc/nope: no such file or directory'});
    await assert.rejects(nodeFs.resolve('/etc/loop1', {followLast: true, op: 'stat'}), {message: 'stat /etc/loop1: too many levels of symbolic links'});
    await assert.rejects(nodeFs.resolve('/etc/hostname/x', {followLast: true, op: 'stat'}), {message: 'stat /etc/hostname/x: not a directory'});
    await assert.rejects(nodeFs.resolve('/etc/abs/x', {followLast: true, op: 'stat'}), (err) => !err.message.includes(root) && err.message === 'stat /etc/abs/x: not a directory');
  });

  it('refuses a descriptor whose real path is outside the node', async () => {
    await assert.rejects(nodeFs.openChecked('/etc/passwd', '/etc/passwd'), /refused: it leads outside the node's filesystem/);
    const inside = await nodeFs.openChecked(path.join(real, 'etc/hostname'), '/etc/hostname');
    await inside.close();
  });
});

describe('walkNode', () => {
  const root = nodeRoot();
  const nodeFs = new NodeFs(root);
  const names = async (from, maxDepth) => {
    const out = [];
    for await (const item of walkNode(nodeFs, from, {maxDepth, signal: new AbortController().signal})) out.push(item.relPath);
    return out;
  };

  it('yields the root as `.`, then byte order; depth 0 lists the children only', async () => {
    assert.deepEqual(await names('/etc', 0), ['.', 'abs', 'hostname', 'loop1', 'loop2', 'passwd', 'root', 'sub', 'up']);
    assert.deepEqual(await names('/etc', 2), ['.', 'abs', 'hostname', 'loop1', 'loop2', 'passwd', 'root', 'sub', 'sub/deep', 'up']);
  });

  it('gives a root of `/` one level more (Talos\'s slash count) and shows /proc and /sys', async () => {
    const top = await names('/', 1);
    assert.ok(top.includes('etc/hostname'), top.join(' '));
    assert.ok(top.includes('proc') && top.includes('sys'));
    assert.ok(!top.includes('etc/sub/deep'));
  });

  it('a root file is one entry named by its base name; symlinks are reported, never followed', async () => {
    assert.deepEqual(await names('/etc/hostname', -1), ['hostname']);
    const items = [];
    for await (const item of walkNode(nodeFs, '/etc', {maxDepth: -1, signal: new AbortController().signal})) items.push(item);
    assert.equal(items.find((i) => i.relPath === 'abs').link, '/etc/passwd');
    assert.ok(!items.some((i) => i.relPath.startsWith('root/')));
  });
});

describe('printing', () => {
  it('Go FileMode strings', () => {
    assert.equal(goFileModeString(goFileMode(fs.constants.S_IFDIR | 0o755)), 'drwxr-xr-x');
    assert.equal(goFileModeString(goFileMode(fs.constants.S_IFREG | 0o644)), '-rw-r--r--');
    assert.equal(goFileModeString(goFileMode(fs.constants.S_IFLNK | 0o777)), 'Lrwxrwxrwx');
    assert.equal(goFileModeString(goFileMode(fs.constants.S_IFCHR | 0o666)), 'Dcrw-rw-rw-');
    assert.equal(goFileModeString(goFileMode(fs.constants.S_IFREG | 0o4755)), 'urwxr-xr-x');
    assert.equal(goFileModeString(goFileMode(fs.constants.S_IFDIR | 0o1777)), 'dtrwxrwxrwx');
    assert.equal(goFileMode(fs.constants.S_IFDIR | 0o755), 0x800001ed);
  });

  it('go-humanize Bytes', () => {
    assert.equal(humanizeBytes(0), '0 B');
    assert.equal(humanizeBytes(9), '9 B');
    assert.equal(humanizeBytes(999), '999 B');
    assert.equal(humanizeBytes(1500), '1.5 kB');
    assert.equal(humanizeBytes(12_336), '12 kB');
    assert.equal(humanizeBytes(60_000_000), '60 MB');
  });

  it('LASTMOD: recent with seconds, older with the year, -H relative', () => {
    const now = new Date(2026, 11, 2, 13, 0, 0);
    assert.equal(lastModified(new Date(2026, 11, 2, 9, 5, 7).getTime() / 1000, false, now), 'Dec  2 09:05:07');
    assert.equal(lastModified(new Date(2025, 0, 15, 9, 5, 7).getTime() / 1000, false, now), 'Jan 15 2025 09:05');
    assert.equal(lastModified(now.getTime() / 1000 - 3 * 86400, true, now), '3 days ago');
  });

  it('go-multierror\'s list', () => {
    assert.equal(multiErrorText(['skipping "/a": x']), '1 error occurred:\n\t* skipping "/a": x\n\n');
    assert.equal(multiErrorText(['a', 'b']), '2 errors occurred:\n\t* a\n\t* b\n\n');
  });
});

/** A gzip tar made of [header, data] pairs. */
async function archive(entries) {
  const tar = tarPack();
  const chunks = [];
  tar.on('data', (c) => chunks.push(c));
  const done = new Promise((resolve) => tar.on('end', resolve));
  for (const [header, data] of entries) await new Promise((resolve, reject) => tar.entry(header, data ?? '', (e) => (e ? reject(e) : resolve())));
  tar.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

async function* once(bytes) {
  yield bytes;
}

describe('cp extraction', () => {
  it('refuses names that climb out or are absolute', () => {
    assert.equal(typeof entryParts('../x'), 'string');
    assert.equal(typeof entryParts('a/../../x'), 'string');
    assert.equal(typeof entryParts('/etc/passwd'), 'string');
    assert.deepEqual(entryParts('./a/b/'), ['a', 'b']);
  });

  for (const [label, entries, message] of [
    ['a `..` entry', [[{name: 'ok', type: 'file'}, 'x'], [{name: '../escaped', type: 'file'}, 'x']], /a "\.\." in the name/],
    ['an absolute entry', [[{name: '/tmp/escaped', type: 'file'}, 'x']], /an absolute name/],
    ['a file through a symlink it made', [[{name: 'link', type: 'symlink', linkname: scratch}], [{name: 'link/escaped', type: 'file'}, 'x']], /leads through the symlink "link"/],
    ['a duplicate entry', [[{name: 'a', type: 'file'}, 'x'], [{name: 'a', type: 'file'}, 'y']], /appears twice/],
  ]) {
    it(`refuses ${label}: nothing written, nothing left`, async () => {
      const dest = fs.mkdtempSync(path.join(scratch, 'dest-'));
      const bytes = await archive(entries);
      await assert.rejects(extractInto(await prepareDestination(dest), once(bytes), new AbortController().signal), message);
      assert.deepEqual(fs.readdirSync(dest), []);
      assert.ok(!fs.existsSync(path.join(scratch, 'escaped')));
      assert.ok(!fs.existsSync('/tmp/escaped'));
    });
  }

  it('extracts into a new folder, keeps modes, never overwrites', async () => {
    const dest = path.join(scratch, 'new-dest', 'inner');
    const bytes = await archive([[{name: 'dir/', type: 'directory', mode: 0o755}], [{name: 'dir/run', type: 'file', mode: 0o751}, '#!/bin/sh\n'], [{name: 'l', type: 'symlink', linkname: '/etc/passwd'}], [{name: 'fifo', type: 'fifo'}]]);
    await extractInto(await prepareDestination(dest), once(bytes), new AbortController().signal);
    assert.equal(fs.statSync(path.join(dest, 'dir/run')).mode & 0o777, 0o751);
    assert.equal(fs.readlinkSync(path.join(dest, 'l')), '/etc/passwd');
    assert.ok(fs.lstatSync(path.join(dest, 'fifo')).isFile());
    await assert.rejects(extractInto(await prepareDestination(dest), once(bytes), new AbortController().signal), /already exists; nothing was written/);
    assert.equal(fs.readFileSync(path.join(dest, 'dir/run'), 'utf8'), '#!/bin/sh\n');
    assert.deepEqual(fs.readdirSync(dest).sort(), ['dir', 'fifo', 'l']);
  });

  it('a truncated archive leaves nothing', async () => {
    const dest = fs.mkdtempSync(path.join(scratch, 'dest-'));
    const bytes = await archive([[{name: 'big', type: 'file'}, Buffer.alloc(100_000, 1)]]);
    await assert.rejects(extractInto(await prepareDestination(dest), once(bytes.subarray(0, bytes.length / 2)), new AbortController().signal));
    assert.deepEqual(fs.readdirSync(dest), []);
  });
});
