import type { NovaExtension } from '../types';

/**
 * Listed for clients that look for it before sending min_count/max_count. Multiple create itself is a
 * first-class part of create in the core, so this extension is a descriptor and nothing else.
 */
export const multipleCreateExtension: NovaExtension = {
  descriptor: {
    name: 'MultipleCreate',
    alias: 'os-multiple-create',
    description: 'Allow multiple create in the Create Server v2.1 API.',
    updated: '2014-12-03T00:00:00Z',
  },
};

export default multipleCreateExtension;
