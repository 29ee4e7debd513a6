import { GroupCommit } from '../../common/concurrency';

describe('a group commit', () => {
  it('sends a lone request at once and those that wait behind a call together in the next one', async () => {
    const calls: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gc = new GroupCommit<string, string>(async (key, batch) => {
      calls.push(batch);
      if (calls.length === 1) await gate;
      return batch.map((b) => `${key}:${b}`);
    });
    const first = gc.submit('net', 'a');
    const rest = ['b', 'c', 'd'].map((x) => gc.submit('net', x));
    const other = gc.submit('other', 'z');
    release();
    expect(await first).toBe('net:a');
    expect(await Promise.all(rest)).toEqual(['net:b', 'net:c', 'net:d']);
    expect(await other).toBe('other:z');
    expect(calls).toEqual([['a'], ['z'], ['b', 'c', 'd']]);
  });

  it('rejects every request of a call that fails, and goes on with the next', async () => {
    let n = 0;
    const gc = new GroupCommit<number, number>(async (_key, batch) => {
      if (n++ === 0) throw new Error('entity unavailable');
      return batch;
    });
    const failed = gc.submit('k', 1);
    const next = gc.submit('k', 2);
    await expect(failed).rejects.toThrow('entity unavailable');
    expect(await next).toBe(2);
  });
});
