import { hostWorkflowId } from '../common/names';
import { killControls, startControl } from './support/control-child';
import { eventually, startStack, type Stack } from './support/stack';

const ADMIN = 'admin:admin';
const HOSTS = ['hv-1', 'hv-2'];
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: HOSTS.map((name) => ({ name })), externalControl: true });
});
afterAll(async () => {
  killControls();
  await stack?.shutdown();
});

/** Each compute service's status (enabled or disabled), by host. */
async function serviceStatuses(): Promise<Record<string, string>> {
  const r = await stack.api('GET', '/v2.1/os-services', { token: ADMIN });
  expect(r.status).toBe(200);
  return Object.fromEntries(
    (r.body.services as { host: string; status: string }[]).map((s) => [s.host, s.status]),
  );
}

describe('when an operator reads compute services, hypervisors and zones', () => {
  it('then they are read from what the hosts published, so they answer with no worker to ask', async () => {
    const control = await startControl(stack);
    // Each host entity publishes its state in its memo once its worker ran it.
    await eventually(async () => {
      const memos = await Promise.all(
        HOSTS.map(
          async (h) => (await stack.client.workflow.getHandle(hostWorkflowId(h)).describe()).memo?.host,
        ),
      );
      return memos.every(Boolean) ? true : undefined;
    });
    control.child.kill('SIGKILL');
    await new Promise((r) => control.child.once('exit', r));

    // No worker polls: a query to any host would wait in vain. The views list what was published.
    const hypervisors = await stack.api('GET', '/v2.1/os-hypervisors/detail', { token: ADMIN });
    expect(hypervisors.status).toBe(200);
    expect(
      hypervisors.body.hypervisors.map((h: { hypervisor_hostname: string }) => h.hypervisor_hostname),
    ).toEqual(HOSTS);
    expect(await serviceStatuses()).toEqual({ 'hv-1': 'enabled', 'hv-2': 'enabled' });
    const zones = await stack.api('GET', '/v2.1/os-availability-zone/detail', { token: ADMIN });
    expect(zones.status).toBe(200);
    expect(Object.keys(zones.body.availabilityZoneInfo[0].hosts).sort()).toEqual(HOSTS);
  });

  it('then a host the operator disabled reads disabled in the very next list', async () => {
    await startControl(stack);
    const put = await stack.api('PUT', '/v2.1/os-services/disable', {
      token: ADMIN,
      body: { host: 'hv-1', binary: 'nova-compute' },
    });
    expect(put.status).toBe(200);
    expect(put.body.service.status).toBe('disabled');
    // At once: the entity's own answer for a host this API process just changed, not a listing
    // that may not have it yet.
    expect(await serviceStatuses()).toEqual({ 'hv-1': 'disabled', 'hv-2': 'enabled' });
    const enable = await stack.api('PUT', '/v2.1/os-services/enable', {
      token: ADMIN,
      body: { host: 'hv-1', binary: 'nova-compute' },
    });
    expect(enable.status).toBe(200);
    expect(await serviceStatuses()).toEqual({ 'hv-1': 'enabled', 'hv-2': 'enabled' });
  });
});
