/**
 * A realm's module graph: one compartment, modules keyed by realm URI.
 *
 * `app://main.js` and `system://lib/x.js` live side by side in the realm's
 * compartment under those very names, so a stack frame says which root a
 * module came from. Sources are read through the realm's table (and so its
 * gate: revocation and ceilings apply to loading too), parsed once per
 * content hash (./source-cache.ts), and packages go to ./packages.ts.
 *
 * Languages: `.js` and `.mjs` as ES modules, `.json` as a default export.
 * Anything else is refused with `ModuleNotFoundError`.
 */
import { CathedralError, ModuleInvalidError, ModuleNotFoundError, isCathedralError, restate } from '@cathedral/sdk';

const ownMessage = (error: Error): string => {
  const desc = Object.getOwnPropertyDescriptor(error, 'message');
  return desc !== undefined && typeof desc.value === 'string' ? desc.value.slice(0, 500) : 'unknown error';
};
import { isGuestFacing, toGuestFacing } from '../guest-error.js';
import type { Table } from '../table.js';
import { parseUri } from '../uri.js';
import type { PackageLoader } from './packages.js';
import { type SourceCache, loadParser } from './source-cache.js';
import { PACKAGE_PREFIX, resolveSpecifier } from './specifier.js';

export interface LoaderOptions {
  readonly realm: string;
  readonly table: Table;
  readonly sources: SourceCache;
  readonly packages: PackageLoader;
  /**
   * Reads a module's bytes from the root bound to `name`, as the guest's
   * own reads would be checked; by default through `table.root(...)`.
   */
  readonly read?: (name: string, path: string, specifier: string) => Promise<Uint8Array>;
  /**
   * Reads and parses an ES module elsewhere (the host, for a guest process:
   * its parse cache is warm where a fresh process's is not), answering the
   * parsed module's record, which SES evaluates as a precompiled module
   * source. Refusals are those of `read`.
   */
  readonly precompiled?: (specifier: string) => Promise<object>;
}

const decoder = new TextDecoder();

const jsonModule = (text: string, uri: string, realm: string) => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModuleNotFoundError({
      operation: 'import',
      target: uri,
      realm,
      problem: `the JSON module does not parse (${(error as Error).message})`,
      rule: '.json modules hold one JSON value',
    });
  }
  return {
    imports: [],
    exports: ['default'],
    execute: (env: Record<string, unknown>) => {
      env['default'] = harden(value);
    },
  };
};

/** What an import hook answers: a package's namespace, or a module's source. */
type ModuleRecord = { readonly namespace: object } | { readonly source: unknown; readonly specifier: string };

/** What a module's source says it needs before it can run. */
interface Linkable {
  readonly imports?: readonly string[];
  readonly reexports?: readonly string[];
}

/** A realm's module loader: the compartment's hooks, and how its main module is imported. */
export const makeModuleLoader = ({ realm, table, sources, packages, read, precompiled }: LoaderOptions) => {
  // Records read ahead of the compartment's asking (the main module), each used once.
  const preloaded = new Map<string, ModuleRecord>();
  const readModule = read ?? ((name: string, path: string, specifier: string) => table.root('import', name, specifier).read(path));
  const resolveHook = (specifier: string, referrer: string): string => resolveSpecifier(realm, specifier, referrer);

  const importHook = async (specifier: string): Promise<ModuleRecord> => {
    if (specifier.startsWith(PACKAGE_PREFIX)) {
      return { namespace: await packages.load(specifier.slice(PACKAGE_PREFIX.length)) };
    }
    const { name, path } = parseUri('import', specifier, realm);
    const isJson = path.endsWith('.json');
    if (!isJson && !path.endsWith('.js') && !path.endsWith('.mjs')) {
      throw new ModuleNotFoundError({
        operation: 'import',
        target: specifier,
        realm,
        problem: 'the module has no .js, .mjs or .json extension',
        rule: 'realm modules are ES modules (.js, .mjs) or JSON (.json), named with their extension',
        allow: 'name the file with its extension',
      });
    }
    let bytes: Uint8Array | undefined;
    let record: object | undefined;
    try {
      if (precompiled !== undefined && !isJson) record = await precompiled(specifier);
      else bytes = await readModule(name, path, specifier);
    } catch (error) {
      if (isCathedralError(error, 'NOT_FOUND') || isCathedralError(error, 'WRONG_KIND')) {
        throw new ModuleNotFoundError({
          operation: 'import',
          target: specifier,
          realm,
          problem: 'no such module',
          rule: "modules are read from the realm's own roots",
          allow: `add the file to the root bound to "${name}"`,
        });
      }
      throw error instanceof CathedralError ? restate(error, { operation: 'import', target: specifier }) : error;
    }
    if (record !== undefined) return { source: record, specifier };
    const text = bytes ?? new Uint8Array(0);
    if (isJson) return { source: jsonModule(decoder.decode(text), specifier, realm), specifier };
    await loadParser();
    return { source: sources.get(specifier, text, () => decoder.decode(text)), specifier };
  };

  // Both hooks also run for a guest's dynamic import(): what they throw must
  // be guest-facing (the host turns it back into its own error class), and
  // never a host object: a parser's error carries the parser's own objects.
  const forGuest = (error: unknown): unknown => {
    if (error instanceof CathedralError) return toGuestFacing(error);
    if (isGuestFacing(error)) return error;
    const message = error instanceof Error ? ownMessage(error) : 'the module could not be loaded';
    return toGuestFacing(
      new ModuleInvalidError({
        operation: 'import',
        realm,
        problem: `the module cannot be loaded: ${message}`,
        rule: 'realm modules are well-formed ES modules, JSON or packages',
      }),
    );
  };
  const take = (specifier: string) => {
    const record = preloaded.get(specifier);
    preloaded.delete(specifier);
    return record;
  };
  const hooks = {
    resolveHook: (specifier: string, referrer: string): string => {
      try {
        return resolveHook(specifier, referrer);
      } catch (error) {
        throw forGuest(error);
      }
    },
    importHook: (specifier: string) =>
      take(specifier) ?? importHook(specifier).catch((error: unknown) => {
        throw forGuest(error);
      }),
    // Only `importMain` calls `importNow` (the compartment is never handed to the guest): it serves what was read ahead.
    importNowHook: (specifier: string) => take(specifier),
  };
  return {
    hooks,
    /**
     * Imports the main module of `compartment`. Its source is read first;
     * when it imports nothing, it is linked and run synchronously
     * (`importNow`), which skips the asynchronous loader's rounds — about a
     * third of a spawn's loading cost — and behaves the same; otherwise it
     * is imported as usual, its record already read.
     */
    importMain: async (compartment: Compartment, main: string): Promise<Record<string, unknown>> => {
      let record: ModuleRecord;
      try {
        record = await importHook(main);
      } catch (error) {
        throw forGuest(error);
      }
      const source = 'source' in record ? (record.source as Linkable) : undefined;
      preloaded.set(main, record);
      if (source !== undefined && (source.imports?.length ?? 0) === 0 && (source.reexports?.length ?? 0) === 0) {
        return compartment.importNow(main) as Record<string, unknown>;
      }
      return ((await compartment.import(main)) as { namespace: Record<string, unknown> }).namespace;
    },
  };
};

/** The compartment hooks that load a realm's modules. */
export const makeModuleHooks = (options: LoaderOptions) => makeModuleLoader(options).hooks;
