import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { ApiDeps } from '../../api/context';
import { atLeast, ctx } from '../../api/context';
import { getServer } from '../../api/usecases/servers';
import { conflict } from '../../common/errors';
import { CONTROL_TASK_QUEUE } from '../../common/names';
import type { InstanceDiagnostics } from './activities';
import type { serverDiagnosticsWorkflow } from './workflow';

/** One interface of the server, from what its networks prepared (Nova's `OS-EXT-IPS-MAC:mac_addr`). */
function macs(view: Record<string, unknown> | undefined): string[] {
  const addresses = (view?.addresses ?? {}) as Record<string, { 'OS-EXT-IPS-MAC:mac_addr'?: string }[]>;
  return [
    ...new Set(Object.values(addresses).flatMap((list) => list.map((a) => a['OS-EXT-IPS-MAC:mac_addr']))),
  ].filter((m): m is string => typeof m === 'string');
}

const COUNTERS = ['rx_drop', 'rx_errors', 'rx_octets', 'rx_packets', 'rx_rate'].flatMap((k) => [
  k,
  k.replace('rx', 'tx'),
]);

/**
 * `GET /servers/{id}/diagnostics`: what the server's host says of its machine. From 2.48 in Nova's
 * standard form (state, uptime, driver, CPUs, memory, interfaces; figures the driver does not measure
 * are null); before it, the driver's own keys.
 */
export function diagnosticsRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get('/servers/:id/diagnostics', async (req, res) => {
    const server = await getServer(deps.client, ctx(req).caller, req.params.id);
    if (!server.host || server.vmState === 'building')
      throw conflict(
        `Cannot 'get_diagnostics' instance ${server.id} while it is in vm_state ${server.vmState}`,
      );
    const d: InstanceDiagnostics = await deps.client.workflow.execute<typeof serverDiagnosticsWorkflow>(
      'serverDiagnosticsWorkflow',
      {
        taskQueue: CONTROL_TASK_QUEUE,
        workflowId: `server-diagnostics/${server.id}/${randomUUID()}`,
        args: [
          {
            host: server.host,
            ...(server.hostQueue ? { queue: server.hostQueue } : {}),
            serverId: server.id,
          },
        ],
        workflowExecutionTimeout: '1 minute',
      },
    );
    const { vcpus, ram } = server.flavor;
    if (!atLeast(req, 48)) {
      res.json({ state: d.state, uptime: d.uptime, memory: ram * 1024, cpus: vcpus });
      return;
    }
    const nics = macs(server.prepared?.networks as Record<string, unknown> | undefined);
    res.json({
      config_drive: false,
      cpu_details: [],
      disk_details: [],
      driver: d.driver,
      hypervisor: d.hypervisor,
      hypervisor_os: 'linux',
      memory_details: { maximum: ram, used: null },
      nic_details: nics.map((mac) => ({
        mac_address: mac,
        ...Object.fromEntries(COUNTERS.map((k) => [k, null])),
      })),
      num_cpus: vcpus,
      num_disks: 0,
      num_nics: nics.length,
      state: d.state,
      uptime: d.uptime,
    });
  });
  return r;
}
