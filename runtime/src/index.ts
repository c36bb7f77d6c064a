import '@cathedral/sdk/shims';
export { createHost, type Host, type HostOptions } from './host.js';
export type { Realm } from './realm.js';
export type { SpawnSpec, Budget, Tier } from './spec.js';
export type { ConsoleLevel, ConsoleRoute } from './console.js';
export { keptGlobals } from './compartment.js';
