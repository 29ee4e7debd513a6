import type { VirtDriver } from './driver';
import { FakeDriver, type FakeDriverOptions } from './fake';
import { ProcessDriver, type ProcessDriverOptions } from './process';
import { QemuDriver, type QemuDriverOptions } from './qemu/driver';

/** Settings per driver family; each driver reads only its own. */
export interface DriverOptions {
  fake?: FakeDriverOptions;
  process?: ProcessDriverOptions;
  qemu?: QemuDriverOptions;
}

/** Names a compute node can be started with (`--driver NAME`). */
export const DRIVER_NAMES = [
  'fake',
  'fake-reschedule',
  'fake-abort',
  'fake-minimal',
  'process',
  'qemu',
] as const;

/** Builds the named driver. The `process` and `qemu` drivers measure the real machine, so fake sizes do not apply. */
export function createDriver(name: string, options: DriverOptions = {}): VirtDriver {
  const fake = options.fake ?? {};
  switch (name) {
    case 'fake':
      return new FakeDriver(fake);
    case 'fake-reschedule':
      return new FakeDriver({ ...fake, failSpawn: 'reschedule' });
    case 'fake-abort':
      return new FakeDriver({ ...fake, failSpawn: 'abort' });
    case 'fake-minimal':
      return new FakeDriver({ ...fake, capabilities: [] });
    case 'process':
      return new ProcessDriver(options.process);
    case 'qemu':
      if (!options.qemu) throw new Error('the qemu driver needs its state and image directories');
      return new QemuDriver(options.qemu);
    default:
      throw new Error(`unknown driver "${name}" (known: ${DRIVER_NAMES.join(', ')})`);
  }
}
