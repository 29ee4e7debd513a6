import { z } from 'zod';
import { ExtraSpec, ExtraSpecs, FlavorAction, FlavorCreate, FlavorUpdate } from '../routes/flavors';
import { QuotaClassUpdate, QuotaUpdate } from '../routes/quotas';
import { Meta, Metadata, Rename, Tags } from '../routes/server-metadata';
import { ACTIONS, LockBody, Rebuild, ResetState } from '../routes/server-actions';
import { ServiceBody, ServiceUpdate } from '../routes/services';
import { createServerSchema, type CreateSchemaParts } from '../schemas/create-server';
import type { Operation } from './types';

/** `POST /servers/{id}/action`: the core's actions (extensions add theirs, listed in their documents). */
const ServerAction = z.union([
  ...ACTIONS.options,
  z.object({ lock: LockBody }).strict(),
  z.object({ unlock: z.null() }).strict(),
  z.object({ 'os-resetState': ResetState }).strict(),
  z.object({ rebuild: Rebuild }).strict(),
  z.object({ injectNetworkInfo: z.null() }).strict(),
  z.object({ forceDelete: z.null() }).strict(),
  z.object({ restore: z.null() }).strict(),
]);

const ReservationAction = z.object({ retry: z.union([z.null(), z.object({}).loose()]) }).strict();

