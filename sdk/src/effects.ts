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

/**
 * The effect each method of a capability exercises, declared by whoever
 * made it (`declareEffects(Far('Clock', {...}), { now: 'clock' })`). A realm's
 * gate refuses a call whose declared effect is outside the realm's ceiling,
 * as it does for the file-system methods of nodes. Undeclared methods need
 * no effect. Host-side only: the table is keyed by the host's own objects.
 */
const declared = new WeakMap<object, Readonly<Record<string, EffectKind>>>();

export const declareEffects = <T extends object>(cap: T, effects: Readonly<Record<string, EffectKind>>): T => {
  for (const [method, effect] of Object.entries(effects)) {
    if (!isEffectKind(effect)) throw new TypeError(`declareEffects: ${JSON.stringify(effect)} (for ${method}) is not an effect kind`);
  }
  declared.set(cap, Object.freeze({ ...effects }));
  return cap;
};

/** The effect `method` of `cap` was declared to exercise, if any. */
export const declaredEffect = (cap: unknown, method: string): EffectKind | undefined => {
  if ((typeof cap !== 'object' && typeof cap !== 'function') || cap === null) return undefined;
  const table = declared.get(cap);
  return table !== undefined && Object.hasOwn(table, method) ? table[method] : undefined;
};

/** The whole declared table of `cap` (for a wrapper that must carry it on). */
export const declaredEffects = (cap: unknown): Readonly<Record<string, EffectKind>> | undefined =>
  (typeof cap === 'object' || typeof cap === 'function') && cap !== null ? declared.get(cap) : undefined;
