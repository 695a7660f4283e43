// What this build of osctl and osd is: the package version, and the commit and time that
// `npm run build` recorded in dist/build-info.json (scripts/build-info.js), so neither side runs
// git at run time. Reported by osd's Version RPC and Versions resource and by `osctl version`.
import {readFileSync} from 'node:fs';

export interface BuildInfo {
  /** `v` + the package version, e.g. `v0.1.0`. */
  tag: string;
  /** The git commit the build was made from, or `unknown`. */
  sha: string;
  /** When the build was made (ISO 8601), or `` when unknown. */
  built: string;
  /** The runtime, e.g. `node v20.17.0` (reported in the legacy go_version field). */
  runtime: string;
  os: string;
  /** Go architecture names, as Talos reports them. */
  arch: string;
}

const GO_ARCH: Record<string, string> = {x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x'};

/** `version` is the package version when the caller already has it (the CLI reads it from its manifest). */
export function readBuildInfo(version?: string): BuildInfo {
  const recorded = readJson(new URL('../build-info.json', import.meta.url)) as {sha?: unknown; built?: unknown};
  const packageVersion = version ?? String((readJson(new URL('../../package.json', import.meta.url)) as {version?: unknown}).version ?? '0.0.0');
  return {
    tag: `v${packageVersion}`,
    sha: typeof recorded.sha === 'string' ? recorded.sha : 'unknown',
    built: typeof recorded.built === 'string' ? recorded.built : '',
    runtime: `node ${process.version}`,
    os: process.platform,
    arch: GO_ARCH[process.arch] ?? process.arch,
  };
}

function readJson(url: URL): object {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as object;
  } catch {
    return {};
  }
}
