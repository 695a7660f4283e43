// What this osd build is: reported by the Version RPC and the Versions resource.
import {execFile} from 'node:child_process';
import {readFile, stat} from 'node:fs/promises';
import {dirname} from 'node:path';
import {fileURLToPath} from 'node:url';

export interface BuildInfo {
  /** `v` + the package version, e.g. `v0.1.0`. */
  tag: string;
  /** The git commit of the installation, or `unknown`. */
  sha: string;
  /** When the agent was compiled (ISO 8601). */
  built: string;
  /** The runtime, e.g. `node v20.17.0` (reported in the legacy go_version field). */
  runtime: string;
  os: string;
  /** Go architecture names, as Talos reports them. */
  arch: string;
}

const GO_ARCH: Record<string, string> = {x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x'};

export async function readBuildInfo(): Promise<BuildInfo> {
  const packageJsonUrl = new URL('../../package.json', import.meta.url);
  const packageRoot = dirname(fileURLToPath(packageJsonUrl));
  const {version} = JSON.parse(await readFile(packageJsonUrl, 'utf8')) as {version: string};
  // The compiled module's mtime is the build time of this installation.
  const built = (await stat(fileURLToPath(import.meta.url))).mtime.toISOString();
  return {
    tag: `v${version}`,
    sha: await gitCommit(packageRoot),
    built,
    runtime: `node ${process.version}`,
    os: process.platform,
    arch: GO_ARCH[process.arch] ?? process.arch,
  };
}

function gitCommit(directory: string): Promise<string> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', 'HEAD'], {cwd: directory, timeout: 2000}, (error, stdout) => {
      const sha = stdout.trim();
      resolve(error === null && /^[0-9a-f]{40}$/.test(sha) ? sha : 'unknown');
    });
  });
}
