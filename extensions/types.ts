import type { Client } from '@temporalio/client';
import type { Request, Router } from 'express';
import type { ZodType } from 'zod';
import type { FilterFactory } from '../activities/control';
import type { ApiDeps } from '../api/context';
import type { PolicyRule } from '../api/policy/defaults';
import type { Caller } from '../common/types';
import type { CreateRequest } from '../entities/reservation/types';
import type { BuildStepRef } from '../entities/reservation/stages';
import type { ServerMemoView } from '../entities/server/rules';
import type { DriverCapability, VirtDriver } from '../drivers/driver';
import type { Operation } from '../api/openapi/types';

/**
 * The extension contract: everything an extension may hook into, in one module the API, the workers
 * and the extensions all import (it imports nothing of theirs but types of their inputs).
 */

/** Adds attributes to a server view. */
export type ViewDecorator = (req: Request, server: ServerMemoView, view: Record<string, unknown>) => void;

/**
 * An extension's check of a create request that needs I/O; it throws a NovaError to refuse. It may
 * answer what it found for the guest (the image's description, the key pair's public key), captured
 * with the request as Nova captures them at the API: the driver gets it in `InstanceSpec.guest`,
 * under the name the extension chose, with no work at build time.
 */
export type CreateValidator = (
  deps: ApiDeps,
  caller: Caller,
  request: CreateRequest,
) => Promise<void | {
  /** What the check found for the guest (the driver gets it), by name; kept out of views. */
  guest?: Record<string, Record<string, unknown>>;
  /** What the check found that the server's views show (a decorator reads `server.shown`), by name. */
  shown?: Record<string, Record<string, unknown>>;
}>;

/** What an extension's server action answers; the core writes it (no body for 202/204). */
export interface ServerActionResult {
  status: number;
  body?: unknown;
}

/**
 * An extension's handler of one `POST /servers/{id}/action` key. It gets the value under its key and
 * returns the answer rather than writing it, like Nova's `@wsgi.action` methods: the core renders
 * results and errors in one place, and a handler cannot leave a request unanswered. A NovaError it
 * throws becomes the fault body.
 */
export type ServerActionHandler = (
  deps: ApiDeps,
  req: Request,
  serverId: string,
  input: unknown,
) => Promise<ServerActionResult>;

/**
 * A whole API of its own that an extension serves beside Nova's (a Glance-compatible image API), at
 * a path under the API's root, and registered in Keystone's catalog under its service type. The core
 * answers `versions` at its root without a token, then authenticates and checks policy (the
 * extension's `policies`, matched on paths below `path`) before its routes, which parse their own
 * bodies (an upload is not JSON).
 */
export interface ExtensionService {
  /** Keystone catalog service type and name (`image`, `glance`). */
  type: string;
  name: string;
  /** Where it is served, e.g. `/image`; its catalog endpoint is the API's public URL plus this. */
  path: string;
  routes: (deps: ApiDeps) => Router;
  /** The version document at its root, for clients' version discovery; `baseUrl` ends with `path`. */
  versions?: (baseUrl: string) => unknown;
}

/**
 * A step of every build (see `buildSteps`). `appliesTo`, asked by the API when it admits a request,
 * leaves the step out of that request's builds (a key pair step without `key_name`), so a server
 * runs only the activities that concern it.
 */
export interface BuildStep extends BuildStepRef {
  appliesTo?: (request: CreateRequest) => boolean;
}

/** Nova's extension descriptor, as `GET /v2.1/extensions` lists it. */
export interface ExtensionDescriptor {
  name: string;
  alias: string;
  description: string;
  /** ISO timestamp of the extension's last change. */
  updated: string;
  namespace?: string;
}

type ActivityMap = Record<string, (...args: never[]) => Promise<unknown>>;

/**
 * One extension: a descriptor plus any of the hooks below. Hooks are merged like Temporal plugins:
 * activities and fields are added, routes and decorators and interceptor modules are appended.
 */
