import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowEntry } from '../../../extensions/bundle';
import {
  BUILTIN_EXTENSIONS,
  builtinWorkflowModules,
  builtinWorkflowTypes,
  resolveExtensions,
} from '../../../extensions/registry';
import { startStack, waitForStatus, type Stack } from '../../../test/support/stack';

const IMAGE = '70a599e0-31e7-49b7-b260-868f441e862b';
const ADMIN = 'admin:admin';
let bundlePath: string;
let stack: Stack | undefined;

beforeAll(async () => {
  // This extension is not built in, so the shared bundle lacks its interceptor: build one that has it.
  const extensions = resolveExtensions('all,./examples/extensions/boot-stamp');
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowEntry(builtinWorkflowTypes()),
    workflowInterceptorModules: [
      ...builtinWorkflowModules(),
      ...extensions.flatMap((e) => e.workflowModules ?? []),
    ],
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
  });
  bundlePath = path.join(process.env.NOVAFLOW_TEST_DIR!, 'boot-stamp-bundle.js');
  fs.writeFileSync(bundlePath, code);
});
afterEach(async () => {
  await stack?.shutdown();
  stack = undefined;
});

describe('when the boot-stamp example is loaded by configuration', () => {
  it('then a server created with its field is stamped by its own host right after spawn', async () => {
    stack = await startStack({
      hosts: [{ name: 'bs1' }, { name: 'bs2' }],
      extensions: resolveExtensions('all,./examples/extensions/boot-stamp'),
      workflowBundlePath: bundlePath,
    });
    const listed = await stack.api('GET', '/v2.1/extensions/x-boot-stamp');
    expect(listed.body.extension.name).toBe('BootStamp');
    const r = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'stamped', imageRef: IMAGE, flavorRef: '1', 'x-boot-stamp:note': 'hello' } },
    });
    expect(r.status).toBe(202);
    const id = r.body.server.id;
    const server = await waitForStatus(stack, id, ['ACTIVE'], ADMIN);
    const stamp = await stack.api('GET', `/v2.1/servers/${id}/os-boot-stamp`);
    expect(stamp.status).toBe(200);
    expect(stamp.body.boot_stamp).toMatchObject({
      host: server['OS-EXT-SRV-ATTR:host'],
      note: 'hello',
      running: true,
    });

    const plain = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'plain', imageRef: IMAGE, flavorRef: '1' } },
    });
    await waitForStatus(stack, plain.body.server.id, ['ACTIVE']);
    expect((await stack.api('GET', `/v2.1/servers/${plain.body.server.id}/os-boot-stamp`)).status).toBe(404);
  });
});

describe('when the boot-stamp example is not configured', () => {
  it('then its field is a 400 and its route a 404', async () => {
    stack = await startStack({
      hosts: [{ name: 'bs1' }],
      extensions: BUILTIN_EXTENSIONS,
      workflowBundlePath: bundlePath,
    });
    const r = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'stamped', imageRef: IMAGE, flavorRef: '1', 'x-boot-stamp:note': 'hello' } },
    });
    expect(r.status).toBe(400);
    expect(r.body.badRequest.message).toContain("'x-boot-stamp:note' was unexpected");
    const plain = await stack.api('POST', '/v2.1/servers', {
      body: { server: { name: 'plain', imageRef: IMAGE, flavorRef: '1' } },
    });
    await waitForStatus(stack, plain.body.server.id, ['ACTIVE']);
    expect((await stack.api('GET', `/v2.1/servers/${plain.body.server.id}/os-boot-stamp`)).status).toBe(404);
  });
});
