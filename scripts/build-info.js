// Records the commit and time of this build in dist/build-info.json (read by src/machinery/build-info.ts),
// so neither osctl nor osd runs git at run time.
import {execFileSync} from 'node:child_process';
import {writeFileSync} from 'node:fs';

let sha = 'unknown';
try {
  const head = execFileSync('git', ['rev-parse', 'HEAD'], {cwd: new URL('..', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
  if (/^[0-9a-f]{40}$/.test(head)) sha = head;
} catch {
  // not a git checkout (e.g. an unpacked tarball)
}
writeFileSync(new URL('../dist/build-info.json', import.meta.url), `${JSON.stringify({sha, built: new Date().toISOString()})}\n`);
