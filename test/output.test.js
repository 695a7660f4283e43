import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {CliError} from '../dist/cli/errors.js';
import {createResourceWriter, OUTPUT_FORMAT_NAMES, parseOutputFormat} from '../dist/cli/output/resource-writer.js';
import {writeStructured} from '../dist/cli/output/structured.js';
import {renderTable} from '../dist/cli/output/table.js';
import {encodeJson} from '../dist/cli/output/json.js';
import {relTime, timeFromNow} from '../dist/cli/output/humanize.js';
import {formatServerEntries} from '../dist/cli/actions/version.js';

/** A sink that records each write separately. */
function bufferSink() {
  const writes = [];
  return {writes, write: (text) => writes.push(text), get text() { return writes.join(''); }};
}

function metadata(overrides = {}) {
  return {
    namespace: 'runtime',
    type: 'Services.v1alpha1.talos.dev',
    id: 'apid',
    version: '3',
    owner: 'v1alpha1.ServiceController',
    phase: 'running',
    created: new Date('2026-05-02T08:13:40.123Z'),
    updated: new Date('2026-05-02T08:14:03.999Z'),
    labels: {},
    annotations: {},
    finalizers: [],
    ...overrides,
  };
}

const serviceDefinition = {
  displayType: 'Service',
  printColumns: [
    {name: 'Running', jsonPath: '{.running}'},
    {name: 'Healthy', jsonPath: '{.healthy}'},
    {name: 'Health Unknown', jsonPath: '{.unknown}'},
  ],
};

const apid = {node: '10.5.0.2', metadata: metadata(), spec: {running: true, healthy: true, unknown: false}};
const etcd = {node: '10.5.0.22', metadata: metadata({id: 'etcd', version: '12'}), spec: {running: true, healthy: false, unknown: true}};

function printed(format, records, {definition = serviceDefinition, watch = false} = {}) {
  const sink = bufferSink();
  const writer = createResourceWriter(parseOutputFormat(format), sink, {watch});
  writer.writeHeader(definition);
  for (const [record, event] of records) writer.writeResource(record, event);
  writer.flush();
  return sink.text;
}

describe('renderTable', () => {
  it('pads every column but the last to its widest cell plus 3 spaces', () => {
    assert.equal(
      renderTable(['NODE', 'ID', 'IMAGE'], [['10.5.0.2', 'apid', 'ghcr.io/siderolabs/apid'], ['10.5.0.22', '└─ x', 'i']]),
      'NODE        ID     IMAGE\n' +
        '10.5.0.2    apid   ghcr.io/siderolabs/apid\n' +
        '10.5.0.22   └─ x   i\n',
    );
  });

  it('pads as Go\'s tabwriter does: an empty last cell leaves the padding before it, trailing blanks of a value stay', () => {
    assert.equal(renderTable(['A', 'B'], [['x', ''], ['yy', 'z  ']]), 'A    B\nx    \nyy   z  \n');
    assert.equal(renderTable(['A', 'B'], [['', ''], ['', '']]), 'A   B\n    \n    \n');
  });

  it('aligns every column but the last with three spaces after its widest cell', () => {
    assert.equal(renderTable(['A', 'B', 'C'], [['x', 'yy', 'zzz'], ['long', 'a', 'b']]), 'A      B    C\nx      yy   zzz\nlong   a    b\n');
  });

  it('prints rows alone when there are no headers, and nothing for nothing', () => {
    assert.equal(renderTable([], [['a', 'b'], ['ccc', 'd']]), 'a     b\nccc   d\n');
    assert.equal(renderTable([], []), '');
  });
});

