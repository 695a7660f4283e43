// Printers of service, containers and logs on plain records: talosctl's layouts byte for byte.
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {
  formatServiceActions, formatServiceDetail, formatServiceList, goAge,
} from '../dist/cli/output/service-view.js';
import {containerRows, ContainersTable, sortedById} from '../dist/cli/output/containers-view.js';
import {criLineTime, MAX_PENDING_LINE, NodeLinePrinter} from '../dist/cli/output/log-lines.js';
import {parseTail} from '../dist/cli/actions/logs.js';

const NOW = new Date('2026-12-02T08:00:00.000Z');
const ago = (ms) => new Date(NOW.getTime() - ms);
const health = (over = {}) => ({unknown: true, healthy: false, lastMessage: '', ...over});

describe('service ages', () => {
  it('are Go durations rounded to the second, halves away from zero, no day unit', () => {
    assert.equal(goAge(ago(0), NOW), '0s');
    assert.equal(goAge(ago(499), NOW), '0s');
    assert.equal(goAge(ago(500), NOW), '1s');
    assert.equal(goAge(ago(45_200), NOW), '45s');
    assert.equal(goAge(ago(120_000), NOW), '2m0s');
    assert.equal(goAge(ago(3_600_000), NOW), '1h0m0s');
    assert.equal(goAge(ago((26 * 3600 + 3 * 60 + 4) * 1000), NOW), '26h3m4s');
    // the node's clock is ahead
    assert.equal(goAge(ago(-3_000), NOW), '-3s');
    assert.equal(goAge(ago(-2_500), NOW), '-3s');
  });
});

describe('service list view', () => {
  it('has talosctl\'s header and columns; no events reads " ago" and <none>', () => {
    const text = formatServiceList([
      {node: '172.20.0.2', id: 'apid', state: 'Running', health: health({unknown: false, healthy: true}),
        events: [{msg: 'Starting service', state: 'Starting', ts: ago(65_000)}, {msg: 'Service started as goroutine', state: 'Running', ts: ago(64_000)}]},
      {node: '172.20.0.2', id: 'etcd', state: 'Preparing', health: health({unknown: false}), events: []},
      {node: '172.20.0.2', id: 'kubelet', state: 'Running', health: health(), events: [{msg: 'x', state: 'Running', ts: ago(2_000)}]},
    ], NOW);
    assert.equal(text, [
      'NODE         SERVICE   STATE       HEALTH   LAST CHANGE   LAST EVENT',
      '172.20.0.2   apid      Running     OK       1m4s ago      Service started as goroutine',
      '172.20.0.2   etcd      Preparing   Fail      ago          <none>',
      '172.20.0.2   kubelet   Running     ?        2s ago        x',
      '',
    ].join('\n'));
  });

  it('prints the header alone when no node answered', () => {
    assert.equal(formatServiceList([], NOW), 'NODE   SERVICE   STATE   HEALTH   LAST CHANGE   LAST EVENT\n');
  });
});

describe('service detail view', () => {
  it('matches the seed\'s ext-hello-world view: events newest first, label on the first only', () => {
    const text = formatServiceDetail([{
      node: '172.20.0.5', id: 'ext-hello-world', state: 'Running', health: health(),
      events: [
        {state: 'Waiting', msg: 'Waiting for service "containerd" to be "up", network', ts: ago(169_000)},
        {state: 'Waiting', msg: 'Waiting for service "containerd" to be "up"', ts: ago(168_000)},
        {state: 'Preparing', msg: 'Running pre state', ts: ago(167_000)},
        {state: 'Preparing', msg: 'Creating service runner', ts: ago(167_000)},
        {state: 'Running', msg: 'Started task ext-hello-world (PID 1100) for container ext-hello-world', ts: ago(167_000)},
      ],
    }], NOW);
    assert.equal(text, [
      'NODE     172.20.0.5',
      'ID       ext-hello-world',
      'STATE    Running',
      'HEALTH   ?',
      'EVENTS   [Running]: Started task ext-hello-world (PID 1100) for container ext-hello-world (2m47s ago)',
      '         [Preparing]: Creating service runner (2m47s ago)',
      '         [Preparing]: Running pre state (2m47s ago)',
      '         [Waiting]: Waiting for service "containerd" to be "up" (2m48s ago)',
      '         [Waiting]: Waiting for service "containerd" to be "up", network (2m49s ago)',
      '',
    ].join('\n'));
  });

  it('adds LAST HEALTH MESSAGE only when non-empty; several nodes share one table', () => {
    const text = formatServiceDetail([
      {node: '10.5.0.2', id: 'etcd', state: 'Running', health: health({unknown: false, lastMessage: 'context deadline exceeded'}),
        events: [{state: 'Running', msg: 'Health check failed: context deadline exceeded', ts: ago(3_000)}]},
      {node: '10.5.0.3', id: 'etcd', state: 'Running', health: health({unknown: false, healthy: true}), events: []},
    ], NOW);
    assert.equal(text, [
      'NODE                  10.5.0.2',
      'ID                    etcd',
      'STATE                 Running',
      'HEALTH                Fail',
      'LAST HEALTH MESSAGE   context deadline exceeded',
      'EVENTS                [Running]: Health check failed: context deadline exceeded (3s ago)',
      'NODE                  10.5.0.3',
      'ID                    etcd',
      'STATE                 Running',
      'HEALTH                OK',
      '',
    ].join('\n'));
  });
});

