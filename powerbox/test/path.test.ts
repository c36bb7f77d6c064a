import test from 'ava';
import fc from 'fast-check';
import { isCathedralError } from '@cathedral/sdk';
import { checkPath } from '../src/index.js';
import { fuzz } from './_fuzz.js';

test('checkPath - plain relative paths become segments, dropping "." and empty ones', t => {
  t.deepEqual([...checkPath('read', 'a/./b//c')], ['a', 'b', 'c']);
  t.deepEqual([...checkPath('read', '')], []);
  t.deepEqual([...checkPath('read', '.')], []);
});

test('checkPath - no accepted path ever holds "..", a separator or NUL in a segment (property)', t => {
  const alphabet = fc.constantFrom('a', 'b', '.', '..', '/', '\\', '%2e', '%2f', '%5c', '%00', '\0', '\u0001', 'é', 'e\u0301', ' ', '%');
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 12 }), parts => {
      const path = parts.join('');
      let segments: readonly string[];
      try {
        segments = checkPath('read', path);
      } catch (error) {
        return isCathedralError(error, 'PATH_ESCAPE') || isCathedralError(error, 'INVALID_ARGUMENT');
      }
      return segments.every(s => s !== '..' && s !== '.' && s !== '' && !/[/\\\0]/.test(s) && !/%(2f|5c|2e|00)/i.test(s));
    }),
    fuzz(2000),
  );
  t.pass();
});

test('checkPath - invisible, reordering and ill-formed names are refused', t => {
  for (const path of ['a\u0085b', 'x\u202etxt.exe', 'zero\u200bwidth', '\ufeffbom', 'lone\ud800', 'lone\udc00x']) {
    const error = t.throws(() => checkPath('read', path));
    t.true(isCathedralError(error, 'INVALID_ARGUMENT'), JSON.stringify(path));
  }
  t.deepEqual([...checkPath('read', 'emoji-\ud83d\ude00')], ['emoji-\ud83d\ude00']);
});
