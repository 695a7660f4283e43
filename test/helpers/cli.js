// Running the built CLI as a user would, in a throw-away HOME, and cleaning up what it started.
import {spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';

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

/** Runs `osctl <args>` to completion; resolves with its exit code and output. */
export function osctl(args, {env, timeoutMs = 60_000, cwd = root} = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runJs, ...args], {env, cwd, stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`osctl ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
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

/** Safety net after `cluster destroy`: stop any agent of the cluster that is still running, by PID. */
export function killClusterLeftovers(home, name) {
  let description;
  try {
    description = clusterDescription(home, name);
  } catch {
    return;
  }
  for (const node of description.nodes ?? []) {
    if (node.pid && isAlive(node.pid)) {
      try {
        process.kill(node.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