describe('service action view', () => {
  it('is NODE RESPONSE, the header even with no rows', () => {
    assert.equal(formatServiceActions([{node: '10.5.0.2', resp: 'Service "ext-hello-world" restarted'}]),
      'NODE       RESPONSE\n10.5.0.2   Service "ext-hello-world" restarted\n');
    assert.equal(formatServiceActions([]), 'NODE   RESPONSE\n');
  });
});

const container = (over) => ({
  node: '172.20.0.3', namespace: 'k8s.io', id: '', podId: '', name: '', image: '', pid: 0, status: '',
  internalId: '', uid: '', networkNamespace: '', ...over,
});

describe('containers', () => {
  it('draws the seed\'s sandbox and container rows', () => {
    const sink = {text: '', write(t) { this.text += t; }};
    const table = new ContainersTable(sink);
    table.add([
      container({id: 'default/nginx-talos-default-controlplane-2:nginx:4183a7d7a771', podId: 'default/nginx-talos-default-controlplane-2',
        image: 'docker.io/library/nginx:latest', pid: 4903, status: 'CONTAINER_RUNNING'}),
      container({id: 'default/nginx-talos-default-controlplane-2', podId: 'default/nginx-talos-default-controlplane-2',
        image: 'registry.k8s.io/pause:3.6', pid: 4886, status: 'SANDBOX_READY'}),
    ]);
    table.end();
    assert.equal(sink.text, [
      'NODE         NAMESPACE   ID                                                                 IMAGE                            PID    STATUS',
      '172.20.0.3   k8s.io      default/nginx-talos-default-controlplane-2                         registry.k8s.io/pause:3.6        4886   SANDBOX_READY',
      '172.20.0.3   k8s.io      \u2514\u2500 default/nginx-talos-default-controlplane-2:nginx:4183a7d7a771   docker.io/library/nginx:latest   4903   CONTAINER_RUNNING',
      '',
    ].join('\n'));
  });

  it('sorts in plain byte order, so web-1\'s containers land under web-10 (talosctl\'s quirk)', () => {
    const rows = containerRows([
      container({id: 'ns/web-1', podId: 'ns/web-1'}),
      container({id: 'ns/web-1:app:aaaaaaaaaaaa', podId: 'ns/web-1'}),
      container({id: 'ns/web-10', podId: 'ns/web-10'}),
      container({id: 'ns/web-10:app:bbbbbbbbbbbb', podId: 'ns/web-10'}),
    ].reverse());
    assert.deepEqual(rows.map((r) => r[2]), [
      'ns/web-1', 'ns/web-10', '\u2514\u2500 ns/web-10:app:bbbbbbbbbbbb', '\u2514\u2500 ns/web-1:app:aaaaaaaaaaaa',
    ]);
    // UTF-8 byte order, not UTF-16: U+FF5E sorts before U+1F600 in bytes, after it in UTF-16 units
    assert.deepEqual(sortedById([container({id: '\u{1F600}'}), container({id: '\uFF5E'})]).map((c) => c.id), ['\uFF5E', '\u{1F600}']);
  });

  it('prints the header alone when no node answered', () => {
    const sink = {text: '', write(t) { this.text += t; }};
    const table = new ContainersTable(sink);
    table.end();
    assert.equal(sink.text, 'NODE   NAMESPACE   ID   IMAGE   PID   STATUS\n');
  });

  it('rows after more than 500 ms of quiet start a new block, aligned on their own', async () => {
    const sink = {text: '', write(t) { this.text += t; }};
    const table = new ContainersTable(sink, 100);
    table.add([container({node: 'a', namespace: 'system', id: 'apid', podId: 'apid', pid: 1, status: 'RUNNING'})]);
    await new Promise((r) => setTimeout(r, 40));
    table.add([container({node: 'b', namespace: 'system', id: 'machined', podId: 'machined', pid: 2, status: 'RUNNING'})]);
    assert.equal(sink.text, '', 'nothing printed while rows keep coming');
    await new Promise((r) => setTimeout(r, 250));
    const firstBlock = sink.text;
    assert.equal(firstBlock, [
      'NODE   NAMESPACE   ID         IMAGE   PID   STATUS',
      'a      system      apid               1     RUNNING',
      'b      system      machined           2     RUNNING',
      '',
    ].join('\n'));
    table.add([container({node: 'long-node-name', namespace: 'system', id: 'x', podId: 'x', pid: 33, status: 'STOPPED'})]);
    table.end();
    assert.equal(sink.text.slice(firstBlock.length), 'long-node-name   system   x      33   STOPPED\n');
  });
});

