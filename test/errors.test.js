// Clear errors for bad input: talosconfig credentials, refused certificates, connection failures,
// durations, node and endpoint lists, and talosconfig paths that are not regular files.
// Unit tests on the mapping and validation; end-to-end cases against real osd agents on 127.35.0.x.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {getDeadlineTimeoutString} from '@grpc/grpc-js/build/src/deadline.js';
import * as yaml from 'js-yaml';
import {durationFlag, MAX_TIMER_MS, parseDuration, parseDurationNs} from '../dist/cli/duration.js';
import {formatDuration} from '../dist/machinery/go-duration.js';
import {explainRpcError, EXIT_USAGE} from '../dist/cli/errors.js';
import {connectionFailureCause} from '../dist/machinery/connection-failure.js';
import {
  connectionCredentials,
  contextCredentials,
  contextEndpoints,
  contextNodes,
  normalizeEndpoint,
  normalizeNode,
  readTalosconfig,
} from '../dist/cli/talosconfig.js';
import {generateCA, issueClientCert} from '../dist/machinery/pki.js';
import {issueOddClientCert} from './helpers/agents.js';
import {createCluster, discardCluster, makeHome, osctl} from './helpers/cli.js';

const b64 = (text) => Buffer.from(text).toString('base64');
const unb64 = (text) => Buffer.from(text, 'base64').toString('utf8');
const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'osctl-errors-'));
after(() => fs.rmSync(tempRoot, {recursive: true, force: true}));

describe('durations are Go durations', () => {
  it('parses Go syntax exactly, to the nanosecond', () => {
    assert.equal(parseDurationNs('1ns'), 1n);
    assert.equal(parseDurationNs('1.5s'), 1_500_000_000n);
    assert.equal(parseDurationNs('1h2m3.25s'), 3_723_250_000_000n);
    assert.equal(parseDurationNs('.5µs'), 500n);
    assert.equal(parseDurationNs('2\u03bcs'), 2000n); // Greek mu, as Go accepts
    assert.equal(parseDurationNs('-1m'), -60_000_000_000n);
    assert.equal(parseDurationNs('0'), 0n);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1ns'), 1e-6);
    assert.throws(() => parseDuration('30'), /invalid duration "30": missing unit/);
    assert.throws(() => parseDuration('5x'), /invalid duration "5x": unknown unit "x"/);
    assert.throws(() => parseDuration('.s'), /invalid duration "\.s"/);
    assert.throws(() => parseDuration(''), /invalid duration ""/);
    assert.throws(() => parseDuration('2562048h'), /longer than the longest duration, 2562047h47m16\.854775807s/);
  });

  it('prints as time.Duration.String does', () => {
    const cases = [
      [60_000, '1m0s'], [1e-6, '1ns'], [1500, '1.5s'], [7_200_000, '2h0m0s'], [500, '500ms'], [1e-3, '1µs'],
      [0, '0s'], [30_000, '30s'], [1.5e-3, '1.5µs'], [90_061_001, '25h1m1.001s'], [MAX_TIMER_MS, '596h31m23.647s'], [-1500, '-1.5s'],
    ];
    for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, `${ms} ms`);
    for (const text of ['1m0s', '1ns', '1.5s', '2h0m0s', '500ms', '1µs', '8760h0m0s']) assert.equal(formatDuration(parseDuration(text)), text);
  });

  it('flags must be positive and at most Go\'s longest duration; timers are capped where they are set', () => {
    assert.equal(durationFlag('timeout', '30s'), 30_000);
    assert.equal(durationFlag('timeout', '1ns'), 1e-6);
    assert.equal(durationFlag('timeout', '596h31m23.648s'), MAX_TIMER_MS + 1);
    assert.throws(() => durationFlag('timeout', '0'), {exitCode: EXIT_USAGE, message: '--timeout "0": the duration must be positive, e.g. 30s'});
    assert.throws(() => durationFlag('timeout', '-5s'), /--timeout "-5s": the duration must be positive/);
    assert.throws(() => durationFlag('timeout', '99999999999h'), {exitCode: EXIT_USAGE, message: '--timeout "99999999999h": the duration must be at most 2562047h47m16.854775807s'});
    assert.throws(() => durationFlag('timeout', 'soon'), {exitCode: EXIT_USAGE, message: /^--timeout: invalid duration "soon"/});
    // A certificate lifetime is not a wait: years are fine, up to Go's limit.
    assert.equal(durationFlag('crt-ttl', '87600h'), 87600 * 3_600_000);
    assert.throws(() => durationFlag('crt-ttl', '99999999999h'), /--crt-ttl "99999999999h": the duration must be at most 2562047h47m16\.854775807s/);
    // The bound is one grpc-js can put on the wire, and one Node's setTimeout honours.
    assert.doesNotThrow(() => getDeadlineTimeoutString(Date.now() + MAX_TIMER_MS));
    assert.throws(() => getDeadlineTimeoutString(Date.now() + 99999999999 * 3_600_000), /too far in the future/);
    assert.equal(MAX_TIMER_MS, 2 ** 31 - 1);
  });
});

