// YAML alias bombs: every YAML input (machine config, talosconfig, node answers) goes through
// src/machinery/yaml.ts, which refuses excessive aliasing as go-yaml v3 does, before any value is built.
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {MachineConfigParseError, parseMachineConfig} from '../dist/machinery/machineconfig/index.js';
import {loadYaml, loadYamlDocuments} from '../dist/machinery/yaml.js';
import {TalosConfigError, readTalosconfig} from '../dist/cli/talosconfig.js';
import {parseAffiliate} from '../dist/agent/controllers/discovery.js';

/** `levels` anchors, each a list of `width` aliases of the one before: width^levels nodes once expanded. */
function bomb(levels, indent = '', width = 10) {
  const lines = [`${indent}a0: &a0 [${Array(width).fill('"lol"').join(', ')}]`];
  for (let i = 1; i < levels; i++) lines.push(`${indent}a${i}: &a${i} [${Array(width).fill(`*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

/** Runs `fn`, which must throw; returns the error and how long it took. */
function timedThrow(fn) {
  const started = process.hrtime.bigint();
  try {
    fn();
  } catch (error) {
    return {error, ms: Number(process.hrtime.bigint() - started) / 1e6};
  }
  assert.fail('expected an error');
}

const MACHINE_CONFIG_HEAD = 'version: v1alpha1\nmachine:\n  type: controlplane\n';

describe('YAML alias bombs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yaml-safety-'));
  after(() => fs.rmSync(dir, {recursive: true, force: true}));

  it('refuses a machine config with nested anchors at once, naming the line', () => {
    // Under an unknown key the whole value is rendered into the error: this took 28 s and 1 GB before
    // (five levels; each further level multiplies that by ten).
    const text = `${MACHINE_CONFIG_HEAD}  bomb:\n${bomb(5, '    ')}`;
    const {error, ms} = timedThrow(() => parseMachineConfig(text));
    assert.ok(error instanceof MachineConfigParseError, String(error));
    assert.match(error.message, /^decode error: yaml: line \d+: document contains excessive aliasing/);
    assert.ok(ms < 1000, `took ${ms} ms`);
  });

  it('refuses a talosconfig with nested anchors at once, naming the file', () => {
    const file = path.join(dir, 'talosconfig');
    fs.writeFileSync(file, `context: a\ncontexts:\n  a:\n    endpoints: [127.31.0.1]\n    extra:\n${bomb(9, '      ')}`);
    const {error, ms} = timedThrow(() => readTalosconfig(file));
    assert.ok(error instanceof TalosConfigError, String(error));
    assert.match(error.message, new RegExp(`talosconfig "${file}" is invalid: .*document contains excessive aliasing`));
    assert.ok(ms < 1000, `took ${ms} ms`);
  });

  it('refuses a bomb in a discovery affiliate file', () => {
    const result = parseAffiliate(`nodeId: x\n${bomb(9)}`);
    assert.match(result, /not YAML: document contains excessive aliasing/);
  });

  it('refuses an anchor whose value contains itself', () => {
    assert.throws(() => loadYaml('a: &x [1, *x]\n'), /anchor "x" value contains itself/);
    assert.throws(() => parseMachineConfig(`${MACHINE_CONFIG_HEAD}  bomb: &x {a: *x}\n`), /anchor "x" value contains itself/);
  });

  it('keeps ordinary anchors and aliases working', () => {
    assert.deepEqual(loadYaml('a: &x {b: 1}\nc: *x\nd: [*x, *x]\n'), {a: {b: 1}, c: {b: 1}, d: [{b: 1}, {b: 1}]});
    // Three levels (1,110 expanded nodes) is what go-yaml still accepts for a small document.
    assert.equal(loadYaml(bomb(3)).a2.flat(2).length, 1000);
    // Many aliases of a small anchor in a large document: a small share of the nodes.
    const big = `base: &b {k: v, l: w}\nitems:\n${Array.from({length: 2000}, (_, i) => `  - {n: ${i}, ref: *b}`).join('\n')}\n`;
    assert.equal(loadYaml(big).items.length, 2000);
    assert.deepEqual(loadYamlDocuments('a: &x 1\nb: *x\n---\nc: 2\n'), [{a: 1, b: 1}, {c: 2}]);
    const config = parseMachineConfig(`${MACHINE_CONFIG_HEAD}  token: &t abc\n  nodeLabels: {x: *t}\n`);
    assert.deepEqual(config.v1alpha1.machine.nodeLabels, {x: 'abc'});
  });

  it('counts anchors per document', () => {
    // Each document alone stays below the bound; go-yaml counts per document too.
    const text = Array.from({length: 5}, () => bomb(3)).join('---\n');
    assert.equal(loadYamlDocuments(text).length, 5);
  });
});