/** The core's operations; the create body is the core's fields plus those the extensions in force add. */
export function coreOperations(schema: CreateSchemaParts): Operation[] {
  const v = '/v2.1';
  return [
    { method: 'get', path: '/healthz', summary: 'Liveness probe', public: true, tag: 'probes' },
    {
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: Temporal and Keystone answer',
      public: true,
      tag: 'probes',
    },
    { method: 'get', path: '/metrics', summary: 'Prometheus metrics', public: true, tag: 'probes' },
    { method: 'get', path: '/openapi.json', summary: 'This document', public: true, tag: 'probes' },
    { method: 'get', path: '/', summary: 'API versions', public: true, tag: 'versions', status: 300 },
    { method: 'get', path: '/v2.1', summary: 'Version v2.1', public: true, tag: 'versions' },
    { method: 'get', path: '/v2.1/', summary: 'Version v2.1', public: true, tag: 'versions' },
    {
      method: 'get',
      path: '/v2',
      summary: 'Version v2.0 (the same API at 2.1)',
      public: true,
      tag: 'versions',
    },
    {
      method: 'get',
      path: '/v2/',
      summary: 'Version v2.0 (the same API at 2.1)',
      public: true,
      tag: 'versions',
    },
    { method: 'get', path: `${v}/extensions`, summary: 'List extensions' },
    { method: 'get', path: `${v}/extensions/:alias`, summary: 'Show an extension' },
    { method: 'get', path: `${v}/flavors`, summary: 'List flavors' },
    { method: 'get', path: `${v}/flavors/detail`, summary: 'List flavors with details' },
    { method: 'post', path: `${v}/flavors`, summary: 'Create a flavor', body: FlavorCreate },
    { method: 'get', path: `${v}/flavors/:id`, summary: 'Show a flavor' },
    { method: 'put', path: `${v}/flavors/:id`, summary: "Update a flavor's description", body: FlavorUpdate },
    { method: 'delete', path: `${v}/flavors/:id`, summary: 'Delete a flavor', status: 202 },
    { method: 'get', path: `${v}/flavors/:id/os-flavor-access`, summary: "List a private flavor's projects" },
    {
      method: 'post',
      path: `${v}/flavors/:id/action`,
      summary: 'Add or remove a project',
      body: FlavorAction,
    },
    { method: 'get', path: `${v}/flavors/:id/os-extra_specs`, summary: 'List extra specs' },
    {
      method: 'post',
      path: `${v}/flavors/:id/os-extra_specs`,
      summary: 'Create extra specs',
      body: ExtraSpecs,
    },
    { method: 'get', path: `${v}/flavors/:id/os-extra_specs/:key`, summary: 'Show an extra spec' },
    {
      method: 'put',
      path: `${v}/flavors/:id/os-extra_specs/:key`,
      summary: 'Update an extra spec',
      body: ExtraSpec,
    },
    { method: 'delete', path: `${v}/flavors/:id/os-extra_specs/:key`, summary: 'Delete an extra spec' },
    {
      method: 'post',
      path: `${v}/servers`,
      summary: 'Create one or more servers (a durable reservation workflow)',
      body: createServerSchema(schema),
      status: 202,
    },
    { method: 'get', path: `${v}/servers`, summary: 'List servers' },
    { method: 'get', path: `${v}/servers/detail`, summary: 'List servers with details' },
    { method: 'get', path: `${v}/servers/:id`, summary: 'Show a server' },
    { method: 'put', path: `${v}/servers/:id`, summary: 'Update a server', body: Rename },
    { method: 'delete', path: `${v}/servers/:id`, summary: 'Delete a server' },
    {
      method: 'post',
      path: `${v}/servers/:id/action`,
      summary: 'Run a server action',
      body: ServerAction,
      status: 202,
    },
    { method: 'get', path: `${v}/servers/:id/metadata`, summary: "List a server's metadata" },
    {
      method: 'put',
      path: `${v}/servers/:id/metadata`,
      summary: "Replace a server's metadata",
      body: Metadata,
    },
    {
      method: 'post',
      path: `${v}/servers/:id/metadata`,
      summary: "Update a server's metadata",
      body: Metadata,
    },
    { method: 'get', path: `${v}/servers/:id/metadata/:key`, summary: 'Show a metadata item' },
    { method: 'put', path: `${v}/servers/:id/metadata/:key`, summary: 'Set a metadata item', body: Meta },
    { method: 'delete', path: `${v}/servers/:id/metadata/:key`, summary: 'Delete a metadata item' },
    { method: 'get', path: `${v}/servers/:id/ips`, summary: "List a server's addresses" },
    {
      method: 'get',
      path: `${v}/servers/:id/ips/:network`,
      summary: "List a server's addresses on a network",
    },
    { method: 'get', path: `${v}/servers/:id/os-server-password`, summary: "Show a server's password" },
    { method: 'delete', path: `${v}/servers/:id/os-server-password`, summary: "Clear a server's password" },
    { method: 'get', path: `${v}/servers/:id/tags`, summary: "List a server's tags" },
    { method: 'put', path: `${v}/servers/:id/tags`, summary: "Replace a server's tags", body: Tags },
    { method: 'delete', path: `${v}/servers/:id/tags`, summary: "Delete a server's tags" },
    { method: 'get', path: `${v}/servers/:id/tags/:tag`, summary: 'Check a tag', status: 204 },
    { method: 'put', path: `${v}/servers/:id/tags/:tag`, summary: 'Add a tag', status: 201 },
    { method: 'delete', path: `${v}/servers/:id/tags/:tag`, summary: 'Delete a tag' },
    { method: 'get', path: `${v}/os-quota-sets/:project/defaults`, summary: 'Show the default quotas' },
    { method: 'get', path: `${v}/os-quota-class-sets/:class`, summary: 'Show a quota class' },
    {
      method: 'put',
      path: `${v}/os-quota-class-sets/:class`,
      summary: 'Update a quota class',
      body: QuotaClassUpdate,
    },
    {
      method: 'get',
      path: `${v}/os-quota-sets/:project/detail`,
      summary: "Show a project's quotas in detail",
    },
    { method: 'get', path: `${v}/os-quota-sets/:project`, summary: "Show a project's quotas" },
    {
      method: 'put',
      path: `${v}/os-quota-sets/:project`,
      summary: "Update a project's quotas",
      body: QuotaUpdate,
    },
    {
      method: 'delete',
      path: `${v}/os-quota-sets/:project`,
      summary: "Revert a project's quotas to defaults",
      status: 202,
    },
    { method: 'get', path: `${v}/limits`, summary: 'Show rate and absolute limits' },
    { method: 'get', path: `${v}/os-simple-tenant-usage`, summary: 'List usage of every project' },
    { method: 'get', path: `${v}/os-simple-tenant-usage/:project`, summary: "Show a project's usage" },
    { method: 'get', path: `${v}/servers/:id/os-instance-actions`, summary: "List a server's actions" },
    {
      method: 'get',
      path: `${v}/servers/:id/os-instance-actions/:requestId`,
      summary: 'Show an action and its events',
    },
    {
      method: 'get',
      path: `${v}/os-reservations/:id`,
      summary: 'Track a create request (JSON, or SSE with Accept: text/event-stream)',
    },
    { method: 'get', path: `${v}/os-reservations/:id/events`, summary: "A create request's stage events" },
    {
      method: 'post',
      path: `${v}/os-reservations/:id/action`,
      summary: "Retry a create request's failed servers",
      body: ReservationAction,
      status: 202,
    },
    {
      method: 'get',
      path: `${v}/os-workflows/:workflowId/history`,
      summary: "A workflow's history (operators)",
    },
    { method: 'get', path: `${v}/os-services`, summary: 'List compute services' },
    {
      method: 'put',
      path: `${v}/os-services/enable`,
      summary: 'Enable a service (before 2.53)',
      body: ServiceBody,
    },
    {
      method: 'put',
      path: `${v}/os-services/disable`,
      summary: 'Disable a service (before 2.53)',
      body: ServiceBody,
    },
    {
      method: 'put',
      path: `${v}/os-services/disable-log-reason`,
      summary: 'Disable a service with a reason (before 2.53)',
      body: ServiceBody,
    },
    { method: 'put', path: `${v}/os-services/:id`, summary: 'Update a service (2.53)', body: ServiceUpdate },
  ];
}
