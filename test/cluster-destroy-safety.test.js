// `cluster destroy` removes only folders it can prove are local clusters osctl made, and applies
// create's name rule: hostile names (`..`, `../..`, `.`, ``) never reach the file system.
import {after, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {makeHome, osctl} from './helpers/cli.js';

describe('cluster destroy touches nothing outside <TALOS_HOME>/clusters/<name>/', () => {
  const {home, env} = makeHome('osctl-destroy-');
  const talos = path.join(home, '.talos');
  const clusters = path.join(talos, 'clusters');
  // What a careless rm would take with it: the user's files, the talosconfig, other clusters' CA keys.
  fs.mkdirSync(path.join(clusters, 'other'), {recursive: true});
  fs.writeFileSync(path.join(home, 'precious.txt'), 'keep me\n');
  fs.writeFileSync(path.join(talos, 'config'), 'context: x\ncontexts:\n  x:\n    endpoints: [127.0.0.1]\n');
  fs.writeFileSync(path.join(clusters, 'other', 'cluster.json'), JSON.stringify({name: 'other', nodes: []}));
  fs.mkdirSync(path.join(clusters, 'stranger'));
  fs.writeFileSync(path.join(clusters, 'stranger', 'notes.txt'), 'not a cluster\n');
  fs.symlinkSync(home, path.join(clusters, 'linked'));

  const untouched = () => {
    assert.equal(fs.readFileSync(path.join(home, 'precious.txt'), 'utf8'), 'keep me\n');
    assert.ok(fs.existsSync(path.join(talos, 'config')));
    assert.ok(fs.existsSync(path.join(clusters, 'other', 'cluster.json')));
    assert.ok(fs.existsSync(path.join(clusters, 'stranger', 'notes.txt')));
  };
  after(() => fs.rmSync(home, {recursive: true, force: true}));

  for (const name of ['..', '../..', '.', '', '/', 'a/../..', 'Other', '-x']) {
    test(`--name ${JSON.stringify(name)} is refused as a usage error and removes nothing`, async () => {
      const result = await osctl(['cluster', 'destroy', `--name=${name}`], {env});
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /is not a valid cluster name/);
      untouched();
    });
  }

  test('a folder without cluster.json (or create marker) is not removed', async () => {
    const result = await osctl(['cluster', 'destroy', '--name', 'stranger'], {env});
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /stranger is not a local cluster osctl recognises \(it has no cluster\.json\); nothing was removed/);
    untouched();
  });

  test('a symlink in the clusters folder is not followed or removed', async () => {
    const result = await osctl(['cluster', 'destroy', '--name', 'linked'], {env});
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /it is not a directory/);
    assert.ok(fs.lstatSync(path.join(clusters, 'linked')).isSymbolicLink());
    untouched();
  });

  test('cluster show applies the same name rule', async () => {
    const result = await osctl(['cluster', 'show', '--name', '..'], {env});
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /is not a valid cluster name/);
  });

  test('an interrupted create (only its marker) is removed', async () => {
    fs.mkdirSync(path.join(clusters, 'half'));
    fs.writeFileSync(path.join(clusters, 'half', '.osctl-creating'), '1\n');
    fs.mkdirSync(path.join(clusters, 'half', 'half-controlplane-1'));
    const result = await osctl(['cluster', 'destroy', '--name', 'half'], {env});
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!fs.existsSync(path.join(clusters, 'half')));
    untouched();
  });

  test('a described cluster with no processes is removed, and only its folder', async () => {
    const result = await osctl(['cluster', 'destroy', '--name', 'other'], {env});
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!fs.existsSync(path.join(clusters, 'other')));
    assert.ok(fs.existsSync(path.join(clusters, 'stranger', 'notes.txt')));
    assert.equal(fs.readFileSync(path.join(home, 'precious.txt'), 'utf8'), 'keep me\n');
  });
});
