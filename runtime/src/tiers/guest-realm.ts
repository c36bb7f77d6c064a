/**
 * The realm's compartment inside a worker or child process: the same
 * globals, console, codecs and module hooks as at the compartment tier, over
 * adapters of the host's capabilities (see ./adapter.ts).
 *
 * `resolve` asks the host (its table and gate are there); modules are read
 * through the adapters of the roots the realm started with.
 */
import type { DirNode, Node } from '@cathedral/sdk';
import { RealmCompartment } from '../compartment.js';
import { forGuest } from '../guest-error.js';
import { makeGuestKit } from '../kit.js';
import { makeModuleLoader } from '../modules/loader.js';
import { makePackageLoader } from '../modules/packages.js';
import { makeSourceCache } from '../modules/source-cache.js';
import { makeTable } from '../table.js';

export interface Services {
  resolve(uri: string): Promise<Node>;
  request(request: unknown): Promise<Node>;
  console(level: string, line: string): Promise<void>;
  /** The host's parse of a module of the realm's own roots (see the loader's `precompiled`): its record as JSON text. */
  precompiled?(specifier: string): Promise<{ readonly record?: string; readonly invalid?: string }>;
}

export interface GuestRealmOptions {
  readonly name: string;
  readonly main: string;
  readonly roots: Readonly<Record<string, unknown>>;
  readonly caps: Readonly<Record<string, unknown>>;
  readonly services: Services;
  readonly authority: unknown;
  /** Whether to load the realm's ES modules as the host parsed them (`services.precompiled`). */
  readonly precompiled?: boolean;
  /** Records the host sent ahead (the main module), as JSON text, by specifier, each used once. */
  readonly preloaded?: Readonly<Record<string, string>>;
  readonly E: unknown;
  readonly Far: unknown;
}

const sources = makeSourceCache();
/**
 * A record the host parsed, from its JSON text: records travel as text, one
 * string to CapTP's marshal instead of a tree it would check and harden
 * node by node on both ends.
 */
const recordOf = (text: string): object => harden(JSON.parse(text) as object);
const kit = makeGuestKit();

export const makeGuestRealm = async (options: GuestRealmOptions) => {
  const { name, services } = options;
  const preloaded = new Map(Object.entries(options.preloaded ?? {}));
  const roots = new Map(Object.entries(options.roots) as Array<[string, DirNode]>);
  const table = makeTable(name, roots);
  const { console } = kit.makeConsole((level: unknown, line: unknown) => {
    if (typeof level === 'string' && typeof line === 'string') void services.console(level, line).catch(() => {});
  });
  const resolve = async (uri: string): Promise<Node> => services.resolve(uri);
  const request = async (req: unknown): Promise<Node> => services.request(req);
  const base = { console, harden, TextEncoder: kit.TextEncoder, TextDecoder: kit.TextDecoder };
  const globals: Record<string, unknown> = { ...base, resolve: harden(resolve), request: harden(request), E: options.E, Far: options.Far };
  if (options.authority !== undefined) globals['authority'] = options.authority;
  for (const [key, value] of Object.entries(options.caps)) globals[key] = value;
  // Always the factory form: an adapter is itself callable, and would be taken for a factory.
  const packages = makePackageLoader({ realm: name, app: () => roots.get('app'), globals: base, Compartment: RealmCompartment });
  const loader = makeModuleLoader({
    realm: name,
    table,
    sources,
    packages,
    ...(options.precompiled === true
      ? {
          precompiled: async (specifier: string) => {
            const ahead = preloaded.get(specifier);
            if (ahead !== undefined) {
              preloaded.delete(specifier);
              return recordOf(ahead);
            }
            const answer = await (services as Required<Services>).precompiled(specifier);
            // A module that does not parse fails here as a local parse would, with the parser's message.
            if (typeof answer.record !== 'string') throw new SyntaxError(answer.invalid ?? 'the module does not parse');
            return recordOf(answer.record);
          },
        }
      : {}),
  });
  const compartment = new RealmCompartment({
    __options__: true,
    name,
    globals,
    noAggregateLoadErrors: true,
    ...loader.hooks,
  } as never);
  try {
    // An import-free main is linked and run synchronously, as at the compartment tier.
    const namespace = await loader.importMain(compartment as never, options.main);
    return { namespace };
  } catch (error) {
    throw forGuest(error);
  }
};
