import { seedKeystone } from './keystone-seed';
import { loadExtensions } from '../extensions/registry';

/**
 * Seeds a Keystone someone else runs (the compose stack's) with novaflow's projects, users and compute
 * endpoint, from the environment; waits up to a minute for Keystone to answer first. Idempotent.
 */
async function main() {
  const need = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`novaflow: ${name} is required`);
    return value;
  };
  const url = need('KEYSTONE_URL').replace(/\/$/, '');
  const deadline = Date.now() + 60_000;
  while (
    !(await fetch(url)
      .then((r) => r.ok)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) throw new Error(`novaflow: Keystone at ${url} did not answer within 60 s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  await seedKeystone(
    {
      dir: '',
      port: 0,
      url,
      secrets: {
        admin: need('KEYSTONE_ADMIN_PASSWORD'),
        demo: need('NOVAFLOW_DEMO_PASSWORD'),
        reader: need('NOVAFLOW_READER_PASSWORD'),
        service: need('NOVAFLOW_SERVICE_PASSWORD'),
      },
    },
    need('NOVAFLOW_COMPUTE_URL'),
    loadExtensions(process.env.NOVAFLOW_EXTENSIONS ?? 'all').api.services.map((s) => ({
      type: s.type,
      name: s.name,
      url: need('NOVAFLOW_COMPUTE_URL').replace(/\/v2\.1\/?$/, '') + s.path,
    })),
  );
  console.log(`novaflow: Keystone at ${url} seeded (projects demo and service, compute endpoint)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