describe('table resource output', () => {
  it('prints NODE NAMESPACE TYPE ID VERSION and the upper-cased print columns, aligned at flush', () => {
    assert.equal(
      printed('table', [[apid], [etcd]]),
      'NODE        NAMESPACE   TYPE      ID     VERSION   RUNNING   HEALTHY   HEALTH UNKNOWN\n' +
        '10.5.0.2    runtime     Service   apid   3         true      true      false\n' +
        '10.5.0.22   runtime     Service   etcd   12        true      false     true\n',
    );
  });

  it('buffers rows until flush', () => {
    const sink = bufferSink();
    const writer = createResourceWriter({kind: 'table'}, sink, {watch: false});
    writer.writeHeader(serviceDefinition);
    writer.writeResource(apid);
    assert.equal(sink.text, '');
    writer.flush();
    assert.match(sink.text, /^NODE .*\n10\.5\.0\.2 /);
  });

  it('prints the header even when no resource matched', () => {
    assert.equal(printed('table', []), 'NODE   NAMESPACE   TYPE   ID   VERSION   RUNNING   HEALTHY   HEALTH UNKNOWN\n');
  });

  it('evaluates print columns against the spec: lists as JSON, filters, whole scalars, missing keys empty', () => {
    const members = {displayType: 'Member', printColumns: [{name: 'Hostname', jsonPath: '{.hostname}'}, {name: 'Addresses', jsonPath: '{.addresses}'}]};
    const member = {node: '10.5.0.2', metadata: metadata({namespace: 'cluster', id: 'talos-cp-1', version: '1'}), spec: {hostname: 'talos-cp-1', addresses: ['10.5.0.2']}};
    const noHostname = {...member, metadata: metadata({namespace: 'cluster', id: 'w-1', version: '1'}), spec: {addresses: []}};
    assert.equal(
      printed('table', [[member], [noHostname]], {definition: members}),
      'NODE       NAMESPACE   TYPE     ID           VERSION   HOSTNAME     ADDRESSES\n' +
        '10.5.0.2   cluster     Member   talos-cp-1   1         talos-cp-1   ["10.5.0.2"]\n' +
        '10.5.0.2   cluster     Member   w-1          1                      []\n',
    );

    const ready = {displayType: 'StaticPodStatus', printColumns: [{name: 'Ready', jsonPath: '{.conditions[?(@.type=="Ready")].status}'}]};
    const pod = {node: 'n', metadata: metadata({namespace: 'k8s', id: 'kube-system/kube-apiserver', version: '4'}), spec: {conditions: [{type: 'Initialized', status: 'True'}, {type: 'Ready', status: 'False'}]}};
    assert.match(printed('table', [[pod]], {definition: ready}), /\nn +k8s +StaticPodStatus +kube-system\/kube-apiserver +4 +False\n$/);

    const machineType = {displayType: 'MachineType', printColumns: [{name: 'Type', jsonPath: '{@}'}]};
    const mt = {node: 'n', metadata: metadata({namespace: 'config', id: 'machine-type', version: '1'}), spec: 'controlplane'};
    assert.match(printed('table', [[mt]], {definition: machineType}), /\nn +config +MachineType +machine-type +1 +controlplane\n$/);
  });

  it('rejects a print column whose jsonpath does not parse', () => {
    const broken = {displayType: 'X', printColumns: [{name: 'Bad', jsonPath: '{.a['}]};
    assert.throws(() => printed('table', [], {definition: broken}), /print column "Bad" of X has an unusable jsonpath/);
  });

  it('adds the * column in watch mode and aligns each flushed batch on its own, as tabwriter does', () => {
    const sink = bufferSink();
    const writer = createResourceWriter({kind: 'table'}, sink, {watch: true});
    writer.writeHeader(serviceDefinition);
    writer.writeResource(apid, 'created');
    writer.writeResource(etcd, 'created');
    writer.flush(); // the bootstrap marker
    writer.writeResource({...etcd, metadata: metadata({id: 'etcd', version: '13'})}, 'updated');
    writer.flush();
    writer.writeResource(apid, 'destroyed');
    writer.flush();
    assert.deepEqual(sink.writes, [
      'NODE        *   NAMESPACE   TYPE      ID     VERSION   RUNNING   HEALTHY   HEALTH UNKNOWN\n' +
        '10.5.0.2    +   runtime     Service   apid   3         true      true      false\n' +
        '10.5.0.22   +   runtime     Service   etcd   12        true      false     true\n',
      // updated rows carry a single space in the * column, like talosctl
      '10.5.0.22       runtime   Service   etcd   13   true   false   true\n',
      '10.5.0.2   -   runtime   Service   apid   3   true   true   false\n',
    ]);
  });
});

