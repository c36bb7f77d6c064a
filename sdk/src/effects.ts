/**
 * Effect kinds: what a realm may ever do, whatever capabilities reach it.
 * A realm's ceiling is a set of these; a child's is a subset of its parent's.
 */
export const effectKinds = Object.freeze([
  'fs.read',
  'fs.write',
  'net.connect',
  'net.listen',
  'proc.spawn',
  'proc.list',
  'clock',
  'random',
  'timers',
  'authority.mint',
] as const);

export type EffectKind = (typeof effectKinds)[number];

export const isEffectKind = (value: unknown): value is EffectKind =>
  typeof value === 'string' && (effectKinds as readonly string[]).includes(value);
