/**
 * Locks this process down before anything else of Cathedral or Endo loads.
 *
 * It must be the app's first import. `@cathedral/sdk`, `@cathedral/powerbox`
 * and `@cathedral/runtime` load Endo modules that call `harden` while they
 * load; once that fallback `harden` has been used, SES refuses to lock down
 * ("Cannot lockdown (repairIntrinsics) if a prior harden implementation has
 * been used"). `createHost()` locks down too, but by the time it runs the
 * imports above have already happened, so an app that imports the runtime
 * statically must lock down here first. Locking down twice is harmless.
 */
import { ensureLockdown } from '@cathedral/sdk/lockdown';

ensureLockdown();