describe('yaml resource output', () => {
  it('writes node, metadata in COSI order with second-precision times, and the spec, 4-space indented', () => {
    assert.equal(
      printed('yaml', [[apid], [etcd]]),
      'node: 10.5.0.2\n' +
        'metadata:\n' +
        '    namespace: runtime\n' +
        '    type: Services.v1alpha1.talos.dev\n' +
        '    id: apid\n' +
        '    version: 3\n' +
        '    owner: v1alpha1.ServiceController\n' +
        '    phase: running\n' +
        '    created: 2026-05-02T08:13:40Z\n' +
        '    updated: 2026-05-02T08:14:03Z\n' +
        'spec:\n' +
        '    running: true\n' +
        '    healthy: true\n' +
        '    unknown: false\n' +
        '---\n' +
        'node: 10.5.0.22\n' +
        'metadata:\n' +
        '    namespace: runtime\n' +
        '    type: Services.v1alpha1.talos.dev\n' +
        '    id: etcd\n' +
        '    version: 12\n' +
        '    owner: v1alpha1.ServiceController\n' +
        '    phase: running\n' +
        '    created: 2026-05-02T08:13:40Z\n' +
        '    updated: 2026-05-02T08:14:03Z\n' +
        'spec:\n' +
        '    running: true\n' +
        '    healthy: false\n' +
        '    unknown: true\n',
    );
  });

  it('adds labels, annotations and finalizers only when present, map keys sorted', () => {
    const record = {
      node: 'n1',
      metadata: metadata({labels: {zone: 'b', app: 'x'}, annotations: {'talos.dev/yaml-spec': '1'}, finalizers: ['k8s.Controller', 'a']}),
      spec: {},
    };
    assert.equal(
      printed('yaml', [[record]]).split('\n').slice(10).join('\n'),
      '    labels:\n' +
        '        app: x\n' +
        '        zone: b\n' +
        '    annotations:\n' +
        '        talos.dev/yaml-spec: 1\n' +
        '    finalizers:\n' +
        '        - k8s.Controller\n' +
        '        - a\n' +
        'spec: {}\n',
    );
  });

  it('writes a MachineConfig spec as a literal block, an empty owner as nothing, and the watch event', () => {
    const config = 'version: v1alpha1\nmachine:\n  type: controlplane\n';
    const record = {node: '10.5.0.2', metadata: metadata({namespace: 'config', type: 'MachineConfigs.config.talos.dev', id: 'v1alpha1', version: '2', owner: ''}), spec: config};
    assert.equal(
      printed('yaml', [[record, 'updated']], {watch: true}),
      'node: 10.5.0.2\n' +
        'event: updated\n' +
        'metadata:\n' +
        '    namespace: config\n' +
        '    type: MachineConfigs.config.talos.dev\n' +
        '    id: v1alpha1\n' +
        '    version: 2\n' +
        '    owner:\n' +
        '    phase: running\n' +
        '    created: 2026-05-02T08:13:40Z\n' +
        '    updated: 2026-05-02T08:14:03Z\n' +
        'spec: |\n' +
        '    version: v1alpha1\n' +
        '    machine:\n' +
        '      type: controlplane\n',
    );
  });

  it('lays out lists of maps like yaml.v3 and quotes strings that would read back as another type', () => {
    const spec = {
      conditions: [{lastProbeTime: null, status: 'True', type: 'Ready', nested: {ports: [6443, 50000]}}],
      phase: 'Running',
      labels: {version: '1', enabled: 'yes', empty: '', star: '*x', plain: 'a,b'},
      matrix: [[1, 2], []],
      note: 'no newline\nat end',
      count: 18446744073709551615n,
    };
    const text = printed('yaml', [[{...apid, spec}]]);
    assert.equal(
      text.slice(text.indexOf('spec:')),
      'spec:\n' +
        '    conditions:\n' +
        '        - lastProbeTime: null\n' +
        '          status: "True"\n' +
        '          type: Ready\n' +
        '          nested:\n' +
        '            ports:\n' +
        '                - 6443\n' +
        '                - 50000\n' +
        '    phase: Running\n' +
        '    labels:\n' +
        '        version: "1"\n' +
        '        enabled: "yes"\n' +
        '        empty: ""\n' +
        "        star: '*x'\n" +
        '        plain: a,b\n' +
        '    matrix:\n' +
        '        - - 1\n' +
        '          - 2\n' +
        '        - []\n' +
        '    note: |-\n' +
        '        no newline\n' +
        '        at end\n' +
        '    count: 18446744073709551615\n',
    );
  });

  it('writes a top-level list spec with the items indented under spec', () => {
    const manifest = {...apid, spec: [{apiVersion: 'v1', kind: 'Service', metadata: {name: 'kube-dns'}}]};
    const text = printed('yaml', [[manifest]]);
    assert.equal(
      text.slice(text.indexOf('spec:')),
      'spec:\n    - apiVersion: v1\n      kind: Service\n      metadata:\n        name: kube-dns\n',
    );
  });
});

