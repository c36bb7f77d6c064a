/**
 * The in-thread peers: other ways to run a guest function beside the host
 * code, each in its own sandbox, used by the spawn and call rows.
 *
 * - `ses`: a raw SES `new Compartment()` (what any SES-based sandbox starts from);
 * - `vm`: a `node:vm` context (`vm.createContext()`), not a security boundary
 *   by Node's own documentation, but what many users reach for first;
 * - `ivm`: an isolated-vm `Isolate` (its own V8 heap, a memory limit, a
 *   `timeout`) and a context in it;
 * - `quickjs`: a quickjs-emscripten runtime and context (a separate engine
 *   compiled to WebAssembly, with its own heap).
 *
 * Each peer offers the same three things, in that peer's most direct API:
 * make a sandbox and call a one-line function in it once (`spawnOnce`);
 * a sandbox holding `x => x` for the host to call (`callIn`); a sandbox
 * whose guest function calls a host function `ping` n times (`callOut`).
 * Sync APIs are used where a peer has them (`applySync`, `callFunction`):
 * the peer at its fastest. What this module deliberately does not do:
 * wrap, check or copy anything beyond what each peer requires.
 */
import { createRequire } from 'node:module';
import * as vm from 'node:vm';
import type * as IvmModule from 'isolated-vm';
import type { QuickJSWASMModule } from 'quickjs-emscripten';

export type PeerName = 'ses' | 'vm' | 'ivm' | 'quickjs';

export const peerNames: readonly PeerName[] = Object.freeze(['ses', 'vm', 'ivm', 'quickjs']);

/** How each peer is named in a row. */
export const peerLabel: Readonly<Record<PeerName, string>> = Object.freeze({
  ses: 'raw SES Compartment',
  vm: 'node:vm context',
  ivm: 'isolated-vm isolate + context',
  quickjs: 'QuickJS runtime + context',
});

export interface Peer {
  /** Makes a sandbox, evaluates `(x => x + 1)` in it, calls it with 1; returns how to dispose of it. */
  spawnOnce(): () => void;
  /** A sandbox holding `x => x`, and a host-side call of it. */
  callIn(): { readonly call: (i: number) => unknown; readonly dispose: () => void };
  /** A sandbox whose guest calls a host `ping(x) => x` n times; `run(n)` returns n. */
  callOut(): { readonly run: (n: number) => unknown; readonly dispose: () => void };
}

const require = createRequire(import.meta.url);

const OUT_LOOP = '(n => { let s = 0; for (let i = 0; i < n; i += 1) s += ping(i) === i ? 1 : 0; return s; })';

const sesPeer = (): Peer => ({
  spawnOnce: () => {
    const fn = new Compartment().evaluate('(x => x + 1)') as (x: number) => number;
    if (fn(1) !== 2) throw new Error('ses peer: wrong answer');
    return () => {};
  },
  callIn: () => ({ call: new Compartment().evaluate('(x => x)') as (i: number) => number, dispose: () => {} }),
  callOut: () => {
    const ping = harden((x: number) => x);
    return { run: new Compartment({ ping }).evaluate(OUT_LOOP) as (n: number) => number, dispose: () => {} };
  },
});

const vmPeer = (): Peer => ({
  spawnOnce: () => {
    const fn = vm.runInContext('(x => x + 1)', vm.createContext()) as (x: number) => number;
    if (fn(1) !== 2) throw new Error('vm peer: wrong answer');
    return () => {};
  },
  callIn: () => ({ call: vm.runInContext('(x => x)', vm.createContext()) as (i: number) => number, dispose: () => {} }),
  callOut: () => {
    const context = vm.createContext({ ping: (x: number) => x });
    return { run: vm.runInContext(OUT_LOOP, context) as (n: number) => number, dispose: () => {} };
  },
});

const ivmPeer = (ivm: typeof IvmModule): Peer => {
  const make = (memoryLimit = 32) => {
    const isolate = new ivm.Isolate({ memoryLimit });
    return { isolate, context: isolate.createContextSync() };
  };
  return {
    spawnOnce: () => {
      const { isolate, context } = make();
      const fn = context.evalSync('(x => x + 1)', { reference: true }) as IvmModule.Reference<(x: number) => number>;
      if (fn.applySync(undefined, [1]) !== 2) throw new Error('isolated-vm peer: wrong answer');
      return () => isolate.dispose();
    },
    callIn: () => {
      const { isolate, context } = make();
      const fn = context.evalSync('(x => x)', { reference: true }) as IvmModule.Reference<(x: number) => number>;
      return { call: (i: number) => fn.applySync(undefined, [i]), dispose: () => isolate.dispose() };
    },
    callOut: () => {
      const { isolate, context } = make();
      context.global.setSync('ping', new ivm.Callback((x: number) => x));
      const fn = context.evalSync(OUT_LOOP, { reference: true }) as IvmModule.Reference<(n: number) => number>;
      return { run: (n: number) => fn.applySync(undefined, [n]), dispose: () => isolate.dispose() };
    },
  };
};

const quickjsPeer = (quickjs: QuickJSWASMModule): Peer => {
  const evalFn = (source: string, setup?: (context: ReturnType<QuickJSWASMModule['newContext']>) => void) => {
    const runtime = quickjs.newRuntime();
    const context = runtime.newContext();
    setup?.(context);
    const fn = context.unwrapResult(context.evalCode(source));
    const call = (x: number): number => {
      const arg = context.newNumber(x);
      const result = context.unwrapResult(context.callFunction(fn, context.undefined, arg));
      const value = context.getNumber(result);
      result.dispose();
      arg.dispose();
      return value;
    };
    return {
      call,
      dispose: () => {
        fn.dispose();
        context.dispose();
        runtime.dispose();
      },
    };
  };
  return {
    spawnOnce: () => {
      const made = evalFn('(x => x + 1)');
      if (made.call(1) !== 2) throw new Error('QuickJS peer: wrong answer');
      return made.dispose;
    },
    callIn: () => evalFn('(x => x)'),
    callOut: () => {
      const made = evalFn(OUT_LOOP, context => {
        const ping = context.newFunction('ping', x => context.newNumber(context.getNumber(x)));
        context.setProp(context.global, 'ping', ping);
        ping.dispose();
      });
      return { run: made.call, dispose: made.dispose };
    },
  };
};

/** Loads isolated-vm and QuickJS's WebAssembly module once, and returns every peer. */
export const loadPeers = async (): Promise<Readonly<Record<PeerName, Peer>>> => {
  const ivm = require('isolated-vm') as typeof IvmModule;
  const { getQuickJS } = await import('quickjs-emscripten');
  const quickjs = await getQuickJS();
  return Object.freeze({ ses: sesPeer(), vm: vmPeer(), ivm: ivmPeer(ivm), quickjs: quickjsPeer(quickjs) });
};

/** isolated-vm itself, for the budget rows (timeout, memoryLimit). */
export const loadIvm = (): typeof IvmModule => require('isolated-vm') as typeof IvmModule;
