import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {
  compileJsonPath, formatJsonPathResult, formatJsonPathResultLines, JsonPathEvalError, JsonPathSyntaxError,
} from '../dist/cli/jsonpath.js';

const pod = {
  kind: 'Pod',
  metadata: {name: 'kube-apiserver', annotations: {'kubernetes.io/config.source': 'file'}},
  status: {
    phase: 'Running',
    podIP: '10.5.0.2',
    conditions: [
      {type: 'Initialized', status: 'True', rank: 1},
      {type: 'Ready', status: 'False', rank: 2},
      {type: 'PodScheduled', status: 'True', rank: 3},
    ],
    containerStatuses: [
      {name: 'kube-apiserver', ready: true, restartCount: 2},
      {name: 'sidecar', ready: false, restartCount: 0, image: {name: 'busybox'}},
    ],
  },
};

/** The template printed the way print columns and kubectl print it. */
const text = (template, data = pod, options) => formatJsonPathResult(compileJsonPath(template).execute(data, options));

describe('jsonpath expressions', () => {
  it('follows dotted fields and keeps literal text around expressions', () => {
    assert.equal(text('{.status.phase}'), 'Running');
    assert.equal(text('phase={.status.phase}, ip={.status.podIP}'), 'phase=Running, ip=10.5.0.2');
    assert.equal(text('{$.kind}'), 'Pod');
  });

  it('indexes lists from the front and the back', () => {
    assert.equal(text('{.status.conditions[0].type}'), 'Initialized');
    assert.equal(text('{.status.conditions[-1].type}'), 'PodScheduled');
  });

  it('expands [*], [:] and .* and joins the matches of one expression with a space', () => {
    assert.equal(text('{.status.conditions[*].type}'), 'Initialized Ready PodScheduled');
    assert.equal(text('{.status.conditions[:].rank}'), '1 2 3');
    assert.equal(text('{.status.conditions[0].*}'), 'Initialized True 1');
  });

  it('slices with start, end and step, clamping to the list', () => {
    assert.equal(text('{.status.conditions[1:3].type}'), 'Ready PodScheduled');
    assert.equal(text('{.status.conditions[-2:].rank}'), '2 3');
    assert.equal(text('{.status.conditions[::2].rank}'), '1 3');
    assert.equal(text('{.status.conditions[1:10].rank}'), '2 3');
  });

  it('reads keys containing dots with quotes or backslashes', () => {
    assert.equal(text("{.metadata.annotations['kubernetes.io/config.source']}"), 'file');
    assert.equal(text('{.metadata.annotations["kubernetes.io/config.source"]}'), 'file');
    assert.equal(text('{.metadata.annotations.kubernetes\\.io/config\\.source}'), 'file');
  });

  it('takes unions of keys, indexes and whole paths', () => {
    assert.equal(text("{.status.containerStatuses[0]['name','restartCount']}"), 'kube-apiserver 2');
    assert.equal(text('{.status.conditions[0,2].type}'), 'Initialized PodScheduled');
    assert.equal(text('{.kind,.status.phase}'), 'Pod Running');
  });

  it('returns the current value for {@} and {.}, including a scalar spec', () => {
    assert.equal(text('{@}', 'controlplane'), 'controlplane');
    assert.equal(text('{.}', 42), '42');
    assert.equal(text('{@}', {b: 1, a: [true]}), '{"a":[true],"b":1}');
  });

  it('descends recursively with ..', () => {
    assert.equal(text('{..name}'), 'kube-apiserver kube-apiserver sidecar busybox');
    assert.equal(text('{.status..ready}'), 'true false');
  });

  it('filters lists with ==, !=, <, >, <=, >= and by presence', () => {
    assert.equal(text('{.status.conditions[?(@.type=="Ready")].status}'), 'False');
    assert.equal(text("{.status.conditions[?(@.type == 'Ready')].status}"), 'False');
    assert.equal(text('{.status.conditions[?(@.status!="True")].type}'), 'Ready');
    assert.equal(text('{.status.conditions[?(@.rank<2)].type}'), 'Initialized');
    assert.equal(text('{.status.conditions[?(@.rank>2)].type}'), 'PodScheduled');
    assert.equal(text('{.status.conditions[?(@.rank<=2)].type}'), 'Initialized Ready');
    assert.equal(text('{.status.conditions[?(@.rank>=2)].type}'), 'Ready PodScheduled');
    assert.equal(text('{.status.containerStatuses[?(@.ready==true)].name}'), 'kube-apiserver');
    assert.equal(text('{.status.containerStatuses[?(@.image)].name}'), 'sidecar');
    assert.equal(text('{.status.containerStatuses[?(@.restartCount>@.ready)].name}'), '', 'mixed types never order');
  });

  it('repeats a range body per item, with string literals for separators', () => {
    const template = '{range .status.containerStatuses[*]}{.name}{"\\t"}{.restartCount}{"\\n"}{end}';
    assert.equal(text(template), 'kube-apiserver\t2\nsidecar\t0\n');
    assert.equal(text("{range .status.conditions[?(@.status=='True')]}[{.type}]{end}"), '[Initialized][PodScheduled]');
  });

  it('returns one group per template part and per range iteration', () => {
    const groups = compileJsonPath('n={.status.conditions[*].rank}{range .status.containerStatuses[*]}{.name}{end}').execute(pod);
    assert.deepEqual(groups, [['n='], [1, 2, 3], ['kube-apiserver'], ['sidecar']]);
  });
});

