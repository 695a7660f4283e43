// Running the built CLI as a user would, in a throw-away HOME, and cleaning up what it started.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import {isNodeProcess} from '../../dist/cli/cluster/processes.js';
import {endRecordedProcessGroups} from './process-groups.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const runJs = path.join(root, 'bin', 'run.js');

/** A fresh HOME (so ~/.talos is private to the test) and an environment pointing at it. */
export function makeHome(prefix = 'osctl-test-') {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const env = {...process.env, HOME: home};
  delete env.TALOSCONFIG;
  delete env.TALOS_HOME;
  delete env.NODE_EXTRA_CA_CERTS;
  return {home, env, talosconfig: path.join(home, '.talos', 'config')};
}

/**
 * Runs `osctl <args>` to completion; resolves with its exit code and output. `prefix`: a command
 * osctl runs under (e.g. nsenter). `interruptAfterLine`: Ctrl-C (SIGINT, by PID) once a whole
 * line is printed, for watches.
 */
export function osctl(args, {env, timeoutMs = 60_000, cwd = root, prefix = [], interruptAfterLine = false} = {}) {
  const command = [...prefix, process.execPath, runJs, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), {env, cwd, stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (interruptAfterLine && stdout.includes('\n')) process.kill(child.pid, 'SIGINT');
    });
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`osctl ${args.join(' ')} did not ${interruptAfterLine ? 'print a line' : 'end'} in ${timeoutMs / 1000}s\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({code: code ?? signal, stdout, stderr});
    });
  });
}

/** Starts `osctl <args>` and leaves it running (for watches); the caller stops it. */
export function osctlSpawn(args, {env} = {}) {
  return spawn(process.execPath, [runJs, ...args], {env, cwd: root, stdio: ['ignore', 'pipe', 'pipe']});
}

export function clusterDescription(home, name) {
  return JSON.parse(fs.readFileSync(path.join(home, '.talos', 'clusters', name, 'cluster.json'), 'utf8'));
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Safety net after `cluster destroy`: stops, by PID, any agent of cluster `name` (of every cluster
 * in `home` when omitted) that still runs, then the services and pods its state dir records; a PID
 * that now runs another program is left alone.
 */
export async function killClusterLeftovers(home, name) {
  const clusters = path.join(home, '.talos', 'clusters');
  const names = name !== undefined ? [name] : fs.existsSync(clusters) ? fs.readdirSync(clusters) : [];
  for (const each of names) {
    let description;
    try {
      description = clusterDescription(home, each);
    } catch {
      continue; // no description: nothing was started
    }
    for (const node of description.nodes ?? []) {
      if (isNodeProcess(node.pid, node.stateDir)) {
        try {
          process.kill(node.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        // Only a dead osd stops recording groups (a zombie counts as dead).
        for (let waited = 0; waited < 2000 && isNodeProcess(node.pid, node.stateDir); waited += 20) await delay(20);
      }
      if (typeof node.stateDir === 'string') await endRecordedProcessGroups(node.stateDir);
    }
  }
}

/** `osctl cluster create <args>` in `user`'s HOME (from makeHome); fails the caller with osctl's stderr. */
export async function createCluster({env}, args) {
  const created = await osctl(['cluster', 'create', ...args], {env, timeoutMs: 120_000});
  assert.equal(created.code, 0, `cluster create failed:\n${created.stderr}`);
}

/** Destroys cluster `name`, stops by PID whatever it left running, and removes the HOME. */
export async function discardCluster({home, env}, name) {
  await osctl(['cluster', 'destroy', '--name', name], {env});
  await killClusterLeftovers(home, name);
  fs.rmSync(home, {recursive: true, force: true});
}
