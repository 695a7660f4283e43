// Regenerates the committed TypeScript protobuf code in src/machinery/api/ from the
// .proto sources in proto/, using buf with the local ts-proto plugin
// (buf.gen.yaml). Run with `npm run gen`; test/gen.test.js imports
// `generate` to check that the committed output is fresh.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const committedGenDir = join(repoRoot, 'src', 'machinery', 'api');

// The plugin `out` directory in buf.gen.yaml, relative to buf's `-o` base.
const TEMPLATE_OUT_DIR = join('src', 'machinery', 'api');

// grpc-js hands deserializers a Buffer. Under the pinned @types/node 20.9.x,
// Buffer is not assignable to TypeScript 5.9's Uint8Array<ArrayBufferLike>,
// so the generated `X.decode(value)` fails to type-check; pass the decoder a
// zero-copy Uint8Array view of the same bytes instead.
const BUFFER_DECODE_CALL = /(Deserialize: \(value: Buffer\): [\w.]+ =>\s*[\w.]+\.decode\()value\)/g;
const UINT8_VIEW_ARGUMENT = '$1new Uint8Array(value.buffer, value.byteOffset, value.byteLength))';

/** Relative paths (with `/` separators) of all files under `dir`, sorted. */
export function listFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name)).split(sep).join('/'))
    .sort();
}

/**
 * Generates the TypeScript code into `targetDir`, replacing whatever was
 * there. buf writes into a private temporary directory first, so a failed run
 * leaves `targetDir` untouched.
 */
export function generate(targetDir) {
  const workDir = mkdtempSync(join(tmpdir(), 'osctl-gen-'));
  try {
    execFileSync(join(repoRoot, 'node_modules', '.bin', 'buf'), ['generate', '--template', 'buf.gen.yaml', '-o', workDir], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const producedDir = join(workDir, TEMPLATE_OUT_DIR);
    for (const file of listFiles(producedDir)) {
      const path = join(producedDir, file);
      writeFileSync(path, readFileSync(path, 'utf8').replace(BUFFER_DECODE_CALL, UINT8_VIEW_ARGUMENT));
    }
    rmSync(targetDir, { recursive: true, force: true });
    cpSync(producedDir, targetDir, { recursive: true });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  generate(committedGenDir);
  console.log(`generated ${listFiles(committedGenDir).length} files into ${relative(repoRoot, committedGenDir)}/`);
}
