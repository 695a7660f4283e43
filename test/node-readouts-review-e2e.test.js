// Review of the node readouts (issue 7 part B) on a real local cluster (127.59.1.x): a node that
// never answers must not hold an operator who wants out; Ctrl-C is 130 even when a node failed.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import * as net from 'node:net';
import {after, before, describe, it} from 'node:test';
import {eventually} from './helpers/agents.js';
import {createCluster, discardCluster, makeHome, runJs} from './helpers/cli.js';

const NAME = 'h7rv';
const CP = '127.59.1.2';
/** Accepts connections on the agent port and never says a word. */
const SILENT = '127.59.1.10';
/** Nothing listens there: the endpoint answers at once that the node is unreachable. */
const MISSING = '127.59.1.9';

const user = makeHome('osctl-h7-review-');
let silent;
const sockets = new Set();

before(async () => {
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => silent.once('error', reject).listen(50000, SILENT, resolve));
  await createCluster(user, ['--name', NAME, '--cidr', '127.59.1.0/24', '--controlplanes', '1', '--workers', '0']);
});

after(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve) ?? resolve());
  await discardCluster(user, NAME);
});

describe('processes -w with a node that never answers', () => {
  it('q ends the terminal view at once (0), and so does Ctrl-C (130), without waiting out the node', async () => {
    for (const [key, code] of [['q', 0], ['\x03', 130]]) {
      const command = `stty rows 6 cols 70; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(runJs)} -n ${CP},${SILENT} processes -w`;
      const child = spawn('script', ['-qfec', command, '/dev/null'], {env: user.env, stdio: ['pipe', 'pipe', 'pipe']});
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const closed = new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? signal)));
      try {
        await eventually(() => assert.ok(out.includes('\x1b[?1049h'), JSON.stringify(out)), 15_000, 50);
        // The first round waits on the silent node (the endpoint gives up on it after 10 s).
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const pressed = Date.now();
        child.stdin.write(key);
        assert.equal(await closed, code, JSON.stringify(out.slice(-300)));
        const took = Date.now() - pressed;
        assert.ok(took < 3000, `ended ${took} ms after the key`);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      assert.ok(out.trimEnd().endsWith('\x1b[?1049l'), 'the terminal was given back');
    }
  });
});

describe('processes -w with a node that fails', () => {
  it('Ctrl-C on the terminal ends with 130 (as the signal would), q with 3 (a node failed in the last round)', async () => {
    for (const [key, code] of [['\x03', 130], ['q', 3]]) {
      const command = `stty rows 8 cols 200; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(runJs)} -n ${CP},${MISSING} processes -w`;
      const child = spawn('script', ['-qfec', command, '/dev/null'], {env: user.env, stdio: ['pipe', 'pipe', 'pipe']});
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const closed = new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? signal)));
      try {
        await eventually(() => assert.match(out, new RegExp(`error from node ${MISSING.replaceAll('.', '\\.')}: `)), 15_000, 50);
        child.stdin.write(key);
        assert.equal(await closed, code, JSON.stringify(out.slice(-300)));
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    }
  });
});
