// `cluster destroy` gives each osd 5 s to stop; a pod that ignores SIGTERM holds its osd for 10 s,
// so destroy has to SIGKILL that osd, which can then no longer stop the pod. Destroy must end the
// process groups the killed osd recorded, or the pod would run on with its state folder gone.
// Subnet 127.51.1.0/24.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {clusterDescription, createCluster, discardCluster, makeHome, osctl} from './helpers/cli.js';
import {eventually} from './helpers/agents.js';

const NAME = 'leftovers';
const user = makeHome('osctl-destroy-leftovers-');
const MARK = `osctl-destroy-leftovers-${process.pid}`;

/** Whether `pid` runs (a zombie, whose parent has not reaped it yet, does not). */
function running(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1][0] !== 'Z';
  } catch {
    return false;
  }
}

/** PIDs of processes whose environment carries MARK (the pod's), read from /proc. */
function markedProcesses() {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (running(entry) && fs.readFileSync(`/proc/${entry}/environ`, 'latin1').includes(MARK)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

describe('cluster destroy after killing an osd that could not stop in time', {timeout: 120_000}, () => {
  before(async () => {
    const patch = path.join(user.home, 'stubborn.yaml');
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name: 'stubborn', namespace: 'default'},
      spec: {
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: ['sh', '-c', "trap '' TERM; while :; do sleep 1; done"],
            env: [{name: 'MARK', value: MARK}],
          },
        ],
      },
    };
    fs.writeFileSync(patch, JSON.stringify({machine: {pods: [pod]}}));
    await createCluster(user, ['--name', NAME, '--cidr', '127.51.1.0/24', '--controlplanes', '1', '--workers', '0', '--config-patch', `@${patch}`]);
  });

  after(async () => {
    for (const pid of markedProcesses()) process.kill(-pid, 'SIGKILL');
    await discardCluster(user, NAME);
  });

  it('ends the pod the killed osd left running', async () => {
    await eventually(() => assert.ok(markedProcesses().length > 0, 'the pod runs'), 20_000);
    const [node] = clusterDescription(user.home, NAME).nodes;
    const destroyed = await osctl(['cluster', 'destroy', '--name', NAME], {env: user.env, timeoutMs: 30_000});
    assert.equal(destroyed.code, 0, destroyed.stderr);
    assert.equal(running(node.pid), false, 'osd is gone');
    await eventually(() => assert.deepEqual(markedProcesses(), [], 'no process of the pod is left'), 5_000);
  });
});
