import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { badRequest, notFound } from '../../common/errors';
import { nameUuid } from '../../common/ids';
import { CONTROL_TASK_QUEUE } from '../../common/names';
import type { HostState } from '../../entities/host/types';
import { DEFAULT_HOST_DOWN_AFTER_MS, isAlive } from '../../entities/host/rules';
import { viewHostStates } from '../../entities/host/client';
import { usedResources } from '../../entities/host/rules';
import type { ApiDeps } from '../../api/context';
import { atLeast } from '../../api/context';
import { serviceUuid } from '../../api/routes/services';
import type {
  HypervisorUptimeInput,
  HypervisorUptimesInput,
  hypervisorUptimesWorkflow,
  hypervisorUptimeWorkflow,
} from './workflow';

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

/** The servers a host holds (its claims are keyed by server id), as Nova lists them: uuid and instance name. */
function serversOn(s: HostState) {
  return Object.keys(s.allocations).map((uuid) => ({ uuid, name: `instance-${uuid.slice(0, 8)}` }));
}

function detail(req: Request, s: HostState, downAfterMs: number) {
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
    // An object from 2.28, a JSON string before.
    cpu_info: atLeast(req, 28) ? {} : '{}',
  };
}

/** What 2.88 took out of a hypervisor's detail (misleading totals; placement knows better). */
const RETIRED_IN_288 = [
  'current_workload',
  'cpu_info',
  'vcpus',
  'vcpus_used',
  'free_disk_gb',
  'local_gb',
  'local_gb_used',
  'disk_available_least',
  'free_ram_mb',
  'memory_mb',
  'memory_mb_used',
  'running_vms',
];

/** Nova's totals over every hypervisor. */
function statistics(states: HostState[]) {
  const t = {
    count: states.length,
    vcpus: 0,
    memory_mb: 0,
    local_gb: 0,
    vcpus_used: 0,
    memory_mb_used: 0,
    local_gb_used: 0,
    free_ram_mb: 0,
    free_disk_gb: 0,
    current_workload: 0,
    running_vms: 0,
    disk_available_least: 0,
  };
  for (const s of states) {
    const used = usedResources(s.allocations);
    t.vcpus += s.inventory?.vcpus ?? 0;
    t.memory_mb += s.inventory?.ram ?? 0;
    t.local_gb += s.inventory?.disk ?? 0;
    t.vcpus_used += used.vcpus;
    t.memory_mb_used += used.ram;
    t.local_gb_used += used.disk;
    t.running_vms += Object.keys(s.allocations).length;
  }
  t.free_ram_mb = t.memory_mb - t.memory_mb_used;
  t.free_disk_gb = t.local_gb - t.local_gb_used;
  t.disk_available_least = t.free_disk_gb;
  return t;
}

