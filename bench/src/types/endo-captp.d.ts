// @endo/captp ships JavaScript without declarations; this is the part the
// bench uses (the stock CapTP baseline): makeCapTP, and E and Far, which it
// re-exports from @endo/eventual-send and @endo/pass-style.
declare module '@endo/captp' {
  export interface CapTP {
    dispatch(message: unknown): boolean;
    getBootstrap(): Promise<unknown>;
    abort(reason?: unknown): void;
  }
  export const makeCapTP: (ourId: string, send: (message: unknown) => void, bootstrap?: unknown) => CapTP;
  export const E: <T>(target: T) => Record<string, (...args: unknown[]) => Promise<unknown>>;
  export const Far: <T extends object>(name: string, methods: T) => T;
}
