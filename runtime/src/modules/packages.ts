/**
 * Bare specifiers: packages found under the realm's `app` root.
 *
 * A package and its dependencies load through `@endo/compartment-mapper`,
 * each package in its own compartment, with read powers backed by the
 * realm's `app` root (through the realm's gate), never the host file system:
 * the mapper sees a virtual `file:///app/` tree. Package compartments get
 * only the realm's `console`, `harden` and text codecs, not its roots or caps.
 *
 * Entry points: the `exports` map (string, `"."`, subpaths, with the
 * `import`, `node` and `default` conditions), else `module`, `main`, or
 * `index.js`. Not supported yet: `exports` patterns (`./*`) and `imports`.
 */
import type { DirNode } from '@cathedral/sdk';
import { ModuleNotFoundError, isCathedralError } from '@cathedral/sdk';
import type { RealmCompartmentClass } from '../compartment.js';

const BASE = 'file:///app/';

export interface PackageLoader {
  load(specifier: string): Promise<object>;
}

const splitPackage = (specifier: string): [string, string] => {
  const parts = specifier.split('/');
  const count = specifier.startsWith('@') ? 2 : 1;
  return [parts.slice(0, count).join('/'), parts.slice(count).join('/')];
};

type Exports = string | null | { readonly [key: string]: Exports } | readonly Exports[];

const pick = (value: Exports | undefined): string | undefined => {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    for (const v of value as readonly Exports[]) {
      const found = pick(v);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  const conditions = value as { readonly [key: string]: Exports };
  for (const condition of ['import', 'node', 'default']) {
    const found = pick(conditions[condition]);
    if (found !== undefined) return found;
  }
  return undefined;
};

const entryOf = (pkg: Record<string, unknown>, subpath: string): string | undefined => {
  const exports = pkg['exports'] as Exports | undefined;
  if (exports !== undefined) {
    const map = exports as { readonly [key: string]: Exports };
    const isSubpathMap = typeof exports === 'object' && exports !== null && !Array.isArray(exports) && Object.keys(map).some(k => k.startsWith('.'));
    const key = subpath === '' ? '.' : `./${subpath}`;
    if (isSubpathMap) return pick(map[key]);
    return subpath === '' ? pick(exports) : undefined;
  }
  if (subpath !== '') return subpath;
  const main = pkg['module'] ?? pkg['main'];
  return typeof main === 'string' ? main : 'index.js';
};

export const makePackageLoader = (options: {
  readonly realm: string;
  /** The realm's `app` root, or a function that makes it when a package is first loaded. */
  readonly app: DirNode | undefined | (() => DirNode | undefined);
  readonly globals: Record<string, unknown>;
  readonly Compartment: RealmCompartmentClass;
}): PackageLoader => {
  const { realm, globals, Compartment } = options;
  let app: DirNode | undefined;
  let appMade = false;
  const appRoot = (): DirNode | undefined => {
    if (!appMade) {
      app = typeof options.app === 'function' ? options.app() : options.app;
      appMade = true;
    }
    return app;
  };
  const loaded = new Map<string, Promise<object>>();
  const notFound = (specifier: string, problem: string) =>
    new ModuleNotFoundError({
      operation: 'import',
      target: specifier,
      realm,
      problem,
      rule: "packages are found under the realm's app root, in node_modules",
      allow: 'install the package under the app root (app://node_modules)',
    });

  const maybeRead = async (location: string): Promise<Uint8Array | undefined> => {
    const root = appRoot();
    if (root === undefined || !location.startsWith(BASE)) return undefined;
    try {
      return await root.read(decodeURIComponent(location.slice(BASE.length)));
    } catch (error) {
      if (isCathedralError(error, 'NOT_FOUND') || isCathedralError(error, 'WRONG_KIND')) return undefined;
      throw error;
    }
  };
  const readPowers = {
    read: async (location: string) => {
      const bytes = await maybeRead(location);
      if (bytes === undefined) throw notFound(location.replace(BASE, 'app://'), 'no such module');
      return bytes;
    },
    maybeRead,
    canonical: async (location: string) => location,
  };

  const load = async (specifier: string): Promise<object> => {
    const [name, subpath] = splitPackage(specifier);
    const text = await maybeRead(`${BASE}node_modules/${name}/package.json`);
    if (text === undefined) throw notFound(specifier, `no package "${name}" under app://node_modules`);
    let pkg: Record<string, unknown>;
    try {
      pkg = JSON.parse(new TextDecoder().decode(text)) as Record<string, unknown>;
    } catch {
      throw notFound(specifier, `app://node_modules/${name}/package.json is not valid JSON`);
    }
    const entry = entryOf(pkg, subpath);
    if (entry === undefined) throw notFound(specifier, `package "${name}" does not export "${subpath === '' ? '.' : `./${subpath}`}"`);
    const location = new URL(entry, `${BASE}node_modules/${name}/`).href;
    if (!location.startsWith(`${BASE}node_modules/${name}/`)) throw notFound(specifier, 'the package entry leaves its package');
    // Loaded on the first package import: a guest process that imports no
    // package never pays for the compartment mapper (about 0.5 s of CPU).
    const { loadLocation } = await import('@endo/compartment-mapper');
    const application = await loadLocation(readPowers, location, { dev: false });
    const { namespace } = (await application.import({ globals, Compartment })) as { namespace: object };
    return namespace;
  };

  return {
    load: specifier => {
      let pending = loaded.get(specifier);
      if (pending === undefined) {
        pending = load(specifier);
        loaded.set(specifier, pending);
      }
      return pending;
    },
  };
};
