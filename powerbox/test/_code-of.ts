/** Test helper: the code an operation was refused with, `ok`, or `foreign: …` for an untyped error. */
import { isCathedralError } from '@cathedral/sdk';

export const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (error) {
    return isCathedralError(error) ? error.code : `foreign: ${String(error)}`;
  }
};
