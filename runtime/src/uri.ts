/**
 * Realm URIs: `name://path`, where `name` is a binding in the realm's
 * resolution table and `path` a guest path below that root.
 *
 * This module only splits and joins URIs; it checks nothing about what a
 * name is bound to (the table does) or what a path reaches (the store does).
 */
import { InvalidArgumentError } from '@cathedral/sdk';

const URI = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/s;
const NAME = /^[a-z][a-z0-9+.-]*$/;

export interface RealmUri {
  readonly name: string;
  readonly path: string;
}

/** True when `specifier` has the `name://` form. */
export const isRealmUri = (specifier: string): boolean => URI.test(specifier);

export const parseUri = (operation: string, uri: unknown, realm: string): RealmUri => {
  const match = typeof uri === 'string' ? URI.exec(uri) : null;
  if (match === null) {
    throw new InvalidArgumentError({
      operation,
      target: typeof uri === 'string' ? uri : typeof uri,
      realm,
      problem: 'not a realm URI',
      rule: 'realm URIs have the form name://path, with name a binding of the realm',
      allow: 'write the URI as name://path, e.g. app://main.js',
    });
  }
  return { name: match[1] as string, path: match[2] as string };
};

/** Checks a resolution-table name (`system`, `user`, `app`, ...). */
export const checkRealmName = (name: string): string => {
  if (!NAME.test(name)) {
    throw new InvalidArgumentError({
      operation: 'spawn',
      target: name,
      problem: 'a resolution-table name must be lower case letters, digits, "+", "-" or "."',
      rule: 'names are URI schemes',
      allow: 'rename the binding, e.g. "system" or "user-data"',
    });
  }
  return name;
};

export const formatUri = (name: string, path: string): string => `${name}://${path}`;
