import { decideReserve, readQuotaAnswer } from '../../entities/quota/rules';
import { DEFAULT_QUOTA } from '../../entities/quota/types';

const none = { instances: 0, cores: 0, ram: 0 };
const request = (max: number, min: number, cores = 1, ram = 512) => ({
  reservationId: 'r-unit0001',
  keys: Array.from({ length: max }, (_, i) => `k${i}`),
  minCount: min,
  perInstance: { cores, ram },
});

describe('when the quota entity decides a reservation (Nova rule)', () => {
  it('then max_count is taken when it fits', () => {
    expect(decideReserve(DEFAULT_QUOTA, none, request(3, 1))).toEqual({ granted: 3 });
  });

  it('then what is left is taken when it is at least min_count', () => {
    expect(decideReserve(DEFAULT_QUOTA, { instances: 7, cores: 7, ram: 0 }, request(5, 2))).toEqual({
      granted: 3,
    });
  });

  it('then fewer than min_count left is refused with Nova text naming the resource', () => {
    expect(decideReserve(DEFAULT_QUOTA, { instances: 9, cores: 9, ram: 0 }, request(4, 2))).toEqual({
      refused: 'Quota exceeded for instances: Requested 2-4, but already used 9 of 10 instances',
    });
  });

  it('then cores can be what refuses, and -1 is unlimited', () => {
    expect(decideReserve(DEFAULT_QUOTA, none, request(1, 1, 32))).toEqual({
      refused: expect.stringMatching(/^Quota exceeded for cores/),
    });
    expect(
      decideReserve({ ...DEFAULT_QUOTA, instances: -1, cores: -1, ram: -1 }, none, request(500, 500)),
    ).toEqual({ granted: 500 });
  });
});

describe('when an answer stored by an earlier version is read', () => {
  it('then a bare number is a grant and a bare text a refusal; anything else is no answer', () => {
    expect(readQuotaAnswer(2)).toEqual({ granted: 2 });
    expect(readQuotaAnswer('Quota exceeded for ram')).toEqual({ refused: 'Quota exceeded for ram' });
    expect(readQuotaAnswer({ granted: 0 })).toEqual({ granted: 0 });
    expect(readQuotaAnswer({ refused: 'no' })).toEqual({ refused: 'no' });
    for (const nothing of [undefined, null, {}, { granted: '2' }, []])
      expect(readQuotaAnswer(nothing)).toBeUndefined();
  });
});