/** Admin-only hypervisor views over the host entities, plus uptime fetched from the host itself. */
export function hypervisorRoutes(deps: ApiDeps): Router {
  const downAfterMs = deps.hostDownAfterMs ?? DEFAULT_HOST_DOWN_AFTER_MS;
  const r = Router();
  const find = async (id: string): Promise<HostState> => {
    const state = (await viewHostStates(deps.client)).find((s) => hypervisorId(s.name) === id);
    if (!state) throw notFound(`Hypervisor with ID ${id} could not be found.`);
    return state;
  };

  /**
   * The listed hypervisors: from 2.53 `hypervisor_hostname_pattern` (a substring, 404 when none
   * matches) and `with_servers` (each one's servers, when it has any).
   */
  const listed = async (req: Request, view: (s: HostState) => Record<string, unknown>) => {
    let states = await viewHostStates(deps.client);
    if (!atLeast(req, 53)) return states.map(view);
    const pattern =
      typeof req.query.hypervisor_hostname_pattern === 'string'
        ? req.query.hypervisor_hostname_pattern
        : undefined;
    if (pattern !== undefined) {
      states = states.filter((s) => s.name.includes(pattern));
      if (states.length === 0) throw notFound(`No hypervisor matching '${pattern}' could be found.`);
    }
    const withServers = ['1', 'true', 'yes', 'on'].includes(
      String(req.query.with_servers ?? '').toLowerCase(),
    );
    return states.map((s) => {
      const v = view(s);
      const servers = serversOn(s);
      // From 2.75 the field is there even when the host has no servers.
      if (withServers && (servers.length > 0 || atLeast(req, 75))) v.servers = servers;
      return v;
    });
  };
  /** Before 2.53: `/{pattern}/search` and `/{pattern}/servers` (a substring; 404 when none matches). */
  const matching = async (req: Request) => {
    if (atLeast(req, 53)) throw notFound(`Hypervisor with ID ${req.params.pattern} could not be found.`);
    const pattern = String(req.params.pattern);
    const states = (await viewHostStates(deps.client)).filter((s) => s.name.includes(pattern));
    if (states.length === 0) throw notFound(`No hypervisor matching '${pattern}' could be found.`);
    return states;
  };

  /** A host's uptime line from its driver (null when it is down or cannot say). */
  /** A host's uptime line, asked of its driver through a workflow on the host's queue. */
  const fetchUptime = (state: HostState): Promise<string> =>
    deps.client.workflow.execute<typeof hypervisorUptimeWorkflow>('hypervisorUptimeWorkflow', {
      taskQueue: CONTROL_TASK_QUEUE,
      workflowId: `hypervisor-uptime/${state.name}/${randomUUID()}`,
      args: [
        {
          host: state.name,
          ...(state.inventory?.taskQueue ? { queue: state.inventory.taskQueue } : {}),
        } satisfies HypervisorUptimeInput,
      ],
      workflowExecutionTimeout: '1 minute',
    });
  /** The uptime a 2.88 view shows: null when the host is down or cannot say. */
  const uptimeOf = async (state: HostState): Promise<string | null> => {
    if (!isAlive(state, downAfterMs)) return null;
    try {
      return await fetchUptime(state);
    } catch {
      return null;
    }
  };
  /**
   * The uptimes of the hosts a list shows that are up, asked in one workflow: one task per fleet,
   * one per host that has a queue of its own (a workflow per host took 17-20 s for a fleet of 1000).
   */
  const uptimesOf = async (states: HostState[]): Promise<Record<string, string | null>> => {
    const groups = new Map<string, string[]>();
    for (const s of states.filter((s) => isAlive(s, downAfterMs))) {
      const queue = s.inventory?.taskQueue ?? '';
      groups.set(queue, [...(groups.get(queue) ?? []), s.name]);
    }
    if (groups.size === 0) return {};
    try {
      return await deps.client.workflow.execute<typeof hypervisorUptimesWorkflow>(
        'hypervisorUptimesWorkflow',
        {
          taskQueue: CONTROL_TASK_QUEUE,
          workflowId: `hypervisor-uptimes/${randomUUID()}`,
          args: [
            {
              // A host without a queue in its inventory, or on a queue of its own, is asked alone.
              groups: [...groups].flatMap(([queue, hosts]) =>
                queue && hosts.length > 1
                  ? [{ queue, hosts }]
                  : hosts.map((h) => ({ ...(queue ? { queue } : {}), hosts: [h] })),
              ),
            } satisfies HypervisorUptimesInput,
          ],
          workflowExecutionTimeout: '1 minute',
        },
      );
    } catch {
      return {};
    }
  };
  /** The detail view of a microversion: from 2.88 without the retired totals and with the uptime. */
  const detailOf = async (req: Request, s: HostState) => {
    const v: Record<string, unknown> = detail(req, s, downAfterMs);
    if (!atLeast(req, 88)) return v;
    for (const k of RETIRED_IN_288) delete v[k];
    v.uptime = await uptimeOf(s);
    return v;
  };

  r.get('/os-hypervisors', async (req, res) => {
    res.json({ hypervisors: await listed(req, (s) => summary(s, downAfterMs)) });
  });
  r.get('/os-hypervisors/detail', async (req, res) => {
    const views = await listed(req, (s) => detail(req, s, downAfterMs));
    if (atLeast(req, 88)) {
      const states = new Map((await viewHostStates(deps.client)).map((s) => [hypervisorId(s.name), s]));
      const shown = views.flatMap((v) => states.get(v.id as string) ?? []);
      const uptimes = await uptimesOf(shown);
      for (const v of views) {
        for (const k of RETIRED_IN_288) delete v[k];
        v.uptime = uptimes[states.get(v.id as string)?.name ?? ''] ?? null;
      }
    }
    res.json({ hypervisors: views });
  });
  r.get('/os-hypervisors/statistics', async (req, res) => {
    if (atLeast(req, 88)) throw notFound('The resource could not be found.');
    res.json({ hypervisor_statistics: statistics(await viewHostStates(deps.client)) });
  });
  r.get('/os-hypervisors/:pattern/search', async (req, res) => {
    res.json({ hypervisors: (await matching(req)).map((s) => summary(s, downAfterMs)) });
  });
  r.get('/os-hypervisors/:pattern/servers', async (req, res) => {
    res.json({
      hypervisors: (await matching(req)).map((s) => {
        const servers = serversOn(s);
        return { ...summary(s, downAfterMs), ...(servers.length > 0 ? { servers } : {}) };
      }),
    });
  });
  r.get('/os-hypervisors/:id', async (req, res) => {
    const state = await find(req.params.id);
    const view = await detailOf(req, state);
    if (
      atLeast(req, 53) &&
      ['1', 'true', 'yes', 'on'].includes(String(req.query.with_servers ?? '').toLowerCase())
    ) {
      const servers = serversOn(state);
      if (servers.length > 0 || atLeast(req, 75)) view.servers = servers;
    }
    res.json({ hypervisor: view });
  });
  r.get('/os-hypervisors/:id/uptime', async (req, res) => {
    // 2.88 folded the uptime into the hypervisor's view.
    if (atLeast(req, 88)) throw notFound('The resource could not be found.');
    const state = await find(req.params.id);
    const base = summary(state, downAfterMs);
    // Nova checks the service first: a host known to be down answers at once.
    if (base.state === 'down')
      throw badRequest(`Compute service of ${state.name} is unavailable at this time.`);
    res.json({ hypervisor: { ...base, uptime: await fetchUptime(state) } });
  });
  return r;
}
