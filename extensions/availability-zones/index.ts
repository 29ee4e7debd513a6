import { Router } from 'express';
import type { ApiDeps } from '../../api/context';
import { viewHostStates } from '../../entities/host/client';
import { DEFAULT_HOST_DOWN_AFTER_MS, hostZone, isAlive } from '../../entities/host/rules';
import type { HostState } from '../../entities/host/types';
import type { NovaExtension } from '../types';
import { novaLocalTime } from '../../api/views/time';

/** The compute zones, from the hosts' reports: a zone is available while one of its hosts is up and enabled. */
function zones(states: HostState[], downAfterMs: number) {
  const byZone = new Map<string, HostState[]>();
  for (const s of states) {
    const zone = hostZone(s);
    if (!zone) continue;
    byZone.set(zone, [...(byZone.get(zone) ?? []), s]);
  }
  return [...byZone.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([zoneName, hosts]) => ({
      zoneName,
      available: hosts.some((h) => h.enabled && isAlive(h, downAfterMs)),
      hosts,
    }));
}

function availabilityZoneRoutes(deps: ApiDeps): Router {
  const r = Router();
  const downAfterMs = deps.hostDownAfterMs ?? DEFAULT_HOST_DOWN_AFTER_MS;
  r.get('/os-availability-zone', async (_req, res) => {
    const list = zones(await viewHostStates(deps.client), downAfterMs);
    res.json({
      availabilityZoneInfo: list.map((z) => ({
        zoneName: z.zoneName,
        zoneState: { available: z.available },
        hosts: null,
      })),
    });
  });
  r.get('/os-availability-zone/detail', async (_req, res) => {
    const list = zones(await viewHostStates(deps.client), downAfterMs);
    res.json({
      availabilityZoneInfo: list.map((z) => ({
        zoneName: z.zoneName,
        zoneState: { available: z.available },
        hosts: Object.fromEntries(
          z.hosts.map((h) => [
            h.name,
            {
              'nova-compute': {
                available: h.enabled && isAlive(h, downAfterMs),
                active: h.enabled,
                updated_at: novaLocalTime(h.lastHeartbeat),
              },
            },
          ]),
        ),
      })),
    });
  });
  return r;
}

/** os-availability-zone: the compute zones hosts report, and (admins) which hosts are in each. */
export const availabilityZonesExtension: NovaExtension = {
  descriptor: {
    name: 'AvailabilityZone',
    alias: 'os-availability-zone',
    description: '1. Add availability_zone to the Create Server API. 2. Add availability zones describing.',
    updated: '2012-12-21T00:00:00Z',
    namespace: 'http://docs.openstack.org/compute/ext/fake_xml',
  },
  api: {
    operations: [
      { method: 'get', path: '/v2.1/os-availability-zone', summary: 'List availability zones' },
      {
        method: 'get',
        path: '/v2.1/os-availability-zone/detail',
        summary: 'List availability zones with hosts',
      },
    ],
    routes: availabilityZoneRoutes,
    collections: ['os-availability-zone'],
    policies: [
      {
        name: 'os_compute_api:os-availability-zone:list',
        check: '@',
        description: 'List availability zones.',
        operations: [{ method: 'GET', path: '/os-availability-zone' }],
      },
      {
        name: 'os_compute_api:os-availability-zone:detail',
        check: 'rule:context_is_admin',
        description: 'List availability zones with their hosts.',
        operations: [{ method: 'GET', path: '/os-availability-zone/detail' }],
      },
    ],
  },
};

export default availabilityZonesExtension;
