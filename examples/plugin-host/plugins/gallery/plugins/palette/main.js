// A sub-plugin of the gallery made of two modules of its own folder.
import { colors } from './colors.js';

export const run = async () => colors.map(([name, hex]) => `${name} ${hex}`).join(', ');
