// The two grpc-js internals osd and osctl rely on (@grpc/grpc-js is pinned to an exact version):
// these fail when an upgrade removes or changes them, before users meet hung handshakes or
// Unimplemented answers. Loopback only, on 127.41.1.x.
import assert from 'node:assert/strict';
import {createServer} from 'node:net';
import {describe, it} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {routeUnknownMethods} from '../dist/agent/server/server.js';
import {closableCredentials} from '../dist/machinery/grpc-credentials.js';
import {generateCA, issueClientCert} from '../dist/machinery/pki.js';
import {DAY, normalizeKey} from './helpers/agents.js';

process.noDeprecation = true; // DEP0123: grpc-js passes IP targets as the TLS server name.

const SILENT = '127.41.1.1'; // accepts TCP, never answers

/** A listener that accepts and stays silent; resolves with it, its port and the sockets it holds open. */
async function silentServer() {
  const open = new Set();
  const server = createServer((socket) => {
    socket.resume();
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, SILENT, resolve));
  return {server, port: server.address().port, open};
}

async function secureBase() {
  const ca = await generateCA({organization: 'talos', ttlMs: DAY});
  const client = await issueClientCert(ca, {roles: ['os:admin'], ttlMs: DAY});
  return grpc.credentials.createSsl(Buffer.from(ca.crt), Buffer.from(normalizeKey(client.key)), Buffer.from(client.crt));
}

async function eventuallyZero(read, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (read() !== 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return read();
}

describe('closableCredentials (ChannelCredentials._createSecureConnector)', () => {
  it('ends a stalled TLS handshake after the limit', async () => {
    const {server, port, open} = await silentServer();
    const bounded = closableCredentials(await secureBase(), {handshakeTimeoutMs: 300});
    const client = new grpc.Client(`${SILENT}:${port}`, bounded.credentials);
    try {
      client.getChannel().getConnectivityState(true);
      await new Promise((resolve, reject) => {
        const deadline = Date.now() + 5000;
        const check = () => (open.size > 0 ? resolve() : Date.now() > deadline ? reject(new Error('no connection')) : setTimeout(check, 20));
        check();
      });
      assert.equal(await eventuallyZero(() => open.size, 2000), 0, 'the handshake was not ended');
    } finally {
      client.close();
      bounded.close();
      await eventuallyZero(() => open.size, 3000);
      server.close();
    }
  });

  it('ends handshakes in progress on close(), and is equal only to itself', async () => {
    const {server, port, open} = await silentServer();
    const base = await secureBase();
    const closable = closableCredentials(base);
    assert.equal(closable.credentials._equals(closable.credentials), true);
    assert.equal(closable.credentials._equals(base), false);
    const client = new grpc.Client(`${SILENT}:${port}`, closable.credentials);
    try {
      client.getChannel().getConnectivityState(true);
      const deadline = Date.now() + 5000;
      while (open.size === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(open.size, 1);
      client.close();
      closable.close();
      assert.equal(await eventuallyZero(() => open.size, 2000), 0, 'close() left the handshake running');
    } finally {
      server.close();
    }
  });

  it('refuses, with a clear message, credentials that have no hook', () => {
    assert.throws(() => closableCredentials(grpc.credentials.createInsecure()), /no ChannelCredentials\._createSecureConnector hook|TLS handshakes could not be bounded/);
    const hookless = Object.assign(Object.create(grpc.credentials.createInsecure()), {_createSecureConnector: undefined, _isSecure: () => true});
    assert.throws(() => closableCredentials(hookless), /this @grpc\/grpc-js version has no ChannelCredentials\._createSecureConnector hook/);
  });
});

describe('routeUnknownMethods (grpc.Server handler table)', () => {
  it('routes a path no handler is registered for, and keeps registered ones', () => {
    const server = new grpc.Server();
    const registered = () => {};
    server.register('/machine.MachineService/Version', registered, (v) => v, (v) => v, 'unary');
    const fallback = () => {};
    routeUnknownMethods(server, fallback);
    const table = server.handlers;
    assert.equal(table.get('/machine.MachineService/Version').func, registered);
    const unknown = table.get('/newer.Service/Method');
    assert.equal(unknown.func, fallback);
    assert.equal(unknown.type, 'bidi');
  });

  it('refuses to start, with a clear message, when grpc-js keeps no handler table', () => {
    assert.throws(() => routeUnknownMethods({}, () => {}), /keeps no handler table osd can extend: unknown methods cannot be routed/);
  });
});
