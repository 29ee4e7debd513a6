import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { badRequest, notFound } from '../../common/errors';
import { nameUuid } from '../../common/ids';
import { CONTROL_TASK_QUEUE } from '../../common/names';
import type { HostState } from '../../entities/host/types';
import { DEFAULT_HOST_DOWN_AFTER_MS, isAlive } from '../../entities/host/rules';
import { loadHostStates } from '../../entities/host/client';
import { usedResources } from '../../entities/host/rules';
import type { ApiDeps } from '../../api/context';
import { serviceUuid } from '../../api/routes/services';
import type { HypervisorUptimeInput, hypervisorUptimeWorkflow } from './workflow';

/**
 * A hypervisor's id: a name-based uuid (version 5 layout over sha1 of the host name), so it is
 * stable across restarts and the same in every API replica without being stored anywhere.
 */
export function hypervisorId(host: string): string {
  return nameUuid('hypervisor', host);
}

function summary(s: HostState, downAfterMs: number) {
  return {
    id: hypervisorId(s.name),
    hypervisor_hostname: s.name,
    state: isAlive(s, downAfterMs) ? 'up' : 'down',
    status: s.enabled ? 'enabled' : 'disabled',
  };
}

function detail(s: HostState, downAfterMs: number) {
  const inv = s.inventory;
  const used = usedResources(s.allocations);
  const memory = inv?.ram ?? 0;
  const disk = inv?.disk ?? 0;
  return {
    ...summary(s, downAfterMs),
    hypervisor_type: inv?.hypervisorType ?? 'unknown',
    hypervisor_version: inv?.hypervisorVersion ?? 0,
    host_ip: inv?.hostIp ?? null,
    // The same id os-services gives this host's compute service (2.53 on).
    service: { id: serviceUuid(s.name), host: s.name, disabled_reason: s.disabledReason },
    vcpus: inv?.vcpus ?? 0,
    memory_mb: memory,
    local_gb: disk,
    vcpus_used: used.vcpus,
    memory_mb_used: used.ram,
    local_gb_used: used.disk,
    running_vms: Object.keys(s.allocations).length,
    free_ram_mb: memory - used.ram,
    free_disk_gb: disk - used.disk,
    current_workload: 0,
    disk_available_least: disk - used.disk,
    cpu_info: '{}',
  };
}

/** Admin-only hypervisor views over the host entities, plus uptime fetched from the host itself. */
export function hypervisorRoutes(deps: ApiDeps): Router {
  const downAfterMs = deps.hostDownAfterMs ?? DEFAULT_HOST_DOWN_AFTER_MS;
  const r = Router();
  const find = async (id: string): Promise<HostState> => {
    const state = (await loadHostStates(deps.client)).find((s) => hypervisorId(s.name) === id);
    if (!state) throw notFound(`Hypervisor with ID ${id} could not be found.`);
    return state;
  };

  r.get('/os-hypervisors', async (req, res) => {
    const states = await loadHostStates(deps.client);
    res.json({ hypervisors: states.map((s) => summary(s, downAfterMs)) });
  });
  r.get('/os-hypervisors/detail', async (req, res) => {
    const states = await loadHostStates(deps.client);
    res.json({ hypervisors: states.map((s) => detail(s, downAfterMs)) });
  });
  r.get('/os-hypervisors/:id', async (req, res) => {
    res.json({ hypervisor: detail(await find(req.params.id), downAfterMs) });
  });
  r.get('/os-hypervisors/:id/uptime', async (req, res) => {
    const state = await find(req.params.id);
    const base = summary(state, downAfterMs);
    // Nova checks the service first: a host known to be down answers at once.
    if (base.state === 'down')
      throw badRequest(`Compute service of ${state.name} is unavailable at this time.`);
    const input: HypervisorUptimeInput = { host: state.name };
    const uptime = await deps.client.workflow.execute<typeof hypervisorUptimeWorkflow>(
      'hypervisorUptimeWorkflow',
      {
        taskQueue: CONTROL_TASK_QUEUE,
        workflowId: `hypervisor-uptime/${state.name}/${randomUUID()}`,
        args: [input],
        workflowExecutionTimeout: '1 minute',
      },
    );
    res.json({ hypervisor: { ...base, uptime } });
  });
  return r;
}
