/**
 * `npm run conformance`: Tempest's compute API tests against the running stack.
 *
 * Installs Tempest from the pinned conformance/requirements.txt into a virtualenv in .conformance/
 * (once), writes a tempest.conf for the stack `npm start` runs (Keystone auth with dynamic
 * credentials, the catalog's images, novaflow's maximum microversion, the features novaflow does not
 * offer switched off), runs the tests conformance/include.txt selects less those conformance/exclude.txt
 * names, and prints passed / failed / skipped with every failure and every skip reason. Exits 1 when a
 * test failed.
 *
 *   npm start                                  # in another terminal
 *   npm run conformance                        # the selection
 *   npm run conformance -- --regex test_list   # only tests matching a regex (of the selection)
 *
 * OS_CLIENT_CONFIG_FILE (default .data/clouds.yaml) and NOVAFLOW_CONFORMANCE_CLOUD (default
 * novaflow-admin) name the admin login Tempest creates its projects and users with.
 */
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const root = path.resolve(__dirname, '..');
const home = path.join(root, '.conformance');
const venv = path.join(home, 'venv');
const workspace = path.join(home, 'workspace');
const requirements = path.join(root, 'conformance', 'requirements.txt');

function die(message: string): never {
  console.error(`conformance: ${message}`);
  process.exit(2);
}

