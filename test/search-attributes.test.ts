import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { freePort, registerSearchAttributes, startDevServer, type DevServer } from '../scripts/temporal';
import { eventually } from './support/stack';

/**
 * The dev server caches search attributes and namespaces (reading them back from SQLite on every use
 * cost it ~15% of its CPU): a just-added attribute maps about a second later, and registration waits
 * for it, so the first workflow a fresh stack starts is not refused.
 */
describe('when novaflow registers its search attributes on a fresh dev server', () => {
  let server: DevServer;
  let connection: Connection;
  beforeAll(async () => {
    server = await startDevServer({
      port: await freePort(),
      dbFile: path.join(process.env.NOVAFLOW_TEST_DIR!, 'search-attributes.db'),
    });
    connection = await Connection.connect({ address: server.address });
  });
  afterAll(async () => {
    await connection?.close();
    await server?.stop('SIGKILL');
  });

  it('then a workflow carrying every one of them starts at once and is listed by them', async () => {
    await registerSearchAttributes(server.address, 'default');
    const client = new Client({ connection, namespace: 'default' });
    await client.workflow.start('nothingRunsThis', {
      taskQueue: 'nobody-polls-this',
      workflowId: 'carries-every-attribute',
      typedSearchAttributes: CUSTOM_SEARCH_ATTRIBUTES.map((key) => ({ key, value: 'x' })),
    });
    const query = CUSTOM_SEARCH_ATTRIBUTES.map((k) => `${k.name} = 'x'`).join(' AND ');
    await eventually(
      async () => ((await client.workflow.count(query)).count === 1 ? true : undefined),
      10_000,
      'the workflow listed by its attributes',
    );
    // Registering again (every start does) finds them all and returns.
    await registerSearchAttributes(server.address, 'default');
  }, 60_000);
});