describe('json resource output', () => {
  it('prints one 4-space object per resource, keys sorted at every level, concatenated', () => {
    const record = {...apid, metadata: metadata({labels: {b: '2', a: 'x'}}), spec: {z: {y: 1, x: [true]}, a: 'v'}};
    assert.equal(
      printed('json', [[record], [etcd]]),
      '{\n' +
        '    "metadata": {\n' +
        '        "created": "2026-05-02T08:13:40Z",\n' +
        '        "id": "apid",\n' +
        '        "labels": {\n' +
        '            "a": "x",\n' +
        '            "b": 2\n' +
        '        },\n' +
        '        "namespace": "runtime",\n' +
        '        "owner": "v1alpha1.ServiceController",\n' +
        '        "phase": "running",\n' +
        '        "type": "Services.v1alpha1.talos.dev",\n' +
        '        "updated": "2026-05-02T08:14:03Z",\n' +
        '        "version": 3\n' +
        '    },\n' +
        '    "node": "10.5.0.2",\n' +
        '    "spec": {\n' +
        '        "a": "v",\n' +
        '        "z": {\n' +
        '            "x": [\n' +
        '                true\n' +
        '            ],\n' +
        '            "y": 1\n' +
        '        }\n' +
        '    }\n' +
        '}\n' +
        '{\n' +
        '    "metadata": {\n' +
        '        "created": "2026-05-02T08:13:40Z",\n' +
        '        "id": "etcd",\n' +
        '        "namespace": "runtime",\n' +
        '        "owner": "v1alpha1.ServiceController",\n' +
        '        "phase": "running",\n' +
        '        "type": "Services.v1alpha1.talos.dev",\n' +
        '        "updated": "2026-05-02T08:14:03Z",\n' +
        '        "version": 12\n' +
        '    },\n' +
        '    "node": "10.5.0.22",\n' +
        '    "spec": {\n' +
        '        "healthy": false,\n' +
        '        "running": true,\n' +
        '        "unknown": true\n' +
        '    }\n' +
        '}\n',
    );
  });

  it('adds the event in watch mode, writes an empty owner as null, BigInt as digits, and escapes like Go', () => {
    const record = {node: 'n', metadata: metadata({owner: '', id: 'x'}), spec: {big: 12345678901234567890n, url: 'https://a/?b=1&c=<d>'}};
    const text = printed('json', [[record, 'destroyed']], {watch: true});
    assert.match(text, /\n    "event": "destroyed",\n    "metadata": \{/);
    assert.match(text, /\n        "owner": null,\n/);
    assert.match(text, /\n        "big": 12345678901234567890,\n/);
    assert.match(text, /"url": "https:\/\/a\/\?b=1\\u0026c=\\u003cd\\u003e"/);
    assert.deepEqual(JSON.parse(text).spec.url, 'https://a/?b=1&c=<d>');
  });
});

describe('ndjson resource output', () => {
  it('writes one compact sorted object per line as each resource arrives', () => {
    const sink = bufferSink();
    const writer = createResourceWriter({kind: 'ndjson'}, sink, {watch: true});
    writer.writeHeader(serviceDefinition);
    writer.writeResource(apid, 'created');
    assert.equal(
      sink.text,
      '{"event":"created","metadata":{"created":"2026-05-02T08:13:40Z","id":"apid","namespace":"runtime",' +
        '"owner":"v1alpha1.ServiceController","phase":"running","type":"Services.v1alpha1.talos.dev",' +
        '"updated":"2026-05-02T08:14:03Z","version":3},"node":"10.5.0.2","spec":{"healthy":true,"running":true,"unknown":false}}\n',
    );
    writer.writeResource(etcd, 'destroyed');
    assert.equal(sink.writes.length, 2);
    assert.equal(JSON.parse(sink.writes[1]).event, 'destroyed');
  });
});

describe('jsonpath resource output', () => {
  it('evaluates against the json object, one line per match, maps as indented JSON', () => {
    assert.equal(
      printed("jsonpath={.node} {.metadata.version}{.spec}", [[apid]]),
      '10.5.0.2\n \n3\n{\n    "healthy": true,\n    "running": true,\n    "unknown": false\n}\n',
    );
    assert.equal(printed('jsonpath={.event}', [[apid, 'created']], {watch: true}), 'created\n');
  });

  it('fails on a missing field, naming the field, the resource and the node', () => {
    assert.throws(
      () => printed('jsonpath={.spec.hostname}', [[apid]]),
      (err) =>
        err instanceof CliError &&
        err.message === `-o jsonpath='{.spec.hostname}': {.spec.hostname}: key "hostname" is not found in Services.v1alpha1.talos.dev "apid" on node 10.5.0.2`,
    );
  });
});

describe('parseOutputFormat', () => {
  it('accepts the plain formats and jsonpath=<template>', () => {
    assert.deepEqual(OUTPUT_FORMAT_NAMES, ['table', 'yaml', 'json', 'ndjson', 'jsonpath']);
    for (const name of ['table', 'yaml', 'json', 'ndjson']) assert.deepEqual(parseOutputFormat(name), {kind: name});
    assert.deepEqual(parseOutputFormat('jsonpath={.spec.hostname}'), {kind: 'jsonpath', template: '{.spec.hostname}'});
  });

  it('explains an unknown format and lists the valid ones', () => {
    assert.throws(() => parseOutputFormat('wide'), (err) =>
      err instanceof CliError && err.exitCode === 2 &&
      err.message === `output format "wide" is not supported: use one of table, yaml, json, ndjson or -o jsonpath='{.spec.x}'`);
  });

  it('asks for a template after a bare jsonpath', () => {
    assert.throws(() => parseOutputFormat('jsonpath'), (err) =>
      err instanceof CliError && err.message === `output format "jsonpath" is not supported without a template: use -o jsonpath='{.spec.x}'`);
  });

  it('suggests braces for a template without any expression', () => {
    assert.throws(() => parseOutputFormat('jsonpath=.spec.hostname'), /write the path in braces: -o jsonpath='\{\.spec\.hostname\}'/);
  });

  it('reports template syntax errors with the column', () => {
    assert.throws(() => parseOutputFormat('jsonpath={.spec[}'), (err) => err instanceof CliError && /at column 8\n {2}\{\.spec\[\}\n {9}\^$/.test(err.message));
  });
});

describe('writeStructured', () => {
  const items = [{node: '10.5.0.2', version: {tag: 'v1.13.9', built: new Date('2026-05-01T10:00:00.5Z')}, count: 2n}, {node: 'n2'}];

  it('writes json objects concatenated, 4-space indented', () => {
    const sink = bufferSink();
    writeStructured({kind: 'json'}, sink, items);
    assert.equal(
      sink.text,
      '{\n    "count": 2,\n    "node": "10.5.0.2",\n    "version": {\n        "built": "2026-05-01T10:00:00.5Z",\n        "tag": "v1.13.9"\n    }\n}\n' +
        '{\n    "node": "n2"\n}\n',
    );
  });

  it('writes ndjson lines and yaml documents', () => {
    const lines = bufferSink();
    writeStructured({kind: 'ndjson'}, lines, items);
    assert.equal(lines.text, '{"count":2,"node":"10.5.0.2","version":{"built":"2026-05-01T10:00:00.5Z","tag":"v1.13.9"}}\n{"node":"n2"}\n');

    const docs = bufferSink();
    writeStructured({kind: 'yaml'}, docs, items);
    assert.equal(docs.text, 'node: 10.5.0.2\nversion:\n    tag: v1.13.9\n    built: 2026-05-01T10:00:00.5Z\ncount: 2\n---\nnode: n2\n');
  });

  it('evaluates a jsonpath template per item', () => {
    const sink = bufferSink();
    writeStructured({kind: 'jsonpath', template: '{.node}'}, sink, items);
    assert.equal(sink.text, '10.5.0.2\nn2\n');
  });

  it('refuses the table format, which commands render themselves', () => {
    assert.throws(() => writeStructured({kind: 'table'}, bufferSink(), items), /renderTable/);
  });
});

describe('relTime (go-humanize v1.0.1)', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const later = (ms) => timeFromNow(new Date(now.getTime() + ms), now);
  const earlier = (ms) => timeFromNow(new Date(now.getTime() - ms), now);
  const S = 1000;
  const DAY = 86_400 * S;
  it('uses each magnitude up to, not including, its bound', () => {
    const cases = [
      [0, 'now'], [999, 'now'], [S, '1 second from now'], [2 * S - 1, '1 second from now'], [2 * S, '2 seconds from now'],
      [59 * S, '59 seconds from now'], [60 * S, '1 minute from now'], [120 * S, '2 minutes from now'],
      [3599 * S, '59 minutes from now'], [3600 * S, '1 hour from now'], [2 * 3600 * S, '2 hours from now'],
      [DAY - 1, '23 hours from now'], [DAY, '1 day from now'], [2 * DAY, '2 days from now'], [3 * DAY + 5 * 3600 * S, '3 days from now'],
      [7 * DAY, '1 week from now'], [14 * DAY, '2 weeks from now'], [29 * DAY, '4 weeks from now'], [30 * DAY, '1 month from now'],
      [60 * DAY, '2 months from now'], [359 * DAY, '11 months from now'], [360 * DAY, '1 year from now'], [365 * DAY, '1 year from now'],
      [540 * DAY, '2 years from now'], [720 * DAY, '2 years from now'], [3 * 360 * DAY, '3 years from now'],
      [37 * 360 * DAY - 1, '36 years from now'], [37 * 360 * DAY, 'a long while from now'],
    ];
    for (const [ms, text] of cases) assert.equal(later(ms), text, `${ms} ms`);
  });
  it('labels the past "ago"', () => {
    assert.equal(earlier(3 * DAY), '3 days ago');
    assert.equal(earlier(400 * DAY), '1 year ago');
    assert.equal(relTime(now, new Date(now.getTime() + 90 * S), 'earlier', 'later'), '1 minute earlier');
  });
});

describe('encodeJson key order', () => {
  it('sorts keys as Go writes a map, or keeps them as Go writes a struct', () => {
    const value = {zeta: 1, alpha: {b: 2, a: 1}};
    assert.equal(encodeJson(value), '{"alpha":{"a":1,"b":2},"zeta":1}');
    assert.equal(encodeJson(value, '', 'insertion'), '{"zeta":1,"alpha":{"b":2,"a":1}}');
    assert.equal(encodeJson({a: '<&>', b: undefined}, '  ', 'insertion'), '{\n  "a": "\\u003c\\u0026\\u003e"\n}');
  });
});

describe('version text (talosctl layout)', () => {
  it('prints every node entry with an Enabled line, empty when no feature is on', () => {
    const version = {tag: 'v1.9.0', sha: 'abc', goVersion: 'go1.23', os: 'linux', arch: 'amd64'};
    const text = formatServerEntries([
      {node: '10.0.0.2', messages: [{version, features: {rbac: true}}]},
      {node: '10.0.0.3', messages: [{version}]},
      {node: '10.0.0.4', error: 'unreachable'},
    ]);
    assert.equal(
      text,
      '\tNODE:        10.0.0.2\n\tTag:         v1.9.0\n\tSHA:         abc\n\tBuilt:       \n\tGo version:  go1.23\n\tOS/Arch:     linux/amd64\n\tEnabled:     RBAC\n' +
        '\tNODE:        10.0.0.3\n\tTag:         v1.9.0\n\tSHA:         abc\n\tBuilt:       \n\tGo version:  go1.23\n\tOS/Arch:     linux/amd64\n\tEnabled:     \n',
    );
  });
});
