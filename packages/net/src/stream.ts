/**
 * Stream and listener capabilities over a transport's connections.
 *
 * A stream is `Far('NetStream', { read, write, end, close, peer })`: `read()`
 * answers the next bytes or null at the end of the peer's data, `write(bytes)`
 * sends (a string is sent as UTF-8), `end()` half-closes, `close()` closes
 * both ways. Bytes are charged to the budgets as they are read and before
 * they are written; a read past the budget closes the stream. Each stream
 * and listener holds one handle until it is closed, by the guest or by the
 * capability's revocation — whichever comes first gives the handle back,
 * once.
 */
import { Far } from '@endo/far';
import type { EffectKind } from '@cathedral/sdk';
import { declareEffects } from '@cathedral/sdk';
import { netEffects } from './effects.js';
import { type Meter, giveAll, takeAll } from './meter.js';
import { toBytes } from './bytes.js';
import { closedAlready, ioFailure } from './refusals.js';
import type { Acceptor, Conn } from './transport.js';

/** What a capability shares with the streams and listeners it opens. */
export interface Scope {
  readonly realm: string | undefined;
  readonly meters: readonly Meter[];
  /** A `RevokedError` once the capability is revoked. */
  assertLive(operation: string, target: string): void;
  /** A `CeilingError` when the effect is outside the ceiling the capability was given. */
  checkEffect(effect: EffectKind, operation: string, target: string): void;
  /** Closes `close` when the capability is revoked; answers a function that forgets it. */
  track(close: (reason: string) => void): () => void;
}

export const makeStream = (conn: Conn, peer: string, scope: Scope) => {
  let closed = false;
  const at = (operation: string) => ({ operation, target: peer, realm: scope.realm });
  let untrack = () => {};
  const finish = () => {
    if (closed) return;
    closed = true;
    conn.destroy();
    untrack();
    giveAll(scope.meters, 'handles', 1);
  };
  untrack = scope.track(finish);
  const usable = (operation: string) => {
    scope.assertLive(operation, peer);
    if (closed) throw closedAlready(at(operation), 'stream');
  };
  return declareEffects(Far('NetStream', {
    read: async (): Promise<Uint8Array | null> => {
      usable('read');
      let chunk: Uint8Array | null;
      try {
        chunk = await conn.read();
      } catch (error) {
        finish();
        scope.assertLive('read', peer);
        throw ioFailure(at('read'), error);
      }
      scope.assertLive('read', peer);
      if (chunk === null) return null;
      try {
        takeAll(scope.meters, 'netBytes', chunk.length, at('read'));
      } catch (error) {
        finish(); // the peer sent past the budget: the stream ends here
        throw error;
      }
      return chunk;
    },
    write: async (data: unknown): Promise<void> => {
      usable('write');
      const bytes = toBytes('write', peer, data);
      takeAll(scope.meters, 'netBytes', bytes.length, at('write'));
      try {
        await conn.write(bytes);
      } catch (error) {
        scope.assertLive('write', peer);
        throw ioFailure(at('write'), error);
      }
    },
    end: (): void => {
      usable('end');
      conn.end();
    },
    close: (): void => finish(),
    peer: (): string => peer,
  }), netEffects.NetStream);
};

export type NetStream = ReturnType<typeof makeStream>;

export const makeListener = (acceptor: Acceptor, where: string, scope: Scope) => {
  let closed = false;
  const at = (operation: string) => ({ operation, target: where, realm: scope.realm });
  let untrack = () => {};
  const finish = () => {
    if (closed) return;
    closed = true;
    acceptor.close();
    untrack();
    giveAll(scope.meters, 'handles', 1);
  };
  untrack = scope.track(finish);
  return declareEffects(Far('NetListener', {
    accept: async (): Promise<NetStream> => {
      scope.assertLive('accept', where);
      if (closed) throw closedAlready(at('accept'), 'listener');
      let conn: Conn;
      try {
        conn = await acceptor.accept();
      } catch (error) {
        scope.assertLive('accept', where);
        if (closed) throw closedAlready(at('accept'), 'listener');
        throw ioFailure(at('accept'), error);
      }
      try {
        scope.assertLive('accept', where);
        takeAll(scope.meters, 'handles', 1, at('accept'));
      } catch (error) {
        conn.destroy();
        throw error;
      }
      return makeStream(conn, where, scope);
    },
    close: (): void => finish(),
    /** Where it listens, with the port the system picked when 0 was asked. */
    address: (): string => where,
  }), netEffects.NetListener);
};

export type NetListener = ReturnType<typeof makeListener>;
