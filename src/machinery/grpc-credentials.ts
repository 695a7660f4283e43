// Channel credentials whose TLS handshakes can be ended, for osctl's channels and osd's forwarding.
// grpc-js has no handshake timeout, and keeps a handshake running after its channel is closed (the
// subchannel pool holds the subchannel for a while): a peer that accepts TCP and then says nothing
// would hold a socket per attempt, and keep a CLI process alive, for ever.
//
// The only way in is grpc-js's internal `_createSecureConnector` (called once per connection
// attempt, with the connected socket). @grpc/grpc-js is pinned to an exact version, and
// `closableCredentials` refuses to work without the hook: it throws at once, when the first
// channel is made (at osd's start-up, and before osctl's first call), rather than fall back to
// credentials whose handshakes could hang for ever. test/grpc-internals.test.js fails on an
// upgrade that removes or changes the hook.
import * as grpc from '@grpc/grpc-js';
import type {Socket} from 'node:net';

type CreateSecureConnector = grpc.ChannelCredentials['_createSecureConnector'];
type SecureConnector = ReturnType<CreateSecureConnector>;

export interface ClosableCredentials {
  readonly credentials: grpc.ChannelCredentials;
  /** Ends every handshake in progress; later connection attempts fail at once. */
  close(): void;
}

/**
 * `base` (secure credentials) whose handshakes are ended by `close()`, and, with
 * `handshakeTimeoutMs`, when the peer sends nothing for that long during one.
 */
export function closableCredentials(base: grpc.ChannelCredentials, options: {handshakeTimeoutMs?: number} = {}): ClosableCredentials {
  const createSecureConnector = (base as unknown as {_createSecureConnector?: unknown})._createSecureConnector;
  if (typeof createSecureConnector !== 'function' || !base._isSecure()) {
    throw new Error('this @grpc/grpc-js version has no ChannelCredentials._createSecureConnector hook: TLS handshakes could not be bounded (install the version package.json pins)');
  }
  const handshaking = new Set<Socket>();
  let closed = false;
  const limit = options.handshakeTimeoutMs;
  const wrapped = (...args: Parameters<CreateSecureConnector>): SecureConnector => {
    const connector = (createSecureConnector as CreateSecureConnector).apply(base, args);
    return {
      connect: async (socket) => {
        if (closed) {
          socket.destroy();
          throw new Error('channel closed');
        }
        handshaking.add(socket);
        if (limit !== undefined) socket.setTimeout(limit, () => socket.destroy(new Error(`no TLS handshake within ${limit / 1000}s`)));
        try {
          return await connector.connect(socket);
        } finally {
          handshaking.delete(socket);
          if (limit !== undefined) socket.setTimeout(0);
        }
      },
      waitForReady: () => connector.waitForReady(),
      getCallCredentials: () => connector.getCallCredentials(),
      destroy: () => connector.destroy(),
    };
  };
  // Everything else is `base`'s own (so methods a grpc-js upgrade adds keep working). Equal only to
  // itself: channels with other credentials must not share its subchannels, which close() ends.
  const credentials = Object.assign(Object.create(base) as grpc.ChannelCredentials, {
    _createSecureConnector: wrapped,
    _equals: (other: grpc.ChannelCredentials) => other === credentials,
  });
  return {
    credentials,
    close: () => {
      closed = true;
      for (const socket of handshaking) socket.destroy();
      handshaking.clear();
    },
  };
}
