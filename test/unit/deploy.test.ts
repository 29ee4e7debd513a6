import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { EnvSchema } from '../../config/env';
import { WORKER_NODE_FLAGS } from '../../scripts/allocator';
import { TEMPORAL_SERVER_VERSION, UI_SERVER_VERSION } from '../../scripts/cluster-install';

const ROOT = path.join(__dirname, '..', '..');
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');
const compose = YAML.parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<
    string,
    { image?: string; build?: unknown; command?: string[]; environment?: Record<string, unknown> }
  >;
};
const novaflow = Object.entries(compose.services).filter(([, s]) => s.image === 'novaflow:latest');

/**
 * Settings a novaflow container may take besides novaflow's own: Temporal's env config,
 * OpenTelemetry's, and the dynamic loader's preload (the control worker's allocator).
 */
const FOREIGN = /^(TEMPORAL_(TLS|API_KEY|GRPC_META_|CONFIG_FILE|PROFILE)|OTEL_|NODE_|LD_PRELOAD$)/;

describe('docker-compose.yml and the Dockerfile', () => {
  it('then every novaflow service runs a compiled entry point whose source exists', () => {
    expect(novaflow.map(([name]) => name)).toEqual(
      expect.arrayContaining(['keystone-seed', 'setup', 'api', 'api-2', 'admission', 'control', 'compute-3']),
    );
    for (const [name, s] of novaflow) {
      const [node, ...rest] = s.command ?? [];
      // Node's own flags come before the entry point (the workers': WORKER_NODE_FLAGS).
      const entry = rest.find((a) => !a.startsWith('--')) ?? '';
      expect([name, node]).toEqual([name, 'node']);
      expect(entry).toMatch(/^dist\/.+\.js$/);
      const source = entry.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect([name, fs.existsSync(path.join(ROOT, source))]).toEqual([name, true]);
    }
  });

  it('then every setting it gives novaflow is one novaflow (or Temporal, or OpenTelemetry) reads', () => {
    const known = new Set(Object.keys(EnvSchema.shape));
    const seeds = [
      'KEYSTONE_ADMIN_PASSWORD',
      'NOVAFLOW_DEMO_PASSWORD',
      'NOVAFLOW_READER_PASSWORD',
      'NOVAFLOW_COMPUTE_URL',
    ];
    for (const [name, s] of novaflow)
      for (const key of Object.keys(s.environment ?? {}))
        expect([name, key, known.has(key) || FOREIGN.test(key) || seeds.includes(key)]).toEqual([
          name,
          key,
          true,
        ]);
  });

  it('then the control and admission workers preload jemalloc, which the image installs (and only they do)', () => {
    expect(compose.services.control.environment?.LD_PRELOAD).toBe('libjemalloc.so.2');
    expect(compose.services.admission.environment?.LD_PRELOAD).toBe('libjemalloc.so.2');
    expect(read('Dockerfile')).toMatch(/apt-get install [^\n]*libjemalloc2/);
    const preloading = novaflow.filter(([, s]) => s.environment?.LD_PRELOAD).map(([name]) => name);
    expect(preloading.sort()).toEqual(['admission', 'control']);
  });

  it("then those workers run with V8's flags as npm start and the bench do (scripts/allocator.ts)", () => {
    for (const name of ['admission', 'control']) {
      const s = compose.services[name];
      expect([name, s.command?.slice(1, -1)]).toEqual([name, WORKER_NODE_FLAGS]);
    }
  });

  it('then it runs the Temporal server npm run cluster builds, with the replicas and one-shot setup', () => {
    const version = TEMPORAL_SERVER_VERSION.replace(/^v/, '');
    expect(compose.services.temporal.image).toBe(`temporalio/server:${version}`);
    expect(compose.services['temporal-schema'].image).toBe(`temporalio/admin-tools:${version}`);
    expect(compose.services['temporal-ui'].image).toBe(
      `temporalio/ui:${UI_SERVER_VERSION.replace(/^v/, '')}`,
    );
    const s = compose.services as Record<string, any>;
    expect(s.admission.deploy.replicas).toBe(2);
    expect(s.control.deploy.replicas).toBe(2);
    expect(Object.keys(s).filter((k) => /^api(-\d)?$/.test(k))).toHaveLength(2);
    expect(Object.keys(s).filter((k) => k.startsWith('compute-'))).toHaveLength(3);
    // Workers start only once the namespace and search attributes are set up.
    for (const name of ['admission', 'control', 'compute-1', 'api'])
      expect(s[name].depends_on.setup.condition).toBe('service_completed_successfully');
    expect(s.setup.depends_on['temporal-namespace'].condition).toBe('service_completed_successfully');
    expect(s.temporal.depends_on['temporal-schema'].condition).toBe('service_completed_successfully');
  });

  it('then the dynamic config has what the current server needs and nothing it no longer knows', () => {
    const dc = YAML.parse(read('deploy/dynamicconfig.yaml')) as Record<string, unknown>;
    expect(dc['system.forceSearchAttributesCacheRefreshOnRead']).toEqual([{ value: true }]);
    expect(dc['frontend.enableExecuteMultiOperation']).toBeUndefined();
  });

  it('then the image is multi-stage, non-root, compiled, with a health check', () => {
    const docker = read('Dockerfile');
    expect(docker.match(/^FROM /gm)).toHaveLength(2);
    expect(docker).toMatch(/^USER node$/m);
    expect(docker).toMatch(/^HEALTHCHECK /m);
    expect(docker).toMatch(/npm run build/);
    expect(docker).toMatch(/npm prune --omit=dev/);
    expect(docker).toMatch(/NOVAFLOW_WORKFLOW_BUNDLE_DIR=/);
    expect(docker).not.toMatch(/tsx/);
  });
});