function collector() {
  const out = {chunks: [], write(bytes) { this.chunks.push(Buffer.from(bytes)); return true; }, get text() { return Buffer.concat(this.chunks).toString(); }};
  return out;
}

describe('log lines', () => {
  it('never splits a line across chunks; prints each line as it completes, nodes interleaved', () => {
    const out = collector();
    const printer = new NodeLinePrinter(out);
    printer.push('10.5.0.3', Buffer.from('first li'));
    printer.push('10.5.0.2', Buffer.from('a\r\nb'));
    assert.equal(out.text, '10.5.0.2: a\r\n', 'a CR stays');
    printer.push('10.5.0.3', Buffer.from('ne\nsecond'));
    printer.push('10.5.0.3', Buffer.from(' line\n\nthird'));
    assert.equal(out.text, '10.5.0.2: a\r\n10.5.0.3: first line\n10.5.0.3: second line\n10.5.0.3: \n');
    printer.push('10.5.0.10', Buffer.from('tail of ten'));
    printer.flushLeftovers();
    // leftovers at the end, nodes in byte order: "10.5.0.10" < "10.5.0.2" < "10.5.0.3"
    assert.equal(out.text.split('\n').slice(4).join('\n'), '10.5.0.10: tail of ten\n10.5.0.2: b\n10.5.0.3: third\n');
  });

  it('keeps multi-byte characters split between chunks intact', () => {
    const out = collector();
    const printer = new NodeLinePrinter(out);
    const bytes = Buffer.from('h\u00e9llo \u2514\u2500\n');
    for (const b of bytes) printer.push('n', Buffer.from([b]));
    assert.equal(out.text, 'n: h\u00e9llo \u2514\u2500\n');
  });

  it('prints a line that never ends once it reaches the cap, and goes on after it', () => {
    const out = collector();
    const printer = new NodeLinePrinter(out);
    const piece = Buffer.alloc(1024, 'a');
    for (let sent = 0; sent < MAX_PENDING_LINE - 1024; sent += 1024) printer.push('n', piece);
    assert.equal(out.chunks.length, 0, 'held below the cap');
    printer.push('n', piece);
    assert.equal(out.text, `n: ${'a'.repeat(MAX_PENDING_LINE)}\n`);
    printer.push('n', Buffer.from('b\n'));
    assert.equal(out.text.slice(-6), '\nn: b\n');
  });

  it('reports the writer\'s backpressure to the caller', () => {
    const printer = new NodeLinePrinter({write: () => false});
    assert.equal(printer.push('n', Buffer.from('partial')), true, 'nothing written, nothing to wait for');
    assert.equal(printer.push('n', Buffer.from(' line\n')), false);
  });

  it('--since keeps CRI lines at or after the cutoff (and lines without a timestamp)', () => {
    const out = collector();
    const cutoff = Date.parse('2022-02-10T15:26:01.289Z');
    const printer = new NodeLinePrinter(out, (line) => (criLineTime(line) ?? Infinity) >= cutoff);
    printer.push('n', Buffer.from(
      '2022-02-10T15:26:01.288208227Z stderr F old\n2022-02-10T15:26:01.2892466Z stderr F new\nnot cri\n2022-02-10T16:26:01+01:00 stdout P zone\n'));
    assert.equal(out.text, 'n: 2022-02-10T15:26:01.2892466Z stderr F new\nn: not cri\n');
    assert.equal(criLineTime(Buffer.from('2022-02-10T15:26:01Z stdout F x')), Date.parse('2022-02-10T15:26:01Z'));
  });
});

describe('--tail', () => {
  it('takes -1 and counts; refuses other negatives, words and numbers past int32 with the fix', () => {
    assert.equal(parseTail('-1'), -1);
    assert.equal(parseTail('0'), 0);
    assert.equal(parseTail('20'), 20);
    assert.throws(() => parseTail('-5'), (err) => err.exitCode === 2 && /cannot be negative; use --tail 5 for the last lines/.test(err.message));
    assert.throws(() => parseTail('ten'), /--tail "ten": not a whole number/);
    assert.throws(() => parseTail('2147483648'), /at most 2147483647/);
  });
});
