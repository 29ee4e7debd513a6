import fs from 'node:fs';
import YAML from 'yaml';
import type { KeystoneHome } from './keystone';
import { passwordAuthBody } from '../common/keystone-auth';

/**
 * What novaflow puts into its Keystone, through Keystone's own REST API as the bootstrap admin, so it
 * works the same on the embedded one and on one you run: the projects, users and roles below, and the
 * `compute` service whose public, internal and admin endpoints are novaflow's API. Every step looks
 * first, so seeding again changes nothing (or moves the endpoints when the API's URL changed).
 */
export const ACCOUNTS = {
  admin: { user: 'admin', project: 'admin' },
  demo: { user: 'demo', project: 'demo', role: 'member' },
  reader: { user: 'demo-reader', project: 'demo', role: 'reader' },
  service: { user: 'novaflow', project: 'service', role: 'service' },
} as const;

export interface Login {
  user: string;
  password: string;
  project: string;
}

/** A project-scoped token by password (domain Default), and its body. */
/** What novaflow reads of a token body. */
export interface TokenBody {
  token: {
    expires_at: string;
    user: { id: string; name: string };
    project?: { id: string; name: string };
    roles: { name: string }[];
    catalog?: { type: string; endpoints: { interface: string; url: string; region_id: string }[] }[];
  };
}

export async function passwordToken(url: string, login: Login): Promise<{ token: string; body: TokenBody }> {
  const res = await fetch(`${url}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: passwordAuthBody(login),
  });
  if (res.status !== 201)
    throw new Error(`Keystone refused ${login.user}'s login: ${res.status} ${await res.text()}`);
  return { token: res.headers.get('x-subject-token')!, body: (await res.json()) as TokenBody };
}

async function call<T>(url: string, token: string, method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(url + p, {
    method,
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`Keystone ${method} ${p}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** The id of the named entity in a collection, created from `body` when there is none. */
async function ensure(
  url: string,
  token: string,
  kind: string,
  query: string,
  body: object,
): Promise<string> {
  const found = await call<Record<string, { id: string }[]>>(url, token, 'GET', `/${kind}s?${query}`);
  if (found[`${kind}s`].length > 0) return found[`${kind}s`][0].id;
  return (await call<Record<string, { id: string }>>(url, token, 'POST', `/${kind}s`, { [kind]: body }))[kind]
    .id;
}

/** A user with a role on a project (each made when missing), as the bootstrap admin. */
export async function addAccount(
  home: KeystoneHome,
  account: { user: string; project: string; role: string; password: string },
  adminToken?: string,
): Promise<void> {
  const { url } = home;
  const token =
    adminToken ?? (await passwordToken(url, { ...ACCOUNTS.admin, password: home.secrets.admin })).token;
  const named = (name: string) => `name=${encodeURIComponent(name)}`;
  const project = await ensure(url, token, 'project', named(account.project), {
    name: account.project,
    domain_id: 'default',
  });
  const user = await ensure(url, token, 'user', named(account.user), {
    name: account.user,
    password: account.password,
    domain_id: 'default',
    default_project_id: project,
  });
  const role = await ensure(url, token, 'role', named(account.role), { name: account.role });
  await call(url, token, 'PUT', `/projects/${project}/users/${user}/roles/${role}`);
}

/** A service an extension serves beside Nova's, for the catalog. */
export interface CatalogService {
  type: string;
  name: string;
  url: string;
}

export async function seedKeystone(
  home: KeystoneHome,
  computeUrl: string,
  services: CatalogService[] = [],
): Promise<void> {
  const { url, secrets } = home;
  const { token } = await passwordToken(url, { ...ACCOUNTS.admin, password: secrets.admin });
  for (const key of ['demo', 'reader', 'service'] as const) {
    await addAccount(home, { ...ACCOUNTS[key], password: secrets[key] }, token);
  }
  const catalog = [{ type: 'compute', name: 'nova', url: computeUrl }, ...services];
  for (const entry of catalog) {
    const service = await ensure(url, token, 'service', `type=${encodeURIComponent(entry.type)}`, {
      name: entry.name,
      type: entry.type,
      description: `novaflow (${entry.type})`,
    });
    const { endpoints } = await call<{ endpoints: { id: string; interface: string; url: string }[] }>(
      url,
      token,
      'GET',
      `/endpoints?service_id=${service}`,
    );
    for (const iface of ['public', 'internal', 'admin']) {
      const existing = endpoints.find((e) => e.interface === iface);
      if (!existing) {
        await call(url, token, 'POST', '/endpoints', {
          endpoint: { service_id: service, interface: iface, url: entry.url, region_id: 'RegionOne' },
        });
      } else if (existing.url !== entry.url) {
        await call(url, token, 'PATCH', `/endpoints/${existing.id}`, { endpoint: { url: entry.url } });
      }
    }
  }
}

/** clouds.yaml for the openstack CLI, openstacksdk and the novaflow CLI: one cloud per account. */
export function writeCloudsYaml(file: string, home: KeystoneHome): void {
  const cloud = (a: { user: string; project: string }, password: string) => ({
    auth: {
      auth_url: home.url,
      username: a.user,
      password,
      project_name: a.project,
      user_domain_name: 'Default',
      project_domain_name: 'Default',
    },
    region_name: 'RegionOne',
    identity_api_version: 3,
  });
  const clouds = {
    clouds: {
      novaflow: cloud(ACCOUNTS.demo, home.secrets.demo),
      'novaflow-reader': cloud(ACCOUNTS.reader, home.secrets.reader),
      'novaflow-admin': cloud(ACCOUNTS.admin, home.secrets.admin),
    },
  };
  fs.writeFileSync(file, `# Written by novaflow's npm start.\n${YAML.stringify(clouds)}`, { mode: 0o600 });
}
