import { Writable } from 'node:stream';
import { makeLogger, setRootLogger, temporalLogger } from '../../common/observability/log';

/** The JSON lines a logger wrote. */
function capture(): { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  setRootLogger(
    makeLogger(
      'test',
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(JSON.parse(chunk.toString()));
          done();
        },
      }),
    ),
  );
  return { lines };
}

describe("the Temporal SDK's log lines", () => {
  it('then an error the SDK passes in its metadata shows its type, message and stack, not {}', () => {
    const { lines } = capture();
    const err = new TypeError('worker thread stalled');
    temporalLogger('WARN').error('Worker failed', {
      sdkComponent: 'worker',
      taskQueue: 'novaflow',
      error: err,
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'Worker failed',
      sdk_component: 'worker',
      task_queue: 'novaflow',
      error: { type: 'TypeError', message: 'worker thread stalled' },
    });
    expect((lines[0].error as { stack: string }).stack).toContain('temporal-logger.test');
  });

  it('then lines below the level given are left out', () => {
    const { lines } = capture();
    temporalLogger('WARN').info('polling', { sdkComponent: 'worker' });
    expect(lines).toHaveLength(0);
  });
});
