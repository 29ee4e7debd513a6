import path from 'node:path';
import { launchMain } from './launch';
import {
  clusterDataDir,
  DEFAULT_PORTS,
  ensureNamespace,
  serverConfig,
  serverMetricsPort,
  setupSchema,
  startPostgres,
  startTemporalServer,
  startUi,
} from './cluster-temporal';
import { ensurePostgres, ensureTemporalServer, ensureUiServer } from './cluster-install';
import fs from 'node:fs';

/**
 * `npm run cluster`: novaflow as it runs in production, on one machine — PostgreSQL, a Temporal
 * server on it (all services in one process) and the Web UI; Keystone; and 2 APIs (:8774, :8775),
 * 2 admission workers, 2 control workers and 3 compute nodes, each supervised. The first run builds
 * the Temporal server and Web UI from the Go module proxy into .cluster/ and installs PostgreSQL from
 * the OS packages when it is missing. State lives in .data/cluster/ (PostgreSQL) and .data/keystone/.
 */
const ports = {
  postgres: Number(process.env.NOVAFLOW_CLUSTER_PG_PORT ?? DEFAULT_PORTS.postgres),
  frontend: Number(process.env.NOVAFLOW_CLUSTER_TEMPORAL_PORT ?? DEFAULT_PORTS.frontend),
  ui: Number(process.env.NOVAFLOW_CLUSTER_UI_PORT ?? DEFAULT_PORTS.ui),
};

launchMain({
  title: 'novaflow cluster',
  apis: 2,
  admission: 2,
  control: 2,
  computeHosts: ['compute-1', 'compute-2', 'compute-3'],
  healthPortBase: Number(process.env.NOVAFLOW_CLUSTER_PROBE_PORT ?? 9401),
  async temporal(supervisor, dataDir) {
    const { server, sql } = ensureTemporalServer();
    const ui = ensureUiServer();
    const pgBin = ensurePostgres();
    const dir = clusterDataDir(dataDir);
    const address = `127.0.0.1:${ports.frontend}`;
    console.log(
      `starting PostgreSQL on :${ports.postgres} (data in ${path.relative(process.cwd(), dir)}/pg) ...`,
    );
    await supervisor.add('postgres', () =>
      startPostgres(pgBin, path.join(dir, 'pg'), ports.postgres, path.join(dir, 'postgres.log')),
    );
    setupSchema(sql, ports.postgres, path.join(dir, 'schema-done'));
    const config = path.join(dir, 'temporal-server.yaml');
    fs.writeFileSync(config, serverConfig(ports, path.join(dir, 'temporal-server.log')));
    console.log(`starting the Temporal server on ${address} ...`);
    await supervisor.add('temporal', () =>
      startTemporalServer(server, config, address, path.join(dir, 'temporal-server.out')),
    );
    await ensureNamespace(address, process.env.TEMPORAL_NAMESPACE ?? 'default');
    await supervisor.add('temporal-ui', () =>
      startUi(ui, path.join(dir, 'ui'), address, ports.ui, path.join(dir, 'ui.log')),
    );
    console.log(`Temporal server metrics on http://127.0.0.1:${serverMetricsPort(ports)}/metrics`);
    return { address, ui: `http://localhost:${ports.ui}` };
  },
});
