/**
 * The error table: one class per code, one message shape, recognition by
 * code, `restate`, and a page per code under docs/errors/.
 *
 * These pin what callers rely on: `code`, `name` and the exact message shape.
 * They do not test where each error is thrown; the packages that throw do.
 */
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import * as errors from '../src/errors.js';
import {
  CathedralError,
  type ErrorCode,
  type ErrorDetails,
  ErrorCodes,
  GuestError,
  isCathedralError,
  makeError,
  restate,
} from '../src/errors.js';

const codes = Object.keys(ErrorCodes) as ErrorCode[];

const full: ErrorDetails = {
  operation: 'read',
  target: 'etc/app.json',
  realm: 'plugin-a',
  problem: 'no such file or directory',
  rule: 'only existing entries can be reached',
  allow: 'add the file',
};

const minimal: ErrorDetails = { operation: 'write', problem: 'options must be an object', rule: 'options are plain records' };

/** The exported class named `ErrorCodes[code]`. */
const classFor = (code: ErrorCode): unknown => (errors as Record<string, unknown>)[ErrorCodes[code]];

test('ErrorCodes - the table is frozen and maps each code to a distinct class name ending in Error', t => {
  t.true(Object.isFrozen(ErrorCodes));
  const names = codes.map(code => ErrorCodes[code]);
  t.is(new Set(names).size, names.length);
  for (const code of codes) {
    t.regex(code, /^[A-Z][A-Z_]*$/, code);
    t.regex(ErrorCodes[code], /^[A-Z][A-Za-z]*Error$/, code);
  }
});

test('classes - every code has an exported class of that name, extending CathedralError', t => {
  for (const code of codes) {
    const Class = classFor(code);
    t.is(typeof Class, 'function', `${code} has no class ${ErrorCodes[code]}`);
    const made = new (Class as new (d: ErrorDetails) => unknown)(full);
    t.true(made instanceof CathedralError, code);
    t.true(made instanceof Error, code);
    t.is((Class as { name: string }).name, ErrorCodes[code], code);
  }
});

test('classes - each class sets code and name from the table', t => {
  for (const code of codes) {
    const Class = classFor(code) as new (d: ErrorDetails) => CathedralError;
    const made = new Class(full);
    t.is(made.code, code);
    t.is(made.name, ErrorCodes[code]);
  }
});

test('makeError - yields the class for each code, with code and name right', t => {
  for (const code of codes) {
    const made = makeError(code, full);
    t.true(made instanceof CathedralError, code);
    t.is(made.code, code);
    t.is(made.name, ErrorCodes[code]);
    t.is(made.message, new CathedralError(code, full).message, code);
    if (code !== 'GUEST') t.true(made instanceof (classFor(code) as new (d: ErrorDetails) => CathedralError), code);
  }
});

// makeError('GUEST', …) and restate(guestError, …) keep the guest's
// location, name and message.
test('makeError - GUEST yields a GuestError', t => {
  t.true(makeError('GUEST', full) instanceof GuestError);
});

test('GuestError - carries the guest location, name and message besides the details', t => {
  const error = new GuestError({
    operation: 'call "go"',
    realm: 'plugin-a',
    problem: 'the guest threw RangeError: out of range (at app://main.js:8:38)',
    rule: 'guest errors reach the host as reports, never as guest objects',
    location: 'app://main.js:8:38',
    guestName: 'RangeError',
    guestMessage: 'out of range',
  });
  t.is(error.code, 'GUEST');
  t.is(error.name, 'GuestError');
  t.is(error.location, 'app://main.js:8:38');
  t.is(error.guestName, 'RangeError');
  t.is(error.guestMessage, 'out of range');
  t.is(
    error.message,
    'call "go" in realm "plugin-a": the guest threw RangeError: out of range (at app://main.js:8:38). Rule: guest errors reach the host as reports, never as guest objects.',
  );
});

test('message - with target, realm and allow it follows the documented shape exactly', t => {
  for (const code of codes) {
    t.is(
      makeError(code, full).message,
      'read "etc/app.json" in realm "plugin-a": no such file or directory. Rule: only existing entries can be reached. To allow it: add the file.',
      code,
    );
  }
});

