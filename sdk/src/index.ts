import './shims.js';
export type {
  NodeKind,
  Stat,
  DirEntry,
  Data,
  WriteOptions,
  MkdirOptions,
  RemoveOptions,
  FileNode,
  DirNode,
  Node,
  NodeOperation,
  TreeLiteral,
} from './node.js';
export { mutatingOperations } from './node.js';
export * from './errors.js';
export { E, Far } from '@endo/far';
export { ensureLockdown, isLockedDown, lockdownOptions, stackOf } from './lockdown.js';
export { isUint8Array, ownBytes } from './bytes.js';
export { realmBound, realmBoundMaker, type RealmBinding, type RealmBound, type Meter, type MeteredKey, type MeterCharge } from './realm-bound.js';
export { effectKinds, isEffectKind, declareEffects, declaredEffect, declaredEffects, type EffectKind } from './effects.js';
