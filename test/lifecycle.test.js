// The parts of Reboot, Reset and Shutdown that need no running node: the reset request's checks
// and plan, the wipe (confined to the node's root), one action at a time, Shutdown's roles, and
// pflag's `--flag=false` for booleans.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, describe, it} from 'node:test';
import {status} from '@grpc/grpc-js';
import {NodeControl} from '../dist/agent/lifecycle/control.js';
import {resetPlan} from '../dist/agent/lifecycle/reset-plan.js';
import {wipeEphemeral, wipeMeta} from '../dist/agent/lifecycle/wipe.js';
import {isAuthorized} from '../dist/agent/server/roles.js';
import {pflagBooleans, scanArgv} from '../dist/cli/argv.js';
import {ResetRequest} from '../dist/machinery/api/machine/machine.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'osd-lifecycle-unit-'));
after(() => fs.rmSync(scratch, {recursive: true, force: true}));

const request = (fields) => ResetRequest.fromPartial(fields);
const labels = (...names) => names.map((label) => ({label, wipe: true}));

describe('reset plan', () => {
  it('default (no labels): the system disk, which on osd is EPHEMERAL and META (STATE is kept)', () => {
    assert.deepEqual(resetPlan(request({})), {wipeEphemeral: true, wipeMeta: true});
    assert.deepEqual(resetPlan(request({mode: 1})), {wipeEphemeral: true, wipeMeta: true});
    assert.deepEqual(resetPlan(request({mode: 2})), {wipeEphemeral: false, wipeMeta: false});
  });

  it('labels pick the volumes; a label with wipe=false is not wiped', () => {
    assert.deepEqual(resetPlan(request({systemPartitionsToWipe: labels('EPHEMERAL')})), {wipeEphemeral: true, wipeMeta: false});
    assert.deepEqual(resetPlan(request({systemPartitionsToWipe: labels('META')})), {wipeEphemeral: false, wipeMeta: true});
    assert.deepEqual(resetPlan(request({systemPartitionsToWipe: [{label: 'EPHEMERAL', wipe: false}]})), {wipeEphemeral: false, wipeMeta: false});
  });

  it('Talos\'s validation texts (plain errors: code Unknown), in its order', () => {
    const refused = (fields, code, text) => assert.throws(() => resetPlan(request(fields)), (error) => error.code === code && error.details === text);
    refused({mode: 1, userDisksToWipe: ['/dev/sda']}, status.UNKNOWN, "reset failed: invalid input, wipe mode SYSTEM_DISK doesn't support UserDisksToWipe parameter");
    refused({userDisksToWipe: ['/dev/vdb']}, status.UNKNOWN, "reset user disk failed: device /dev/vdb wasn't found");
    refused({mode: 2, systemPartitionsToWipe: labels('EPHEMERAL')}, status.UNKNOWN, "reset failed: invalid input, wipe mode USER_DISKS doesn't support SystemPartitionsToWipe parameter");
    refused({systemPartitionsToWipe: labels('EPHEMERAL', 'BOOT')}, status.UNKNOWN, 'failed to get volume status with label "BOOT": resource VolumeStatuses.block.talos.dev(runtime/BOOT@undefined) doesn\'t exist');
    assert.throws(() => resetPlan(request({systemPartitionsToWipe: labels('STATE')})), (error) => error.code === status.FAILED_PRECONDITION && /osd cannot wipe STATE/.test(error.details));
  });
});

