import type { Flavor } from './types';

/** Nova's default flavor catalogue. */
export const FLAVORS: readonly Flavor[] = [
  { id: '1', name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0 },
  { id: '2', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20, ephemeral: 0, swap: 0 },
  { id: '3', name: 'm1.medium', vcpus: 2, ram: 4096, disk: 40, ephemeral: 0, swap: 0 },
  { id: '4', name: 'm1.large', vcpus: 4, ram: 8192, disk: 80, ephemeral: 0, swap: 0 },
  { id: '5', name: 'm1.xlarge', vcpus: 8, ram: 16384, disk: 160, ephemeral: 0, swap: 0 },
];

/** A flavor by id; flavorRef may also be a flavor link whose last segment is the id. */
export function findFlavor(ref: string): Flavor | undefined {
  const id = ref.split('/').pop() ?? ref;
  return FLAVORS.find((f) => f.id === id);
}
