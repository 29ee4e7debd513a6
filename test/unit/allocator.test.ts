import { execFileSync } from 'node:child_process';
import { jemallocEnv } from '../../scripts/allocator';

/** The shared libraries a Node process started with `env` has mapped. */
function mappedBy(env: NodeJS.ProcessEnv): string {
  return execFileSync(
    process.execPath,
    ['-e', "process.stdout.write(require('fs').readFileSync('/proc/self/maps', 'utf8'))"],
    {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
    },
  );
}

describe('the control worker allocator', () => {
  it('then a process started with its environment runs on jemalloc, which npm ci installed', () => {
    const env = jemallocEnv({});
    expect(env.LD_PRELOAD).toMatch(/libjemalloc\.so\.2$/);
    expect(mappedBy(env)).toContain('libjemalloc.so.2');
    expect(mappedBy({})).not.toContain('libjemalloc');
  });

  it('then NOVAFLOW_JEMALLOC=0 leaves it on glibc, and a preload already asked for is kept', () => {
    expect(jemallocEnv({ NOVAFLOW_JEMALLOC: '0' })).toEqual({});
    expect(jemallocEnv({ LD_PRELOAD: '/opt/x.so' }).LD_PRELOAD).toMatch(/libjemalloc\.so\.2:\/opt\/x\.so$/);
  });
});