describe('wipe', () => {
  function node(name) {
    const root = path.join(scratch, name);
    for (const dir of ['var/lib/etcd/member', 'var/log/pods/x', 'etc', 'system/state']) fs.mkdirSync(path.join(root, dir), {recursive: true});
    fs.writeFileSync(path.join(root, 'var/lib/etcd/member/db'), 'data');
    fs.writeFileSync(path.join(root, 'var/log/osd.log'), 'osd');
    fs.writeFileSync(path.join(root, 'var/log/osd.console.log'), 'console');
    fs.writeFileSync(path.join(root, 'var/log/pods/x/0.log'), 'pod');
    fs.writeFileSync(path.join(root, 'system/state/config.yaml'), 'config');
    fs.writeFileSync(path.join(root, 'system/state/meta'), 'meta');
    return root;
  }

  it('EPHEMERAL: var is emptied except osd\'s log files and laid out again; links are removed, not followed', async () => {
    const root = node('a');
    const outside = path.join(scratch, 'outside-a');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'keep'), 'keep');
    fs.symlinkSync(outside, path.join(root, 'var/lib/out'));
    fs.symlinkSync(path.join(outside, 'keep'), path.join(root, 'var/log/linked.log'));
    await wipeEphemeral(root);
    assert.deepEqual(fs.readdirSync(path.join(root, 'var'), {recursive: true}).sort(), ['lib', 'log', 'log/osd.console.log', 'log/osd.log']);
    assert.equal(fs.readFileSync(path.join(outside, 'keep'), 'utf8'), 'keep');
    assert.equal(fs.readFileSync(path.join(root, 'system/state/config.yaml'), 'utf8'), 'config');
    assert.equal(fs.readFileSync(path.join(root, 'var/log/osd.log'), 'utf8'), 'osd');
  });

  it('a var that is a symbolic link (or var/log that is one) is not followed out of the node', async () => {
    const root = path.join(scratch, 'b');
    const outside = path.join(scratch, 'outside-b');
    fs.mkdirSync(path.join(outside, 'lib'), {recursive: true});
    fs.writeFileSync(path.join(outside, 'lib/precious'), 'x');
    fs.mkdirSync(root);
    fs.symlinkSync(outside, path.join(root, 'var'));
    await assert.rejects(wipeEphemeral(root), /is not a directory of the node/);
    assert.equal(fs.readFileSync(path.join(outside, 'lib/precious'), 'utf8'), 'x');

    const c = node('c');
    fs.rmSync(path.join(c, 'var/log'), {recursive: true});
    fs.symlinkSync(outside, path.join(c, 'var/log'));
    await wipeEphemeral(c);
    assert.equal(fs.readFileSync(path.join(outside, 'lib/precious'), 'utf8'), 'x');
    assert.ok(fs.lstatSync(path.join(c, 'var/log')).isDirectory());
  });

  it('a node without var gets its empty layout; META removes only the META file', async () => {
    const root = path.join(scratch, 'd');
    fs.mkdirSync(root);
    await wipeEphemeral(root);
    assert.deepEqual(fs.readdirSync(path.join(root, 'var')).sort(), ['lib', 'log']);
    const e = node('e');
    await wipeMeta(e);
    assert.deepEqual(fs.readdirSync(path.join(e, 'system/state')), ['config.yaml']);
    await wipeMeta(e); // nothing to remove is fine
  });
});

describe('node control', () => {
  it('hands one action at a time to whoever waits, and refuses another meanwhile', async () => {
    const control = new NodeControl();
    const waiting = control.next();
    control.request({kind: 'reboot', actorId: 'a1', restart: true});
    assert.equal((await waiting).actorId, 'a1');
    assert.throws(
      () => control.request({kind: 'shutdown', actorId: 'a2', restart: false}),
      (error) => error.code === status.FAILED_PRECONDITION && error.details === 'shutdown is not possible now: the node is already rebooting (actor a1)',
    );
    control.done();
    control.request({kind: 'reset', actorId: 'a3', restart: false});
    assert.equal((await control.next()).actorId, 'a3', 'an action asked for before anyone waits is kept');
  });
});

describe('roles', () => {
  it('Shutdown and Reboot: os:admin and os:operator (Talos\'s table); Reset: os:admin only', () => {
    for (const method of ['Shutdown', 'Reboot']) {
      assert.ok(isAuthorized(`/machine.MachineService/${method}`, ['os:operator']), method);
      assert.ok(!isAuthorized(`/machine.MachineService/${method}`, ['os:reader']), method);
    }
    assert.ok(isAuthorized('/machine.MachineService/Reset', ['os:admin']));
    assert.ok(!isAuthorized('/machine.MachineService/Reset', ['os:operator']));
  });
});

describe('pflag booleans', () => {
  const flags = [
    {name: 'graceful', type: 'boolean', allowNo: true},
    {name: 'reboot', type: 'boolean'},
    {name: 'wipe-mode', type: 'option'},
  ];

  it('--flag=false|true (Go\'s ParseBool words) become oclif\'s --no-flag / --flag; an unset-able false is dropped', () => {
    assert.deepEqual(pflagBooleans(['--graceful=false', '--reboot=true', '--wipe-mode=all'], flags), ['--no-graceful', '--reboot', '--wipe-mode=all']);
    assert.deepEqual(pflagBooleans(['--graceful=1', '--reboot=F'], flags), ['--graceful']);
    assert.deepEqual(pflagBooleans(['--reboot', '--graceful'], flags), ['--reboot', '--graceful']);
  });

  it('the scanner gives the fast path the value; other values stay for oclif to refuse', () => {
    const [item] = scanArgv(['--graceful=false'], flags);
    assert.deepEqual([item.kind, item.value], ['flag', 'false']);
    assert.equal(scanArgv(['--graceful=maybe'], flags)[0].kind, 'other');
    assert.equal(scanArgv(['--graceful'], flags)[0].value, undefined);
  });
});
