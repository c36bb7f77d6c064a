// @endo/captp ships JavaScript without declarations; this is the part we use.
declare module '@endo/captp' {
  export interface CapTP {
    dispatch(message: unknown): boolean;
    getBootstrap(): Promise<unknown>;
    abort(reason?: unknown): void;
  }
  export interface CapTPOptions {
    onReject?: (error: unknown) => void;
    /** Called once for each value this side exports, with its slot (`o+N`, `p+N`). */
    exportHook?: (value: unknown, slot: string) => void;
    importHook?: (value: unknown, slot: string) => void;
    gcImports?: boolean;
  }
  export const makeCapTP: (ourId: string, send: (message: unknown) => void, bootstrap?: unknown, options?: CapTPOptions) => CapTP;
}
