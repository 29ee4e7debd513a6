import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  CountedReserveRequest,
  QuotaBatchRequest,
  QuotaBatchResult,
  QuotaLimits,
  QuotaReserveRequest,
  QuotaReserveResult,
  QuotaState,
} from './types';

/** The quota entity's updates, signals and queries, shared by its workflow and its client. */
export const reserveQuotaUpdate = defineUpdate<QuotaReserveResult, [QuotaReserveRequest]>('reserveQuota');
/** Admission's group commit: the requests one API process gathered while its previous update ran. */
export const reserveBatchUpdate = defineUpdate<QuotaBatchResult, [QuotaBatchRequest]>('reserveBatch');
/** One unit of a counted resource (a server group, a keypair): an update, the caller needs the answer. */
export const reserveCountedUpdate = defineUpdate<void, [CountedReserveRequest]>('reserveCounted');
/** Gives back what `keys` hold, servers' resources and counted units alike; releasing twice is harmless. */
export const releaseQuotaSignal = defineSignal<[{ keys: string[] }]>('releaseQuota');
export const setQuotaLimitsUpdate = defineUpdate<QuotaState, [Partial<QuotaLimits>]>('setQuotaLimits');
/** Forgets the project's own limits: the class defaults apply again. */
export const resetQuotaLimitsUpdate = defineUpdate<QuotaState, []>('resetQuotaLimits');
/** The defaults of the project's quota class changed (the default class is the only one). */
export const setQuotaDefaultsSignal = defineSignal<[Partial<QuotaLimits>]>('setQuotaDefaults');
export const quotaStateQuery = defineQuery<QuotaState>('quotaState');

/** The quota class entity's one change: some of the default class's limits (os-quota-class-sets). */
export const setQuotaClassUpdate = defineUpdate<Partial<QuotaLimits>, [Partial<QuotaLimits>]>(
  'setQuotaClass',
);
export const QUOTA_CLASS_ID = 'quota-class/default';
