// Every test worker runs under the same lockdown as a Cathedral host.
import { ensureLockdown } from '@cathedral/sdk/lockdown';

ensureLockdown();
