// Hostile trees and hostile archives, from a security review of the node filesystem (issue 7 A):
// what a node's state folder may hold (deep trees, names that are not UTF-8) and what a hostile
// node may send to `cp`. Each test failed before its fix.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, describe, it} from 'node:test';
import {NodeFs, walkNode} from '../dist/agent/inside/node-fs.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'h7a-review-'));
// rm(1): Node's recursive rm overflows its stack on the deep tree.
after(() => execFileSync('rm', ['-rf', scratch]));

async function walkAll(nodeFs, root, maxDepth = -1) {
  const items = [];
  for await (const item of walkNode(nodeFs, root, {maxDepth, signal: new AbortController().signal})) items.push(item);
  return items;
}

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