export interface NovaExtension {
  descriptor: ExtensionDescriptor;
  api?: {
    /** Routes mounted under /v2.1 (after authentication). */
    routes?: (deps: ApiDeps) => Router;
    /** Fields this extension adds inside `server` of the create body. */
    serverFields?: Record<string, ZodType>;
    /** Fields this extension adds at the top level of the create body. */
    topLevelFields?: Record<string, ZodType>;
    /** Attributes it adds to server views. */
    decorators?: ViewDecorator[];
    /** First path segments under /v2.1 its routes own (so they are not read as a project id). */
    collections?: string[];
    /**
     * The query parameters each of its GET routes takes (`/os-keypairs`: ['user_id', ...]), by route
     * path (`:name` is one segment): from 2.102 any other is a 400, as Nova answers.
     */
    queryParams?: Record<string, string[]>;
    /** Checks a create that needs I/O (does a referenced group exist?); throws a NovaError to refuse it. */
    validateCreate?: CreateValidator;
    /**
     * Actions it adds to `POST /servers/{id}/action`, by body key (`os-getConsoleOutput`). Without
     * the extension the key is a 400 "There is no such action"; a core action's key is refused.
     */
    serverActions?: Record<string, ServerActionHandler>;
    /**
     * The policy rules of its routes and actions (Nova's names where Nova has the rule), with their
     * default checks; a policy file overrides them like the core's. A route no rule guards is a 404.
     */
    policies?: PolicyRule[];
    /** APIs of their own it serves beside Nova's, each registered in Keystone's catalog. */
    services?: ExtensionService[];
    /**
     * Every route it serves (under /v2.1, and its services' under their paths), with the zod schema
     * of each body, for the API's OpenAPI document: a route served without one fails the check.
     */
    operations?: Operation[];
  };
  control?: {
    /** Activities for the control worker (task queue `novaflow`). */
    activities?: (deps: { client: Client }) => ActivityMap;
    /** Scheduler filters by name, used by the FilterSpecs its stage hook adds. */
    filters?: Record<string, FilterFactory>;
  };
  compute?: {
    /** Activities for every compute node, built with that node's driver. */
    activities?: (deps: { driver: VirtDriver; host: string }) => ActivityMap;
  };
  /**
   * Workflow interceptor modules (absolute paths), bundled into the workflow code. They act only in
   * workflows whose captured extension set names this extension's alias.
   */
  workflowModules?: string[];
  /**
   * Modules (absolute paths) whose exported functions are workflow types this extension starts, such
   * as a short workflow that runs one activity on a host's queue. They are re-exported from the
   * bundle's entry next to the core workflows (see `workflowEntry`); name them so they cannot clash.
   */
  workflowTypes?: string[];
  /**
   * Workflow types (of `workflowTypes`) of its entities that run on the admission queue
   * (`ADMISSION_TASK_QUEUE`): those a build step or another local activity waits on, such as an
   * address pool. A local activity holds its workflow task's slot on the control worker while it
   * waits; an entity on the control queue could then starve for slots. The entity starts on that
   * queue and continues as new on it; runs an older release left on the control queue are moved when
   * the admission worker starts.
   */
  admissionEntities?: string[];
  /**
   * Steps it adds to every server's build, run by the server entity in declaration order: `prepare`
   * (a control activity, by name; a local activity within the server's workflow task, so what it
   * waits on must run on the admission queue: `admissionEntities`) before each spawn attempt, once the host is known — allocate an
   * address, fetch a key — and `release` (also by name) after a failed attempt (before the next
   * host), when the build fails, and when the server is deleted. `prepare` answers what the driver
   * hands the guest and what views show (`PrepareStepInput`/`PrepareStepResult`); a failure of
   * `prepare` aborts the build. Both must be idempotent per server: they are retried, and `release`
   * may run for a `prepare` that never finished.
   */
  buildSteps?: BuildStep[];
  /** Driver capabilities it relies on; a driver without them answers 501 for its calls. */
  requires?: DriverCapability[];
}