describe('jsonpath missing values', () => {
  it('fails on a missing key, naming the key and the expression', () => {
    assert.throws(() => text('{.status.hostIP}'), (err) => err instanceof JsonPathEvalError && err.message === '{.status.hostIP}: key "hostIP" is not found');
    assert.throws(() => text('{.status.conditions[7]}'), /index 7 is out of range: the list has 3 items/);
    assert.throws(() => text('{.kind[0]}'), /\[0\] needs a list, found the string "Pod"/);
  });

  it('gives nothing instead with allowMissingKeys', () => {
    const lenient = {allowMissingKeys: true};
    assert.equal(text('{.status.hostIP}', pod, lenient), '');
    assert.equal(text('{.spec.containers[0].name}', pod, lenient), '');
    assert.equal(text('[{.status.conditions[7]}]', pod, lenient), '[]');
    assert.equal(text('{.kind[0]}', pod, lenient), '');
  });

  it('skips null values without an error, but prints a null match as null', () => {
    assert.equal(text('{.a.b}', {a: null}, {allowMissingKeys: true}), '');
    assert.equal(text('{.a}', {a: null}), 'null');
  });

  it('lets filters skip items that lack the compared field', () => {
    assert.equal(text('{.items[?(@.x=="1")].id}', {items: [{id: 'a'}, {id: 'b', x: '1'}]}), 'b');
  });
});

describe('jsonpath printing', () => {
  it('prints lists and maps as compact JSON with sorted keys, and booleans and numbers as text', () => {
    assert.equal(text('{.addresses}', {addresses: ['10.5.0.2']}), '["10.5.0.2"]');
    assert.equal(text('{.spec}', {spec: {z: 1, a: {c: null, b: 'x<y'}}}), '{"a":{"b":"x\\u003cy","c":null},"z":1}');
    assert.equal(text('{.ok} {.n} {.f}', {ok: false, n: 6443, f: 1.5}), 'false 6443 1.5');
  });

  it('prints BigInt as digits and Dates as RFC 3339', () => {
    const data = {big: 18446744073709551615n, list: [1n], at: new Date('2026-05-02T08:14:03Z')};
    assert.equal(text('{.big} {.list} {.at}', data), '18446744073709551615 [1] 2026-05-02T08:14:03Z');
  });

  it('puts every match on its own line, maps indented by 4 spaces, for -o jsonpath', () => {
    const results = compileJsonPath('{.metadata.name}{.status.conditions[0]}{.status.conditions[*].rank}').execute(pod);
    assert.equal(
      formatJsonPathResultLines(results),
      'kube-apiserver\n{\n    "rank": 1,\n    "status": "True",\n    "type": "Initialized"\n}\n1\n2\n3\n',
    );
  });
});

describe('jsonpath syntax errors', () => {
  const syntaxError = (template, column, reason) => (err) => {
    assert.ok(err instanceof JsonPathSyntaxError, `expected a JsonPathSyntaxError, got ${err}`);
    assert.equal(err.column, column);
    assert.match(err.reason, reason);
    assert.equal(err.message.split('\n')[2], `  ${' '.repeat(column - 1)}^`, 'the caret sits under the column');
    return true;
  };

  it('points at an unclosed expression', () => {
    assert.throws(() => compileJsonPath('x {.metadata.name'), syntaxError('x {.metadata.name', 3, /missing "}"/));
  });

  it('points at a path that does not start with "." or "@"', () => {
    assert.throws(() => compileJsonPath('{.a} {metadata.name}'), syntaxError('', 7, /unexpected "m"; a path starts with "\." or "@"/));
  });

  it('points at a bad bracket', () => {
    assert.throws(() => compileJsonPath('{.items[x]}'), syntaxError('', 9, /expected an index/));
    assert.throws(() => compileJsonPath('{.items[0}'), syntaxError('', 10, /missing "\]" for the "\[" at column 8/));
    assert.throws(() => compileJsonPath('{.items[?(@.a=="b"]}'), syntaxError('', 19, /"\)" to close the filter/));
    assert.throws(() => compileJsonPath('{.items[::0]}'), syntaxError('', 11, /step must be greater than 0/));
  });

  it('rejects unbalanced range/end, empty expressions and unterminated strings', () => {
    assert.throws(() => compileJsonPath('{range .items[*]}{.name}'), syntaxError('', 1, /never closed with \{end\}/));
    assert.throws(() => compileJsonPath('{.a}{end}'), syntaxError('', 5, /\{end\} without a matching \{range\}/));
    assert.throws(() => compileJsonPath('{ }'), syntaxError('', 1, /empty expression/));
    assert.throws(() => compileJsonPath('{"abc}'), syntaxError('', 2, /unterminated string/));
    assert.throws(() => compileJsonPath('{"\\q"}'), syntaxError('', 4, /unknown escape/));
  });
});
