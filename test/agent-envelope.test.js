// The raw-frame editing behind one-to-many responses (src/agent/server/envelope.ts), checked
// against the generated codecs: edited bytes must decode as if the node had set the metadata.
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {Empty} from '../dist/machinery/api/common/common.js';
import {Data, DataResponse} from '../dist/machinery/api/common/common.js';
import {HostnameResponse, VersionResponse} from '../dist/machinery/api/machine/machine.js';
import {appendToElements, EnvelopeError} from '../dist/agent/server/envelope.js';

const hostnameField = (hostname) => Empty.encode({metadata: {hostname, error: ''}}).finish();

describe('appendToElements', () => {
  it('sets metadata.hostname of the one element and keeps its other fields', () => {
    const envelope = HostnameResponse.encode({messages: [{hostname: 'cp-1'}]}).finish();
    const edited = HostnameResponse.decode(appendToElements(envelope, hostnameField('10.5.0.2')));
    assert.equal(edited.messages.length, 1);
    assert.equal(edited.messages[0].hostname, 'cp-1');
    assert.equal(edited.messages[0].metadata.hostname, '10.5.0.2');
  });

  it('edits every element, and concatenated envelopes decode as one list in order', () => {
    const version = (tag) => ({version: {tag, sha: '', built: '', goVersion: '', os: '', arch: ''}});
    const a = appendToElements(VersionResponse.encode({messages: [version('v1'), version('v2')]}).finish(), hostnameField('a'));
    const b = appendToElements(VersionResponse.encode({messages: [version('v3')]}).finish(), hostnameField('b'));
    const merged = VersionResponse.decode(Buffer.concat([a, b]));
    assert.deepEqual(merged.messages.map((m) => [m.version.tag, m.metadata.hostname]), [['v1', 'a'], ['v2', 'a'], ['v3', 'b']]);
  });

  it('appends to an element that already has metadata, so a conforming decoder merges the two', () => {
    // ts-proto replaces a repeated singular message instead of merging it, so check the bytes: the
    // element is its old bytes followed by the new metadata field.
    const element = Data.encode({metadata: {hostname: '', error: 'disk full'}, bytes: Buffer.from('x')}).finish();
    const envelope = DataResponse.encode({messages: [Data.decode(element)]}).finish();
    const suffix = hostnameField('n1');
    const edited = appendToElements(envelope, suffix);
    assert.deepEqual(Buffer.from(edited), Buffer.concat([Buffer.from([0x0a, element.length + suffix.length]), element, suffix]));
  });

  it('handles elements longer than 127 bytes (multi-byte length varints)', () => {
    const payload = Buffer.alloc(70_000, 7);
    const envelope = DataResponse.encode({messages: [{bytes: payload}]}).finish();
    const [element] = DataResponse.decode(appendToElements(envelope, hostnameField('n'.repeat(200)))).messages;
    assert.equal(element.metadata.hostname, 'n'.repeat(200));
    assert.deepEqual(Buffer.from(element.bytes), payload);
  });

  it('passes fields other than messages through unchanged', () => {
    // field 2, varint 150: 0x10 0x96 0x01
    const envelope = Buffer.concat([HostnameResponse.encode({messages: [{hostname: 'h'}]}).finish(), Buffer.from([0x10, 0x96, 0x01])]);
    const edited = appendToElements(envelope, hostnameField('n'));
    assert.deepEqual(Buffer.from(edited.subarray(edited.length - 3)), Buffer.from([0x10, 0x96, 0x01]));
  });

  it('refuses what is not an envelope', () => {
    assert.throws(() => appendToElements(new Uint8Array(), hostnameField('n')), EnvelopeError, 'empty: no messages');
    assert.throws(() => appendToElements(Buffer.from([0x08, 0x01]), hostnameField('n')), EnvelopeError, 'field 1 as a varint');
    assert.throws(() => appendToElements(Buffer.from([0x0a, 0x05, 0x01]), hostnameField('n')), EnvelopeError, 'truncated element');
    assert.throws(() => appendToElements(Buffer.from([0x0a, 0xff]), hostnameField('n')), EnvelopeError, 'truncated varint');
  });

  it('leaves streamed messages to plain appending (the same metadata bytes)', () => {
    const chunk = Data.encode({bytes: Buffer.from('log line\n')}).finish();
    const decoded = Data.decode(Buffer.concat([chunk, hostnameField('w1')]));
    assert.equal(decoded.metadata.hostname, 'w1');
    assert.equal(Buffer.from(decoded.bytes).toString(), 'log line\n');
  });
});
