// Generated protobuf code: freshness of the committed src/machinery/api/ against the
// .proto sources, and wire-format facts our clients and agent rely on.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { committedGenDir, generate, listFiles } from '../scripts/gen.js';
import { Empty } from '../dist/machinery/api/common/common.js';
import { Version, VersionResponse } from '../dist/machinery/api/machine/machine.js';
import { WatchRequest } from '../dist/machinery/api/v1alpha1/state.js';

test('committed src/machinery/api matches a fresh generation from proto/', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'osctl-gen-test-'));
  try {
    const freshDir = join(scratch, 'gen');
    generate(freshDir);
    const fresh = listFiles(freshDir);
    const committed = listFiles(committedGenDir);
    const problems = [
      ...fresh.filter((f) => !committed.includes(f)).map((f) => `missing from src/machinery/api: ${f}`),
      ...committed.filter((f) => !fresh.includes(f)).map((f) => `stale (no longer generated): ${f}`),
      ...fresh
        .filter((f) => committed.includes(f))
        .filter((f) => !readFileSync(join(freshDir, f)).equals(readFileSync(join(committedGenDir, f))))
        .map((f) => `differs: ${f}`),
    ];
    assert.deepEqual(problems, [], `src/machinery/api is out of date with proto/; run \`npm run gen\`:\n  ${problems.join('\n  ')}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

const hex = (bytes) => Buffer.from(bytes).toString('hex');

test('VersionResponse encodes as repeated field 1 wrapping Version.version (field 2)', () => {
  const bytes = VersionResponse.encode(VersionResponse.fromPartial({ messages: [{ version: { tag: 'v1' } }] })).finish();
  // 0a 06 = messages (1, LEN 6); 12 04 = version (2, LEN 4); 0a 02 "v1" = tag.
  assert.equal(hex(bytes), '0a06' + '1204' + '0a027631');
});

test('concatenated VersionResponse encodings decode as one response with both messages', () => {
  const one = VersionResponse.encode(VersionResponse.fromPartial({ messages: [{ version: { tag: 'v1.13.9' } }] })).finish();
  const two = VersionResponse.encode(VersionResponse.fromPartial({ messages: [{ version: { tag: 'v1.14.0' } }] })).finish();
  const merged = VersionResponse.decode(Buffer.concat([one, two]));
  assert.deepEqual(
    merged.messages.map((m) => m.version?.tag),
    ['v1.13.9', 'v1.14.0'],
  );
});

test('appending a common.Empty{metadata} to a Version merges metadata into field 1 (apid one-to-many injection)', () => {
  const version = Version.encode(Version.fromPartial({ version: { tag: 'v1.13.9' } })).finish();
  const injected = Empty.encode({ metadata: { hostname: '10.5.0.2', error: '' } }).finish();
  const decoded = Version.decode(Buffer.concat([version, injected]));
  assert.equal(decoded.version?.tag, 'v1.13.9');
  assert.equal(decoded.metadata?.hostname, '10.5.0.2');
});

test('WatchRequest.id keeps presence: unset is omitted, "" is sent as an empty field 3', () => {
  const kindWatch = WatchRequest.encode({ namespace: 'ns', type: 'T', apiVersion: 1 }).finish();
  const oneResource = WatchRequest.encode({ namespace: 'ns', type: 'T', id: '', apiVersion: 1 }).finish();
  // 0a 02 "ns" | 12 01 "T" | [1a 00 = id ""] | 28 01 = api_version 1.
  assert.equal(hex(kindWatch), '0a026e73' + '120154' + '2801');
  assert.equal(hex(oneResource), '0a026e73' + '120154' + '1a00' + '2801');
  assert.equal(WatchRequest.decode(kindWatch).id, undefined);
  assert.equal(WatchRequest.decode(oneResource).id, '');
});
