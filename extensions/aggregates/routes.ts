import { Router, type Request } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { atLeast, type ApiDeps } from '../../api/context';
import { parseBody } from '../../api/schemas/validate';
import { badRequest, notFound } from '../../common/errors';
import { listHostNames } from '../../entities/host/client';
import { changeAggregate, listAggregates } from './client';
import type { AggregateChange, AggregateRecord } from './messages';

const name = z.string().trim().min(1).max(255);
const zone = z.string().trim().min(1).max(255).nullable().optional();
export const Create = z.object({ aggregate: z.object({ name, availability_zone: zone }).strict() }).strict();
export const Update = z
  .object({ aggregate: z.object({ name: name.optional(), availability_zone: zone }).strict() })
  .strict();
const Host = z.object({ host: z.string().min(1).max(255) }).strict();
export const Action = z.union([
  z.object({ add_host: Host }).strict(),
  z.object({ remove_host: Host }).strict(),
  z
    .object({
      set_metadata: z
        .object({ metadata: z.record(z.string().min(1).max(255), z.string().max(255).nullable()) })
        .strict(),
    })
    .strict(),
]);

/** An aggregate's view: `uuid` from 2.41, as Nova adds it there. */
const shown = (req: Request, { uuid, ...a }: AggregateRecord) =>
  atLeast(req, 41)
    ? { ...a, uuid, deleted: false, deleted_at: null }
    : { ...a, deleted: false, deleted_at: null };
const full = (req: Request) => (a: AggregateRecord) => shown(req, a);
const brief = (req: Request, a: AggregateRecord) => {
  const { hosts: _h, metadata: _m, ...view } = shown(req, a);
  return view;
};

/** Nova's os-aggregates over the `aggregates` entity: admin only (see the extension's policies). */
export function aggregateRoutes(deps: ApiDeps): Router {
  const r = Router();
  const idOf = (req: Request) => {
    const id = Number(req.params.id);
    if (!Number.isInteger(id) || id < 1) throw notFound(`Aggregate ${req.params.id} could not be found.`);
    return id;
  };
  const change = async (c: AggregateChange) => (await changeAggregate(deps.client, c))!;

  r.get('/os-aggregates', async (req, res) => {
    res.json({ aggregates: (await listAggregates(deps.client)).map(full(req)) });
  });
  r.post('/os-aggregates', async (req, res) => {
    const { aggregate } = parseBody(Create, req.body);
    const created = await change({
      op: 'create',
      uuid: randomUUID(),
      name: aggregate.name,
      availability_zone: aggregate.availability_zone ?? null,
    });
    res.json({ aggregate: brief(req, created) });
  });
  r.get('/os-aggregates/:id', async (req, res) => {
    const id = idOf(req);
    const agg = (await listAggregates(deps.client)).find((a) => a.id === id);
    if (!agg) throw notFound(`Aggregate ${id} could not be found.`);
    res.json({ aggregate: full(req)(agg) });
  });
  r.put('/os-aggregates/:id', async (req, res) => {
    const { aggregate } = parseBody(Update, req.body);
    if (aggregate.name === undefined && aggregate.availability_zone === undefined)
      throw badRequest('Invalid input: name or availability_zone is required.');
    res.json({ aggregate: full(req)(await change({ op: 'update', id: idOf(req), ...aggregate })) });
  });
  r.delete('/os-aggregates/:id', async (req, res) => {
    await changeAggregate(deps.client, { op: 'delete', id: idOf(req) });
    res.status(200).end();
  });
  r.post('/os-aggregates/:id/action', async (req, res) => {
    const id = idOf(req);
    const action = parseBody(Action, req.body);
    let c: AggregateChange;
    if ('set_metadata' in action) c = { op: 'set_metadata', id, metadata: action.set_metadata.metadata };
    else {
      const op = 'add_host' in action ? 'add_host' : 'remove_host';
      const host = 'add_host' in action ? action.add_host.host : action.remove_host.host;
      if (op === 'add_host' && !(await listHostNames(deps.client)).includes(host))
        throw notFound(`Compute host ${host} could not be found.`);
      c = { op, id, host };
    }
    res.json({ aggregate: full(req)(await change(c)) });
  });
  return r;
}
