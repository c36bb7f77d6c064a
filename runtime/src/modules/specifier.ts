/**
 * Module specifiers inside a realm, resolved without touching any store.
 *
 *  - `./x`, `../x`: relative to the importing module, inside the same root;
 *    climbing above the root is refused.
 *  - `name://path`: through the realm's resolution table.
 *  - `node:*`: refused; Node built-ins are unreachable.
 *  - a bare name (`pkg`, `@scope/pkg/sub`): a package under the realm's
 *    `app` root, keyed as `npm:pkg/sub`.
 *  - anything else (absolute paths, other URL schemes): refused.
 */
import { ModuleNotFoundError } from '@cathedral/sdk';
import { formatUri, isRealmUri, parseUri } from '../uri.js';

export const PACKAGE_PREFIX = 'npm:';

const BARE = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[^\0\\]*)?$/i;

const refuse = (realm: string, specifier: string, referrer: string, problem: string, rule: string, allow?: string) =>
  new ModuleNotFoundError({
    operation: 'import',
    target: specifier,
    realm,
    problem: `${problem} (imported from ${referrer})`,
    rule,
    allow,
  });

/** The full specifier a module is known by in the realm. */
export const resolveSpecifier = (realm: string, specifier: string, referrer: string): string => {
  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    if (!isRealmUri(referrer)) {
      throw refuse(realm, specifier, referrer, 'a relative import from a package module is resolved by its package', 'relative imports stay inside the importing root');
    }
    const { name, path } = parseUri('import', referrer, realm);
    const segments = path.split('/').slice(0, -1);
    for (const part of specifier.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (segments.length === 0) {
          throw refuse(realm, specifier, referrer, 'the import climbs above the root', 'relative imports stay inside the importing root', `import it by its realm URI (name://path) if the realm holds that root`);
        }
        segments.pop();
      } else segments.push(part);
    }
    return formatUri(name, segments.join('/'));
  }
  if (isRealmUri(specifier)) return specifier;
  if (specifier.startsWith('node:')) {
    throw refuse(realm, specifier, referrer, 'Node built-ins are unreachable', 'a realm reaches only what its host handed it', 'ask the host to map the built-in to a capability in caps');
  }
  if (BARE.test(specifier)) return `${PACKAGE_PREFIX}${specifier}`;
  throw refuse(realm, specifier, referrer, 'the specifier is neither relative, a realm URI, nor a package name', 'modules are imported by ./relative paths, name://path URIs or package names');
};
