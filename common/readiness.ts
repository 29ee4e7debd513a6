import type { Client } from '@temporalio/client';

/** How long one readiness check may take before it counts as failed. */
export const CHECK_MS = 2000;

export type Check = { status: 'ok' } | { status: 'failed'; error: string } | { status: 'not used' };

/** Runs one readiness check: ok when `call` resolves in time, failed with its error otherwise. */
export async function check(call: () => Promise<unknown>): Promise<Check> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      call(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_MS} ms`)), CHECK_MS);
      }),
    ]);
    return { status: 'ok' };
  } catch (err) {
    return { status: 'failed', error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Temporal answers this client (its frontend's system info, under a deadline). */
export function temporalCheck(client: Client): Promise<Check> {
  return check(() =>
    client.connection.withDeadline(Date.now() + CHECK_MS, () => client.workflowService.getSystemInfo({})),
  );
}

/** The probe's answer: 200 and `ready` when no check failed, 503 and `not ready` naming them otherwise. */
export function readiness(checks: Record<string, Check>): {
  status: 200 | 503;
  body: Record<string, unknown>;
} {
  const ready = Object.values(checks).every((c) => c.status !== 'failed');
  return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not ready', checks } };
}