/** The virtualenv with Tempest, made again only when the pinned requirements change. */
function ensureTempest(): string {
  const stamp = path.join(venv, '.novaflow-requirements');
  const wanted = crypto.createHash('sha256').update(fs.readFileSync(requirements)).digest('hex');
  if (!(fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === wanted)) {
    console.log('conformance: installing Tempest into .conformance/venv (about a minute, once)');
    fs.rmSync(venv, { recursive: true, force: true });
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(
      path.join(venv, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', '-r', requirements],
      { stdio: 'inherit' },
    );
    fs.writeFileSync(stamp, wanted + '\n');
  }
  return path.join(venv, 'bin', 'tempest');
}

interface Cloud {
  auth: {
    auth_url: string;
    username: string;
    password: string;
    project_name: string;
    user_domain_name?: string;
    project_domain_name?: string;
  };
  region_name?: string;
}

function adminCloud(): Cloud {
  const file = process.env.OS_CLIENT_CONFIG_FILE ?? path.join(root, '.data', 'clouds.yaml');
  const name = process.env.NOVAFLOW_CONFORMANCE_CLOUD ?? 'novaflow-admin';
  if (!fs.existsSync(file)) die(`${file} is missing: start the stack first (npm start)`);
  const cloud = (YAML.parse(fs.readFileSync(file, 'utf8')) as { clouds?: Record<string, Cloud> }).clouds?.[
    name
  ];
  if (!cloud) die(`${file} has no cloud ${name}`);
  return cloud;
}

interface Catalog {
  token: string;
  endpoint(type: string): string | undefined;
}

async function login(cloud: Cloud): Promise<Catalog> {
  const { auth } = cloud;
  const res = await fetch(`${auth.auth_url.replace(/\/$/, '')}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: {
              name: auth.username,
              password: auth.password,
              domain: { name: auth.user_domain_name ?? 'Default' },
            },
          },
        },
        scope: {
          project: { name: auth.project_name, domain: { name: auth.project_domain_name ?? 'Default' } },
        },
      },
    }),
  }).catch((err: Error) =>
    die(`Keystone at ${auth.auth_url} is unreachable (${err.message}): is npm start running?`),
  );
  if (res.status !== 201) die(`Keystone refused the admin login: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as {
    token: { catalog: { type: string; endpoints: { interface: string; url: string }[] }[] };
  };
  return {
    token: res.headers.get('x-subject-token')!,
    endpoint: (type) =>
      body.token.catalog.find((s) => s.type === type)?.endpoints.find((e) => e.interface === 'public')?.url,
  };
}

async function getJson<T>(url: string, token: string): Promise<T> {
  const res = await fetch(url, { headers: { 'X-Auth-Token': token } });
  if (!res.ok) die(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function tempestConf(cloud: Cloud): Promise<string> {
  const catalog = await login(cloud);
  const compute = catalog.endpoint('compute') ?? die('the catalog has no compute service');
  const computeRoot = compute.replace(/\/v2(\.1)?(\/.*)?$/, '');
  const versions = await getJson<{ version: { version: string; min_version: string } }>(
    `${computeRoot}/v2.1`,
    catalog.token,
  );
  const image = catalog.endpoint('image');
  let images: string[] = [];
  if (image) {
    const list = await getJson<{
      images: { id: string; status: string; min_ram?: number; min_disk?: number }[];
    }>(`${image.replace(/\/$/, '')}/v2/images`, catalog.token);
    // Tempest boots both images with flavor_ref (m1.tiny: 512 MB, 1 GB): only images that fit it.
    images = list.images
      .filter((i) => i.status === 'active' && (i.min_ram ?? 0) <= 512 && (i.min_disk ?? 0) <= 1)
      .map((i) => i.id);
  }
  const imageRef = images[0] ?? '70a599e0-31e7-49b7-b260-868f441e862b';
  const network = catalog.endpoint('network');
  const { auth } = cloud;
  const sections: Record<string, Record<string, string | number | boolean>> = {
    DEFAULT: { log_file: path.join(workspace, 'tempest.log'), debug: true },
    auth: {
      use_dynamic_credentials: true,
      create_isolated_networks: false,
      admin_username: auth.username,
      admin_password: auth.password,
      admin_project_name: auth.project_name,
      admin_domain_name: auth.user_domain_name ?? 'Default',
      tempest_roles: 'member',
    },
    identity: {
      uri_v3: auth.auth_url,
      auth_version: 'v3',
      region: cloud.region_name ?? 'RegionOne',
      v3_endpoint_type: 'public',
      disable_ssl_certificate_validation: true,
    },
    'identity-feature-enabled': { api_v2: false, api_v3: true },
    compute: {
      image_ref: imageRef,
      image_ref_alt: images[1] ?? imageRef,
      flavor_ref: '1',
      flavor_ref_alt: '2',
      min_microversion: versions.version.min_version,
      max_microversion: versions.version.version,
      build_timeout: 120,
      build_interval: 1,
      endpoint_type: 'publicURL',
      region: cloud.region_name ?? 'RegionOne',
      min_compute_nodes: 2,
      ...(network ? { fixed_network_name: 'private' } : {}),
    },
    'compute-feature-enabled': {
      // What novaflow offers; everything else off (see the README's compatibility table).
      console_output: true,
      disk_config: false,
      change_password: false,
      resize: false,
      cold_migration: false,
      live_migration: false,
      live_migrate_back_and_forth: false,
      block_migration_for_live_migration: false,
      vnc_console: false,
      spice_console: false,
      serial_console: false,
      rdp_console: false,
      rescue: false,
      stable_rescue: false,
      suspend: false,
      pause: false,
      shelve: false,
      shelve_migrate: false,
      snapshot: false,
      interface_attach: false,
      personality: false,
      attach_encrypted_volume: false,
      config_drive: false,
      metadata_service: false,
      swap_volume: false,
      volume_multiattach: false,
      hostname_fqdn_sanitization: false,
      unified_limits: false,
      scheduler_enabled_filters: [
        'AvailabilityZoneFilter',
        'ComputeFilter',
        'ComputeCapabilitiesFilter',
        'ImagePropertiesFilter',
        'ServerGroupAntiAffinityFilter',
        'ServerGroupAffinityFilter',
        'SameHostFilter',
        'DifferentHostFilter',
        'AggregateMultiTenancyIsolation',
      ].join(','),
    },
    'image-feature-enabled': { api_v1: false, api_v2: true },
    service_available: {
      nova: true,
      glance: Boolean(image),
      neutron: Boolean(network),
      cinder: false,
      swift: false,
      heat: false,
      horizon: false,
      placement: false,
    },
    validation: { run_validation: false },
    'network-feature-enabled': { floating_ips: false, port_security: false },
  };
  return Object.entries(sections)
    .map(
      ([name, values]) =>
        `[${name}]\n` +
        Object.entries(values)
          .map(([k, v]) => `${k} = ${v}`)
          .join('\n'),
    )
    .join('\n\n')
    .concat('\n');
}

interface Outcome {
  passed: string[];
  failed: string[];
  skipped: { test: string; reason: string }[];
}

/** Reads tempest run's per-test lines: `{0} tempest.api....test_x [0.5s] ... ok|FAILED` and skips. */
function parse(output: string): Outcome {
  const outcome: Outcome = { passed: [], failed: [], skipped: [] };
  for (const line of output.split('\n')) {
    const m = /^\{\d+\} (.+?)(?:\[[^\]]*\])? (?:\[[\d.]+s\] )?\.\.\. (ok|FAILED|SKIPPED: ?(.*))$/.exec(
      line.trim(),
    );
    if (!m) continue;
    if (m[2] === 'ok') outcome.passed.push(m[1]);
    else if (m[2] === 'FAILED') outcome.failed.push(m[1]);
    else outcome.skipped.push({ test: m[1], reason: m[3] ?? '' });
  }
  return outcome;
}

async function main(): Promise<void> {
  const tempest = ensureTempest();
  const cloud = adminCloud();
  if (!fs.existsSync(path.join(workspace, 'etc'))) {
    fs.mkdirSync(home, { recursive: true });
    execFileSync(tempest, ['init', workspace], { stdio: 'inherit', cwd: home });
  }
  fs.writeFileSync(path.join(workspace, 'etc', 'tempest.conf'), await tempestConf(cloud));
  const args = ['run', '--concurrency', process.env.NOVAFLOW_CONFORMANCE_CONCURRENCY ?? '2'];
  const extra = process.argv.slice(2);
  if (extra.includes('--regex')) args.push(...extra);
  else
    args.push(
      '--include-list',
      path.join(root, 'conformance', 'include.txt'),
      '--exclude-list',
      path.join(root, 'conformance', 'exclude.txt'),
      ...extra,
    );
  console.log(`conformance: tempest ${args.join(' ')}`);
  const started = Date.now();
  let output = '';
  const code = await new Promise<number>((resolve) => {
    const child = spawn(tempest, args, { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr])
      stream.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        process.stdout.write(chunk);
      });
    child.on('close', (c) => resolve(c ?? 1));
  });
  fs.writeFileSync(path.join(home, 'last-run.txt'), output);
  const outcome = parse(output);
  const total = outcome.passed.length + outcome.failed.length + outcome.skipped.length;
  console.log('\n== conformance ==');
  for (const t of outcome.failed) console.log(`FAILED  ${t}`);
  const reasons = new Map<string, number>();
  for (const s of outcome.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
  for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1]))
    console.log(`skipped ${n} x  ${reason}`);
  console.log(
    `${total} tests: ${outcome.passed.length} passed, ${outcome.failed.length} failed, ` +
      `${outcome.skipped.length} skipped in ${((Date.now() - started) / 1000).toFixed(0)} s ` +
      `(tempest exit ${code}; log .conformance/workspace/tempest.log)`,
  );
  process.exit(outcome.failed.length > 0 || (code !== 0 && total === 0) ? 1 : 0);
}

void main();
