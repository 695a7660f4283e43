// Review of the node readouts (issue 7 part B) without a cluster: hostile process names in the
// COMMAND column; a process whose arguments cannot be read (its memory map locked) holds neither
// the call nor more than one pool thread; a /dev/kmsg that is /dev/null (as containers map it) with
// --tail ends instead of spinning the agent's event loop.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import {describe, it} from 'node:test';
import {nodeProcessInfos} from '../dist/agent/inside/process-info.js';
import {processCommandLine} from '../dist/cli/output/readouts-view.js';

describe('COMMAND column with hostile names', () => {
  it('an executable path with `$&`, `$\'` or `$$` replaces the program name as it is (strings.Replace has no patterns)', () => {
    for (const executable of ['/opt/a$&b/sleep', "/opt/x$'y/sleep", '/opt/$$/sleep', '/opt/$`/sleep']) {
      assert.equal(processCommandLine({command: 'sleep', executable, args: 'sleep 10'}), `${executable} 10`);
    }
  });
});

describe('Processes with a process whose cmdline read never returns', () => {
  it('the call answers within the deadline, the process shown without arguments; later calls start no second read', async () => {
    const stuck = process.pid;
    let stuckReads = 0;
    const reader = (pid) => {
      if (pid === stuck) {
        stuckReads++;
        return new Promise(() => {}); // as a read blocked in the kernel: it never settles
      }
      return fs.promises.readFile(`/proc/${pid}/cmdline`).catch(() => undefined);
    };
    for (let round = 0; round < 3; round++) {
      const started = Date.now();
      const infos = await nodeProcessInfos({scope: 'node', pid: process.pid}, {reader, deadlineMs: 200});
      assert.ok(Date.now() - started < 2000, `round ${round} took ${Date.now() - started} ms`);
      const self = infos.find((p) => p.pid === stuck);
      assert.ok(self, 'the stuck process is listed');
      assert.equal(self.args, '');
      assert.equal(self.executable, fs.readlinkSync('/proc/self/exe'));
    }
    assert.equal(stuckReads, 1, 'one stuck read, however often Processes is called');
  });
});

describe('dmesg --tail on a /dev/kmsg that is /dev/null', () => {
  it('the reader ends (nothing to send) instead of spinning forever without giving the event loop back', async () => {
    // In a child: the spin starves the event loop, so no timer of this process could stop it.
    const script = `
      const {openKmsg, readKmsg} = await import(${JSON.stringify(new URL('../dist/agent/inside/kmsg.js', import.meta.url).href)});
      const handle = await openKmsg('/dev/null');
      let records = 0;
      for await (const packet of readKmsg(handle, {follow: true, tail: true, signal: AbortSignal.timeout(2000), pollMs: 20})) records++;
      await handle.close();
      process.stdout.write('records ' + records);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? signal)));
    clearTimeout(timer);
    assert.equal(code, 0, out);
    assert.equal(out, 'records 0');
  });
});
