import type {
  ActivityInput,
  Next,
  WorkflowInterceptorsFactory,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { proxyActivities, upsertMemo } from '@temporalio/workflow';
import { extensionInForce } from '../../../workflows/extensions';
import type { SpawnInput } from '../../../entities/reservation/stages';
import type { BootStampActivities } from './activities';
import { BOOT_STAMP_ALIAS, BOOT_STAMP_FIELD, BOOT_STAMP_MEMO } from './stamp';

/**
 * Adds a step after spawn: once the driver booted the server, the same host stamps it, and the stamp
 * goes into the server workflow's memo. A failed stamp never fails the build: it is only recorded.
 */
class BootStampOutbound implements WorkflowOutboundCallsInterceptor {
  async scheduleActivity(
    input: ActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
  ) {
    const result = await next(input);
    if (input.activityType !== 'spawn' || !extensionInForce(BOOT_STAMP_ALIAS)) return result;
    const spawn = input.args[0] as SpawnInput;
    const note = spawn.extra[BOOT_STAMP_FIELD];
    if (typeof note !== 'string') return result;
    const { stampBoot } = proxyActivities<BootStampActivities>({
      taskQueue: input.options.taskQueue,
      scheduleToStartTimeout: '1 minute',
      startToCloseTimeout: '30 seconds',
      retry: { maximumAttempts: 3 },
    });
    try {
      upsertMemo({ [BOOT_STAMP_MEMO]: await stampBoot({ serverId: spawn.serverId, note }) });
    } catch (err) {
      upsertMemo({ [BOOT_STAMP_MEMO]: { error: err instanceof Error ? err.message : String(err) } });
    }
    return result;
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ outbound: [new BootStampOutbound()] });
