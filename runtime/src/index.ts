import '@cathedral/sdk/shims';
export { createHost, type Host, type HostOptions } from './host.js';
export type { Realm } from './realm.js';
export { realmBound, type SpawnSpec, type Budget, type Tier, type RealmBinding, type RealmBound } from './spec.js';
export type { Meter, MeteredKey, MeterCharge } from './meter.js';
export type { ConsoleLevel, ConsoleRoute } from './console.js';
export type { RealmInfo, RealmState } from './registry.js';
export { makeRuleDecider, type Decider, type Request, type Rule } from './requests.js';
export { keptGlobals } from './compartment.js';
