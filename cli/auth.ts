import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { CliError, EXIT } from './http';
import { passwordAuthBody } from '../common/keystone-auth';

/**
 * How the CLI logs in, as every OpenStack client does: a cloud from clouds.yaml (`--os-cloud` or
 * OS_CLOUD), or the OS_* variables; it gets a token from Keystone and finds the compute endpoint in
 * the token's catalog. `--token`/NOVAFLOW_TOKEN (with `--url`/NOVAFLOW_URL) skip Keystone: a token you
 * already have, or `user:project` against an API in noauth development mode.
 */
export interface Session {
  url: string;
  token: string;
}

interface CloudAuth {
  auth_url?: string;
  username?: string;
  password?: string;
  project_name?: string;
  project_id?: string;
  user_domain_name?: string;
  project_domain_name?: string;
}

interface Cloud {
  auth?: CloudAuth;
  region_name?: string;
  interface?: string;
}

/** Where clouds.yaml is looked for, in the order openstacksdk uses. */
function cloudsFiles(env: NodeJS.ProcessEnv): string[] {
  if (env.OS_CLIENT_CONFIG_FILE) return [env.OS_CLIENT_CONFIG_FILE];
  return [
    path.join(process.cwd(), 'clouds.yaml'),
    path.join(os.homedir(), '.config', 'openstack', 'clouds.yaml'),
    '/etc/openstack/clouds.yaml',
  ];
}

function readCloud(name: string, env: NodeJS.ProcessEnv): Cloud {
  for (const file of cloudsFiles(env)) {
    if (!fs.existsSync(file)) continue;
    const clouds = (YAML.parse(fs.readFileSync(file, 'utf8')) as { clouds?: Record<string, Cloud> })?.clouds;
    if (clouds?.[name]) return clouds[name];
    throw new CliError(`cloud ${name} is not in ${file}`, EXIT.USAGE);
  }
  throw new CliError(`no clouds.yaml found (looked in ${cloudsFiles(env).join(', ')})`, EXIT.USAGE);
}

function fromEnv(env: NodeJS.ProcessEnv): Cloud {
  return {
    auth: {
      auth_url: env.OS_AUTH_URL,
      username: env.OS_USERNAME,
      password: env.OS_PASSWORD,
      project_name: env.OS_PROJECT_NAME,
      project_id: env.OS_PROJECT_ID,
      user_domain_name: env.OS_USER_DOMAIN_NAME,
      project_domain_name: env.OS_PROJECT_DOMAIN_NAME,
    },
    region_name: env.OS_REGION_NAME,
    interface: env.OS_INTERFACE,
  };
}

interface CatalogEntry {
  type: string;
  endpoints: { interface: string; region_id?: string; region?: string; url: string }[];
}

/** Logs in with a password and returns the token and the compute endpoint (its root, without /v2.1). */
async function login(cloud: Cloud): Promise<Session> {
  const a = cloud.auth ?? {};
  if (!a.auth_url || !a.username || !a.password || !(a.project_name || a.project_id)) {
    throw new CliError(
      'incomplete credentials: auth_url, username, password and a project are needed',
      EXIT.USAGE,
    );
  }
  const root = a.auth_url.replace(/\/$/, '');
  const authUrl = /\/v3$/.test(root) ? root : `${root}/v3`;
  let res: Response;
  try {
    res = await fetch(`${authUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: passwordAuthBody({
        user: a.username,
        password: a.password,
        userDomain: a.user_domain_name,
        project: a.project_name,
        projectId: a.project_id,
        projectDomain: a.project_domain_name,
      }),
    });
  } catch (err) {
    throw new CliError(`cannot reach Keystone at ${authUrl}: ${(err as Error).message}`, EXIT.UNREACHABLE);
  }
  if (res.status !== 201) {
    throw new CliError(
      `Keystone refused the login (${res.status}): check the user, password and project`,
      EXIT.API_ERROR,
    );
  }
  const token = res.headers.get('x-subject-token')!;
  const body = (await res.json()) as { token: { catalog?: CatalogEntry[] } };
  const iface = (cloud.interface ?? 'public').replace(/URL$/, '');
  const endpoint = (body.token.catalog ?? [])
    .filter((c) => c.type === 'compute')
    .flatMap((c) => c.endpoints)
    .find(
      (e) => e.interface === iface && (!cloud.region_name || (e.region_id ?? e.region) === cloud.region_name),
    );
  if (!endpoint) throw new CliError(`no ${iface} compute endpoint in Keystone's catalog`, EXIT.API_ERROR);
  return { token, url: endpoint.url.replace(/\/v2(\.1)?(\/[^/]*)?\/?$/, '') };
}

/** The session a command line asks for. */
export async function session(
  opts: { url?: string; token?: string; 'os-cloud'?: string },
  env: NodeJS.ProcessEnv,
  defaultUrl: string,
): Promise<Session> {
  const token = opts.token ?? env.NOVAFLOW_TOKEN;
  if (token) return { token, url: opts.url ?? env.NOVAFLOW_URL ?? defaultUrl };
  const cloudName = opts['os-cloud'] ?? env.OS_CLOUD;
  const cloud = cloudName ? readCloud(cloudName, env) : env.OS_AUTH_URL ? fromEnv(env) : undefined;
  if (!cloud) {
    throw new CliError(
      'no credentials: use --os-cloud NAME (or OS_CLOUD) with clouds.yaml, the OS_* variables, or --token',
      EXIT.USAGE,
    );
  }
  const found = await login(cloud);
  return { ...found, url: opts.url ?? found.url };
}
