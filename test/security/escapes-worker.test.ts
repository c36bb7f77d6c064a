/**
 * The realm escape suite at the worker tier: the same scenarios as at the
 * compartment tier (./_escapes.ts), each guest in its own worker thread.
 *
 * One host serves the whole file; scenarios run one at a time. What a
 * scenario means at this tier, when not what it says, is in its `tiers`
 * field; how the runner judges remote tiers is in ./_escape-runner.ts.
 */
import { declareEscapeSuite } from './_escape-suite.js';

declareEscapeSuite('worker');
