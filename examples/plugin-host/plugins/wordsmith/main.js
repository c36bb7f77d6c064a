// A well-behaved plugin made of modules: one relative (`./util.js`, from its
// own folder) and one shared (`system://lib/words.js`, from the system root).
import { joinWords } from './util.js';
import { count, words } from 'system://lib/words.js';

export const run = async () => `${count()} words: ${joinWords(words)}`;