describe('connection failures are explained without grpc-js framing', () => {
  const site = {configPath: '/home/u/.talos/config', contextName: 'lab', endpoint: '10.0.0.1:50000', node: '10.0.0.7', timeoutMs: 1e-6};
  const foreignSigned = {...site, clientCertificate: {roles: () => ['os:admin'], issuer: 'O=talos', signedByContextCa: false}};
  // Captured from grpc-js 1.14 against `openssl s_server -Verify 1 -verify_return_error` (which alerts as
  // Go's TLS server, and so Talos's apid, does) and against osd (which closes the connection instead).
  const framed = (cause) => `No connection established. Last error: ${cause}. Resolution note: `;
  const unknownCa = framed('80FC02BA5A7F0000:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 48\n (2026-12-02T05:16:01.770Z)');
  const expired = framed('809C4CE0777F0000:error:0A000415:SSL routines:ssl3_read_bytes:sslv3 alert certificate expired:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 45\n (2026-12-02T05:16:03.355Z)');

  it('unwraps the cause', () => {
    assert.equal(connectionFailureCause(unknownCa), 'tlsv1 alert unknown ca');
    assert.equal(connectionFailureCause(framed('Failed to connect (2026-12-02T05:15:37.430Z)')), 'Failed to connect');
    assert.equal(connectionFailureCause(framed('Error: self-signed certificate in certificate chain')), 'self-signed certificate in certificate chain');
    assert.equal(connectionFailureCause(framed('Error: connect ECONNREFUSED 10.0.0.1:50000')), 'connect ECONNREFUSED 10.0.0.1:50000');
    assert.equal(connectionFailureCause('No connection established'), '');
    assert.equal(connectionFailureCause('Name resolution failed for target dns:nosuch.invalid:50000'), 'name resolution failed');
    assert.equal(connectionFailureCause('node 10.0.0.7 is unreachable: connect ECONNREFUSED'), undefined);
  });

  it('says the node refused the client certificate, and why', () => {
    let text = explainRpcError({code: 14, details: unknownCa}, site);
    assert.match(text, /^endpoint 10\.0\.0\.1:50000 refused the client certificate of context "lab" of talosconfig "\/home\/u\/\.talos\/config": it is not signed by a CA the node trusts \(TLS alert "unknown ca"\)/);
    text = explainRpcError({code: 14, details: unknownCa}, foreignSigned);
    assert.match(text, /refused the client certificate .*: the client certificate is not signed by the context's CA, which the node uses \(it was issued by another CA, "O=talos"\)/);
    assert.match(explainRpcError({code: 14, details: expired}, site), /refused the client certificate .*: the node considers it expired/);
    assert.match(explainRpcError({code: 14, details: framed('error:0A000412:SSL routines::sslv3 alert bad certificate')}, site), /refused the client certificate .*could not verify it \(TLS alert "bad certificate"\)/);
    assert.match(explainRpcError({code: 14, details: framed('error:0A00045C:SSL routines::tlsv13 alert certificate required')}, site), /refused the client certificate .*requires one/);
    // osd closes the connection without an alert; what the certificate says tells why.
    text = explainRpcError({code: 14, details: framed('Failed to connect (2026-12-02T05:15:37.430Z)')}, foreignSigned);
    assert.match(text, /^endpoint 10\.0\.0\.1:50000 refused the client certificate of context "lab" .*not signed by the context's CA/);
    assert.match(explainRpcError({code: 14, details: framed('read ECONNRESET (2026-12-02T05:09:07.044Z)')}, site), /closed the connection while setting up TLS \(read ECONNRESET\): it refused the client certificate/);
  });

  it('says the node\'s certificate is not signed by the context\'s CA', () => {
    for (const cause of ['Error: self-signed certificate in certificate chain', 'Error: unable to verify the first certificate', 'Error: unable to get local issuer certificate']) {
      assert.match(explainRpcError({code: 14, details: framed(cause)}, site), /^the certificate of endpoint 10\.0\.0\.1:50000 is not signed by the CA in context "lab" of talosconfig "\/home\/u\/\.talos\/config"/);
    }
    assert.match(explainRpcError({code: 14, details: framed('Error: certificate has expired')}, site), /certificate of endpoint 10\.0\.0\.1:50000 has expired/);
    assert.match(
      explainRpcError({code: 14, details: framed("Error: Hostname/IP does not match certificate's altnames: IP: 10.0.0.1 is not in the cert's list: 10.0.0.2")}, site),
      /certificate of endpoint 10\.0\.0\.1:50000 is not issued for that address/,
    );
  });

  it('explains unreachable endpoints in plain words', () => {
    assert.match(explainRpcError({code: 14, details: framed('Error: connect ECONNREFUSED 10.0.0.1:50000')}, site), /^nothing accepts connections at endpoint 10\.0\.0\.1:50000 \(connection refused\): check that the agent is running there and that the endpoint in context "lab"/);
    assert.match(explainRpcError({code: 14, details: framed('Error: connect ENETUNREACH 0.0.0.1:50000')}, site), /endpoint 10\.0\.0\.1:50000 is unreachable \(no route to it\)/);
    assert.match(explainRpcError({code: 14, details: 'Name resolution failed for target dns:nosuch.invalid:50000'}, site), /cannot resolve the host name of endpoint 10\.0\.0\.1:50000/);
    assert.match(explainRpcError({code: 14, details: framed('Error: write EPROTO error:0A00010B:SSL routines::wrong version number')}, site), /did not answer with TLS/);
  });

  it('never passes grpc-js or OpenSSL framing through', () => {
    const all = [unknownCa, expired, framed('Failed to connect (2026-12-02T05:15:37.430Z)'), framed('Error: connect ECONNREFUSED 10.0.0.1:50000'), framed('Error: self-signed certificate in certificate chain'), 'No connection established', framed('Error: something new')];
    for (const details of all) {
      for (const s of [site, foreignSigned]) {
        const text = explainRpcError({code: 14, details}, s);
        assert.doesNotMatch(text, /Resolution note|Last error|No connection established|error:[0-9A-F]{8}|\d{4}-\d\d-\d\dT/, text);
      }
    }
  });

  it('a deadline is printed as a Go duration', () => {
    assert.match(explainRpcError({code: 4, details: 'Deadline exceeded'}, site), /did not answer within 1ns;/);
    assert.match(explainRpcError({code: 4, details: 'Deadline exceeded'}, {...site, timeoutMs: 90_000}), /within 1m30s;/);
  });
});

describe('PermissionDenied hints at roles only when roles are the problem', () => {
  const site = {configPath: '/c', contextName: 'lab', endpoint: '10.0.0.1:50000', node: '10.0.0.7', clientCertificate: {roles: () => ['os:reader'], issuer: 'O=talos', signedByContextCa: true}};
  it('an unknown namespace or type is named, without a role hint', () => {
    const namespace = explainRpcError({code: 7, details: 'namespace "nope" is not supported'}, site);
    assert.match(namespace, /^node 10\.0\.0\.7 via endpoint 10\.0\.0\.1:50000 has no resource namespace "nope"/);
    assert.doesNotMatch(namespace, /os:admin|role/);
    const type = explainRpcError({code: 7, details: 'resource type "foos.example" is not supported'}, site);
    assert.match(type, /does not serve resource type "foos\.example"/);
    assert.doesNotMatch(type, /os:admin|role/);
    assert.doesNotMatch(explainRpcError({code: 7, details: 'write access is not allowed'}, site), /os:admin|role/);
  });
  it('"not authorized" names the roles the certificate has', () => {
    const denied = explainRpcError({code: 7, details: 'not authorized'}, site);
    assert.match(denied, /refused the call: not authorized\. The client certificate of context "lab" of talosconfig "\/c" \(it has role os:reader\) lacks the role this needs/);
  });
});

describe('talosconfig credentials are checked before connecting, naming the field', () => {
  let ca;
  let admin;
  let other;
  const where = /in context "lab" of talosconfig "\/t\/config"/;
  const resolved = (fields) => ({name: 'lab', path: '/t/config', context: {ca: b64(ca.crt), crt: b64(admin.crt), key: b64(admin.key), ...fields}});
  before(async () => {
    ca = await generateCA({organization: 'talos', ttlMs: 3600_000});
    admin = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: 3600_000});
    other = await issueClientCert(await generateCA({organization: 'talos', ttlMs: 3600_000}), {roles: ['os:admin'], ttlMs: 3600_000});
  });

  it('accepts a good context and reports what its certificate says', () => {
    const good = connectionCredentials(resolved({}));
    assert.equal(good.crt, admin.crt);
    const {roles, ...facts} = good.clientCertificate;
    assert.deepEqual(facts, {issuer: 'O=talos', signedByContextCa: true});
    assert.deepEqual(roles(), ['os:admin']);
    assert.equal(connectionCredentials(resolved({crt: b64(other.crt), key: b64(other.key)})).clientCertificate.signedByContextCa, false);
    // Blocks of other kinds are skipped, as Go's and OpenSSL's PEM readers skip them.
    assert.doesNotThrow(() => contextCredentials(resolved({crt: b64(admin.key + admin.crt), key: b64(admin.crt + admin.key)})));
    // Line-wrapped base64, as some editors leave it, is still base64 to Go.
    assert.equal(contextCredentials(resolved({ca: b64(ca.crt).replace(/(.{64})/g, '$1\n')})).ca, ca.crt);
  });

  it('names the field and the problem instead of OpenSSL text', () => {
    const cases = [
      [{crt: '!!!not base64'}, /^the client certificate \("crt"\) .* is not base64/],
      [{ca: b64('hello')}, /^the CA certificate \("ca"\) .* is not a PEM certificate \(no "-----BEGIN \.\.\.-----" line\)/],
      [{crt: b64(admin.crt.replace('-----END CERTIFICATE-----', '-----END CERTIFICATX-----'))}, /^the client certificate \("crt"\) .* is not a PEM certificate \(its "CERTIFICATE" block has no "-----END CERTIFICATE-----" line/],
      [{crt: b64(admin.key)}, /^the client certificate \("crt"\) .* is not a PEM certificate \(it holds only a "ED25519 PRIVATE KEY" block, no "-----BEGIN CERTIFICATE-----" block\)/],
      [{crt: b64('-----BEGIN CERTIFICATE-----\nQ1JU\n-----END CERTIFICATE-----\n')}, /^the client certificate \("crt"\) .* is not a PEM certificate \(its CERTIFICATE block is damaged or holds no X\.509 certificate\)/],
      [{key: b64('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')}, /^the client key \("key"\) .* is not a PEM private key \(its "PRIVATE KEY" block is damaged/],
      [{key: b64(admin.crt)}, /^the client key \("key"\) .* is not a PEM private key \(it holds only a "CERTIFICATE" block/],
      [{key: b64(other.key)}, /^the client key \("key"\) .* does not match its client certificate \("crt"\)/],
    ];
    for (const [fields, message] of cases) {
      assert.throws(() => contextCredentials(resolved(fields)), (err) => {
        assert.equal(err.name, 'TalosConfigError');
        assert.match(err.message, message);
        assert.match(err.message, where);
        assert.doesNotMatch(err.message, /routines|error:[0-9A-F]{8}/);
        return true;
      }, JSON.stringify(fields));
    }
  });

  it('refuses an expired client certificate for connecting (config info may still read it)', () => {
    const later = new Date(Date.now() + 2 * 3600_000);
    assert.throws(() => connectionCredentials(resolved({}), later), /^TalosConfigError: the client certificate \("crt"\) in context "lab" of talosconfig "\/t\/config" expired on \d{4}-.*nodes refuse it/);
    assert.doesNotThrow(() => contextCredentials(resolved({})));
  });
});

describe('node and endpoint lists', () => {
  it('refuses empty and short numeric names that the resolver would read as other addresses', () => {
    assert.equal(normalizeNode(' 10.5.0.2 '), '10.5.0.2');
    assert.equal(normalizeNode('fd00::1'), 'fd00::1');
    assert.equal(normalizeNode('cp-1.lab.example'), 'cp-1.lab.example');
    assert.throws(() => normalizeNode(''), /invalid node "": it is empty/);
    assert.throws(() => normalizeNode('2'), /invalid node "2": "2" is neither a full IPv4 address/);
    assert.throws(() => normalizeNode('10.1'), /neither a full IPv4 address/);
    assert.throws(() => normalizeNode('a b'), /is not a valid host name/);
    assert.throws(() => normalizeEndpoint('1'), /invalid endpoint "1": "1" is neither a full IPv4 address/);
    assert.throws(() => normalizeEndpoint('127.1:50000'), /neither a full IPv4 address/);
    assert.throws(() => normalizeEndpoint('[10.0.0.1]'), /is not an IPv6 address/);
    assert.equal(normalizeEndpoint('https://[fd00::1]'), '[fd00::1]:443');
    assert.equal(normalizeEndpoint('fd00::1'), '[fd00::1]:50000');
    assert.equal(normalizeEndpoint('cp.example'), 'cp.example:50000');
  });

  it('names the file, the context and the value for a bad talosconfig entry', () => {
    const context = {name: 'lab', path: '/t/config', context: {endpoints: ['10.0.0.1', '2'], nodes: ['10.0.0.1', '']}};
    assert.throws(() => contextEndpoints(context), /^TalosConfigError: endpoints\[1\] of context "lab" of talosconfig "\/t\/config" is unusable: invalid endpoint "2"/);
    assert.throws(() => contextNodes(context), /^TalosConfigError: nodes\[1\] of context "lab" of talosconfig "\/t\/config" is unusable: invalid node "": it is empty/);
  });
});

describe('a talosconfig path must be a regular file', () => {
  it('refuses a FIFO, a device and a directory without reading', () => {
    const fifo = path.join(tempRoot, 'fifo');
    execFileSync('mkfifo', [fifo]);
    assert.throws(() => readTalosconfig(fifo), /talosconfig ".*fifo" is a named pipe \(FIFO\), not a regular file/);
    assert.throws(() => readTalosconfig('/dev/zero'), /talosconfig "\/dev\/zero" is a character device, not a regular file/);
    assert.throws(() => readTalosconfig(tempRoot), /is a directory, not a regular file/);
    assert.deepEqual(readTalosconfig(path.join(tempRoot, 'missing')), {});
  });
});

describe('osctl against osd agents with bad input', () => {
  const NAME = 'errs';
  const NODE = '127.35.0.2';
  const user = makeHome('osctl-errors-e2e-');
  const {home, env, talosconfig} = user;
  let context;
  /** Writes a talosconfig whose one context is the cluster's with `fields` replaced. */
  const configWith = (name, fields) => {
    const file = path.join(home, `${name}.yaml`);
    fs.writeFileSync(file, yaml.dump({context: NAME, contexts: {[NAME]: {...context, ...fields}}}));
    return file;
  };
  const clusterCa = () => {
    const stateDir = path.join(home, '.talos', 'clusters', NAME, `${NAME}-controlplane-1`);
    const config = yaml.load(fs.readFileSync(path.join(stateDir, 'system', 'state', 'config.yaml'), 'utf8'));
    return {crt: unb64(config.machine.ca.crt), key: unb64(config.machine.ca.key)};
  };
  const assertClean = (r) => {
    assert.doesNotMatch(r.stderr, /Resolution note|Last error|routines::|error:[0-9A-F]{8}|\n\s+at /, r.stderr);
  };

  before(async () => {
    await createCluster(user, ['--name', NAME, '--cidr', '127.35.0.0/24', '--controlplanes', '1', '--workers', '0']);
    context = yaml.load(fs.readFileSync(talosconfig, 'utf8')).contexts[NAME];
  });

  after(() => discardCluster(user, NAME));

  it('a client certificate from another CA: the node refused it, and why', async () => {
    const foreign = await issueClientCert(await generateCA({organization: 'talos', ttlMs: 3600_000}), {roles: ['os:admin'], ttlMs: 3600_000});
    const file = configWith('foreign-client', {crt: b64(foreign.crt), key: b64(foreign.key)});
    const r = await osctl(['--talosconfig', file, 'version'], {env});
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`endpoint ${NODE.replaceAll('.', '\\.')}:50000 refused the client certificate of context "${NAME}" of talosconfig ".*foreign-client\\.yaml": the client certificate is not signed by the context's CA`));
    assert.doesNotMatch(r.stderr, /cannot reach|agent is running/);
    assertClean(r);
  });

  it('a node nothing listens on: one clean sentence, naming the node, its address and the endpoint', async () => {
    const absent = '127.35.0.99';
    const r = await osctl(['-n', absent, 'version'], {env});
    assert.notEqual(r.code, 0);
    const node = absent.replaceAll('.', '\\.');
    assert.match(r.stderr, new RegExp(`node ${node} \\(${node}:50000\\) is unreachable: nothing accepts connections there \\(connection refused\\), says endpoint ${NODE.replaceAll('.', '\\.')}:50000\\. Check the node address \\(-n\\)`));
    assert.equal(r.stderr.match(/is unreachable/g).length, 1, r.stderr);
    assertClean(r);
  });

  it('a context CA that did not sign the node\'s certificate is named', async () => {
    const foreignCa = await generateCA({organization: 'talos', ttlMs: 3600_000});
    const file = configWith('foreign-ca', {ca: b64(foreignCa.crt)});
    const r = await osctl(['--talosconfig', file, 'get', 'hostname'], {env});
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`the certificate of endpoint ${NODE.replaceAll('.', '\\.')}:50000 is not signed by the CA in context "${NAME}" of talosconfig ".*foreign-ca\\.yaml"`));
    assertClean(r);
  });

  it('an expired client certificate is refused before connecting', async () => {
    const expired = await issueOddClientCert(clusterCa(), {notBefore: new Date(Date.now() - 7200_000), notAfter: new Date(Date.now() - 3600_000)});
    const file = configWith('expired', {crt: b64(expired.crt), key: b64(expired.key)});
    const r = await osctl(['--talosconfig', file, 'version'], {env});
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error: the client certificate \\("crt"\\) in context "${NAME}" of talosconfig ".*expired\\.yaml" expired on `));
    assert.doesNotMatch(r.stdout, /Server:/);
    assertClean(r);
  });

  it('damaged credentials name the field, not OpenSSL', async () => {
    const other = await issueClientCert(clusterCa(), {roles: ['os:admin'], ttlMs: 3600_000});
    const cases = [
      ['mismatch', {key: b64(other.key)}, /the client key \("key"\) in context "errs" of talosconfig ".*mismatch\.yaml" does not match its client certificate/],
      ['garbage-key', {key: b64('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')}, /the client key \("key"\) .* is not a PEM private key/],
      ['bad-end', {crt: b64(unb64(context.crt).replace('-----END CERTIFICATE-----', '-----END CERTIFICATX-----'))}, /the client certificate \("crt"\) .* has no "-----END CERTIFICATE-----" line/],
    ];
    for (const [name, fields, message] of cases) {
      const r = await osctl(['--talosconfig', configWith(name, fields), 'version'], {env});
      assert.equal(r.code, 1, name);
      assert.match(r.stderr, message);
      assertClean(r);
    }
  });

  it('an unknown namespace is not reported as a missing role; a missing role names the roles held', async () => {
    const r = await osctl(['get', 'hostname', '--namespace', 'nope'], {env});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /has no resource namespace "nope"; list the namespaces with `osctl get namespaces`/);
    assert.doesNotMatch(r.stderr, /os:admin|role/);
    const readerConfig = path.join(home, 'reader.yaml');
    assert.equal((await osctl(['config', 'new', readerConfig, '--roles', 'os:reader'], {env})).code, 0);
    const mc = await osctl(['--talosconfig', readerConfig, '-n', NODE, 'get', 'mc'], {env});
    assert.equal(mc.code, 1);
    assert.match(mc.stderr, /not authorized\. The client certificate of context "reader@errs" of talosconfig ".*reader\.yaml" \(it has role os:reader\) lacks the role/);
  });

  it('empty node names are a usage error, and nothing is sent', async () => {
    for (const args of [['-n', '', 'version'], ['-n', ',,,', 'get', 'hostname'], ['get', 'hostname', '-n', `${NODE},`], ['version', '--nodes=,']]) {
      const r = await osctl(args, {env});
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^error: -n\/--nodes ".*": invalid node "": it is empty/);
      assert.doesNotMatch(r.stdout, /Server:|HostnameStatus/);
    }
    // oclif's parser (used when the fast path steps aside) hands the same values to the same check.
    const viaOclif = await osctl(['-n', ',,,', 'version'], {env: {...env, OSCTL_NO_FAST_PATH: '1'}});
    assert.equal(viaOclif.code, 2, viaOclif.stderr);
    assert.match(viaOclif.stderr, /^error: -n\/--nodes ",,,": invalid node "": it is empty/);
    const r = await osctl(['-e', '', 'version'], {env});
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: -e\/--endpoints "": invalid endpoint "": it is empty/);
  });

  it('numeric endpoints in a talosconfig are refused, naming the file, context and value', async () => {
    const file = configWith('numeric', {endpoints: [1, 2]});
    const r = await osctl(['--talosconfig', file, 'version'], {env});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: endpoints\[0\] of context "errs" of talosconfig ".*numeric\.yaml" is unusable: invalid endpoint "1": "1" is neither a full IPv4 address/);
    assert.doesNotMatch(r.stderr, /0\.0\.0\.1/);
  });

  it('--talosconfig pointing at a FIFO or /dev/zero fails at once', async () => {
    const fifo = path.join(home, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const file of [fifo, '/dev/zero']) {
      const started = Date.now();
      const r = await osctl(['--talosconfig', file, 'version'], {env, timeoutMs: 10_000});
      assert.equal(r.code, 1);
      assert.match(r.stderr, /is (a named pipe \(FIFO\)|a character device), not a regular file/);
      assert.ok(Date.now() - started < 5000);
    }
    const r = await osctl(['version'], {env: {...env, TALOSCONFIG: fifo}, timeoutMs: 10_000});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /talosconfig ".*fifo" is a named pipe \(FIFO\), not a regular file/);
  });

  it('--timeout: a bad value is a usage error, the longest one works, and 1ns prints as 1ns', async () => {
    let r = await osctl(['--timeout', '99999999999h', 'version'], {env});
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'error: --timeout "99999999999h": the duration must be at most 2562047h47m16.854775807s\n');
    r = await osctl(['--timeout', '0', 'version'], {env});
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'error: --timeout "0": the duration must be positive, e.g. 30s\n');
    r = await osctl(['--timeout', '2562047h47m16.854775807s', 'version'], {env});
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Server:/);
    r = await osctl(['--timeout', '1ns', 'version'], {env});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /within 1ns;/);
    assert.doesNotMatch(r.stderr, /e-\d/);
  });
});
