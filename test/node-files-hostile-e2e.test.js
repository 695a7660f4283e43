// Hostile trees in a node's state folder against real osd agents (127.61.1.x: one control plane,
// one worker, every call through the control plane's endpoint to the worker): a tree thousands of
// levels deep (it overflowed osd's walk) and names that are not UTF-8 (the lossy name listed
// another entry). osd keeps serving after each.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {clusterDescription, createCluster, discardCluster, makeHome, osctl} from './helpers/cli.js';

const NAME = 'h7areview';
const CP = '127.61.1.2';
const W = '127.61.1.3';
const user = makeHome('osctl-h7a-review-');
const run = (args) => osctl(args, {env: user.env, timeoutMs: 120_000});

before(async () => {
  await createCluster(user, ['--name', NAME, '--cidr', '127.61.1.0/24', '--controlplanes', '1', '--workers', '1']);
  const state = clusterDescription(user.home, NAME).nodes.find((n) => n.address === W).stateDir;
  const cwd = process.cwd();
  try {
    process.chdir(path.join(state, 'var'));
    fs.mkdirSync('deep');
    process.chdir('deep');
    for (let i = 0; i < 2500; i++) {
      fs.mkdirSync('a');
      process.chdir('a');
    }
  } finally {
    process.chdir(cwd);
  }
  const names = path.join(state, 'var/names');
  fs.mkdirSync(names);
  fs.writeFileSync(Buffer.concat([Buffer.from(names + '/b'), Buffer.from([0xff])]), 'hidden');
  fs.writeFileSync(path.join(names, 'b\uFFFD'), 'replacement');
});

after(async () => {
  let state;
  try {
    state = clusterDescription(user.home, NAME).nodes.find((n) => n.address === W).stateDir;
  } catch {
    // no cluster was made
  }
  if (state) execFileSync('rm', ['-rf', path.join(state, 'var/deep')]); // too deep for Node's rm
  await discardCluster(user, NAME);
});

describe('hostile trees through the endpoint to another node', () => {
  it('ls -r and usage of a tree deeper than a path can be: an entry error, then osd still serves', async () => {
    const r = await run(['-e', CP, '-n', W, 'ls', '-r', '/var/deep']);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stdout.split('\n').length > 2000);
    assert.match(r.stderr, /error reading file \/var\/deep(\/a)+: .*file name too long/);
    const u = await run(['-e', CP, '-n', W, 'usage', '/var/deep']);
    assert.equal(u.code, 1, u.stderr);
    assert.match(u.stdout, /^SIZE +NAME\n\d+ +\.\n$/);
    const again = await run(['-e', CP, '-n', W, 'ls', '/var']);
    assert.equal(again.code, 0, again.stderr);
  });

  it('a name that is not UTF-8 is an entry error naming it with \\xNN; the other entry shows once', async () => {
    const r = await run(['-e', CP, '-n', W, 'ls', '/var/names']);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.stdout.split('\n').filter(Boolean), ['.', 'b\uFFFD']);
    assert.equal(r.stderr, `${W}: error reading file /var/names/b\\xff: lstat /var/names/b\\xff: file name is not valid UTF-8\n`);
  });
});