test('message - without target the quoted target is left out', t => {
  const { target: _target, ...rest } = full;
  t.is(
    makeError('NOT_FOUND', rest).message,
    'read in realm "plugin-a": no such file or directory. Rule: only existing entries can be reached. To allow it: add the file.',
  );
});

test('message - without realm the "in realm" part is left out', t => {
  const { realm: _realm, ...rest } = full;
  t.is(
    makeError('NOT_FOUND', rest).message,
    'read "etc/app.json": no such file or directory. Rule: only existing entries can be reached. To allow it: add the file.',
  );
});

test('message - without allow it ends after the rule', t => {
  const { allow: _allow, ...rest } = full;
  t.is(
    makeError('NOT_FOUND', rest).message,
    'read "etc/app.json" in realm "plugin-a": no such file or directory. Rule: only existing entries can be reached.',
  );
});

test('message - with only operation, problem and rule it is the shortest shape', t => {
  t.is(makeError('INVALID_ARGUMENT', minimal).message, 'write: options must be an object. Rule: options are plain records.');
});

test('message - explicit undefined parts are left out like missing ones', t => {
  t.is(
    makeError('INVALID_ARGUMENT', { ...minimal, target: undefined, realm: undefined, allow: undefined }).message,
    'write: options must be an object. Rule: options are plain records.',
  );
});

test('message - an empty target is still shown, as ""', t => {
  t.is(makeError('EXISTS', { operation: 'mkdir', target: '', problem: 'the directory exists', rule: 'mkdir creates' }).message,
    'mkdir "": the directory exists. Rule: mkdir creates.');
});

test('message - target and realm are JSON-quoted, so quotes, backslashes and control characters are escaped', t => {
  const message = makeError('PATH_ESCAPE', {
    operation: 'read',
    target: 'a\\b"c\u0001',
    realm: 'r"1',
    problem: 'the path contains a backslash',
    rule: 'a path names something inside its root and nothing else',
  }).message;
  t.is(message, 'read "a\\\\b\\"c\\u0001" in realm "r\\"1": the path contains a backslash. Rule: a path names something inside its root and nothing else.');
});

test('details - each part is a property and details() returns them as plain data', t => {
  const error = makeError('CEILING', full);
  t.is(error.operation, full.operation);
  t.is(error.target, full.target);
  t.is(error.realm, full.realm);
  t.is(error.problem, full.problem);
  t.is(error.rule, full.rule);
  t.is(error.allow, full.allow);
  const { cause: _cause, ...expected } = full;
  t.deepEqual(error.details(), expected);
  t.is(Object.getPrototypeOf(error.details()), Object.prototype);
});

test('cause - is kept when given and absent otherwise', t => {
  const inner = new Error('inner');
  t.is(makeError('IO', { ...full, cause: inner }).cause, inner);
  t.false(Object.hasOwn(makeError('IO', full), 'cause'));
});

test('isCathedralError - recognises every code, with and without the code argument', t => {
  for (const code of codes) {
    const error = makeError(code, full);
    t.true(isCathedralError(error), code);
    t.true(isCathedralError(error, code), code);
    const other = codes.find(c => c !== code)!;
    t.false(isCathedralError(error, other), `${code} is not ${other}`);
  }
});

test('isCathedralError - recognises by code alone, so a plain object or a guest-facing Error passes', t => {
  t.true(isCathedralError({ code: 'NOT_FOUND' }));
  t.true(isCathedralError({ code: 'NOT_FOUND' }, 'NOT_FOUND'));
  t.false(isCathedralError({ code: 'NOT_FOUND' }, 'REVOKED'));
  // The shape toGuestFacing gives a guest: a plain Error with code and details as own data.
  const facing = Object.defineProperties(new Error('read "x": no such file or directory. Rule: r.'), {
    name: { value: 'NotFoundError' },
    code: { value: 'NOT_FOUND', enumerable: true },
  });
  t.false(facing instanceof CathedralError);
  t.true(isCathedralError(facing, 'NOT_FOUND'));
});

