import '@cathedral/sdk/shims';
export { createHost, type Host, type HostOptions } from './host.js';
export type { Realm } from './realm.js';
export type { SpawnSpec, Budget, Tier } from './spec.js';
export type { ConsoleLevel, ConsoleRoute } from './console.js';
export type { RealmInfo, RealmState } from './registry.js';
export { makeRuleDecider, type Decider, type Request, type Rule } from './requests.js';
export { keptGlobals } from './compartment.js';