test('isCathedralError - rejects unknown codes, inherited names, non-objects and errors without a code', t => {
  for (const value of [
    null,
    undefined,
    'NOT_FOUND',
    42,
    true,
    Symbol('NOT_FOUND'),
    () => undefined,
    {},
    { code: 'NOPE' },
    { code: 'not_found' },
    { code: 'NotFoundError' },
    { code: 42 },
    { code: null },
    { code: 'toString' },
    { code: '__proto__' },
    { code: 'hasOwnProperty' },
    { name: 'NotFoundError' },
    new Error('plain'),
  ]) {
    t.false(isCathedralError(value), String(typeof value === 'symbol' ? 'symbol' : JSON.stringify(value)));
  }
});

test('restate - replaces only the parts it is given and recomputes the message', t => {
  const original = makeError('NOT_FOUND', { ...full, realm: undefined, target: 'etc/app.json' });
  const copy = restate(original, { realm: 'plugin-b', target: 'system://etc/app.json' });
  t.not(copy, original);
  t.is(copy.code, 'NOT_FOUND');
  t.is(copy.name, 'NotFoundError');
  t.true(copy instanceof errors.NotFoundError);
  t.deepEqual(copy.details(), { ...original.details(), realm: 'plugin-b', target: 'system://etc/app.json' });
  t.is(
    copy.message,
    'read "system://etc/app.json" in realm "plugin-b": no such file or directory. Rule: only existing entries can be reached. To allow it: add the file.',
  );
  // The original is untouched.
  t.is(original.realm, undefined);
  t.is(original.target, 'etc/app.json');
  t.is(original.message, 'read "etc/app.json": no such file or directory. Rule: only existing entries can be reached. To allow it: add the file.');
});

test('restate - an empty patch keeps every part and the message', t => {
  for (const code of codes) {
    const original = makeError(code, full);
    const copy = restate(original, {});
    t.is(copy.code, code);
    t.deepEqual(copy.details(), original.details());
    t.is(copy.message, original.message);
  }
});

test('restate - each part can be replaced on its own', t => {
  const original = makeError('CEILING', full);
  const parts = ['operation', 'target', 'realm', 'problem', 'rule', 'allow'] as const;
  for (const part of parts) {
    const copy = restate(original, { [part]: 'changed' });
    t.deepEqual(copy.details(), { ...original.details(), [part]: 'changed' }, part);
  }
});

test('restate - drops the cause, so nothing of the host travels with the copy', t => {
  const original = makeError('IO', { ...full, cause: new Error('/home/host/secret: EACCES') });
  t.truthy(original.cause);
  const copy = restate(original, { realm: 'plugin-a' });
  t.false(Object.hasOwn(copy, 'cause'));
  t.is(copy.cause, undefined);
  // Even a patch that names a cause cannot put one back.
  t.false(Object.hasOwn(restate(original, { cause: new Error('again') }), 'cause'));
});

// Documentation: a page per code, each titled with its class (see docs/errors/README.md).
const docsDir = new URL('../../../docs/errors/', import.meta.url);

const titleOf = (text: string): string | undefined => text.split('\n').find(line => line.startsWith('# '));

test('docs - every code has a page docs/errors/<CODE>.md', t => {
  const pages = new Set(readdirSync(docsDir));
  for (const code of codes) t.true(pages.has(`${code}.md`), `missing docs/errors/${code}.md`);
});

test('docs - every page title names its class and code', t => {
  for (const code of codes) {
    const title = titleOf(readFileSync(new URL(`${code}.md`, docsDir), 'utf8'));
    t.truthy(title, `docs/errors/${code}.md has no "# " title`);
    t.true(title!.includes(ErrorCodes[code]), `title of ${code}.md does not name ${ErrorCodes[code]}: ${title}`);
    t.true(title!.includes(code), `title of ${code}.md does not name ${code}: ${title}`);
  }
});

test('docs - every page is for a code in the table, and the index links every page', t => {
  const pages = readdirSync(docsDir).filter(name => name.endsWith('.md') && name !== 'README.md');
  for (const page of pages) t.true(page.replace(/\.md$/, '') in ErrorCodes, `docs/errors/${page} names no code`);
  const index = readFileSync(new URL('README.md', docsDir), 'utf8');
  for (const code of codes) t.true(index.includes(`(${code}.md)`), `docs/errors/README.md does not link ${code}.md`);
});
