import fs from 'node:fs';
import type { Request, RequestHandler } from 'express';
import YAML from 'yaml';
import { badRequest, forbidden, NovaError } from '../../common/errors';
import type { Caller } from '../../common/types';
import { ctx, setCtx } from '../context';
import { evaluate, parseCheck, PolicySyntaxError, type Check, type Target } from './engine';
import type { PolicyRule } from './defaults';
import { logger } from '../../common/observability/log';

interface Route {
  method: string;
  pattern: RegExp;
  params: string[];
  rule: string;
}

/** A path pattern compiled to a regular expression, with its parameters' names. */
function compile(path: string): { pattern: RegExp; params: string[] } {
  const params: string[] = [];
  const source = path.replace(/:(\w+)/g, (_m, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { pattern: new RegExp(`^${source}/?$`), params };
}

/**
 * The API's policy: every rule (defaults, then a policy file's overrides), and which request each
 * guards. The middleware checks every request under /v2.1 after authentication: a request no rule
 * guards is an unknown resource (404), so a route cannot be added without a rule.
 */
export class Policy {
  private readonly checks = new Map<string, Check>();
  private readonly routes: Route[] = [];
  /** Per resource that takes actions (`POST <on>/action`): its path, and each body key's rule. */
  private readonly actions = new Map<string, { pattern: RegExp; rules: Map<string, string> }>();

  constructor(rules: PolicyRule[], overrides: Record<string, string> = {}) {
    for (const rule of rules) {
      if (this.checks.has(rule.name))
        throw new PolicySyntaxError(`policy rule ${rule.name} is defined twice`);
      this.checks.set(rule.name, parseCheck(rule.check));
      for (const op of rule.operations ?? []) {
        if ('action' in op) {
          const on = op.on ?? '/servers/:id';
          if (!this.actions.has(on))
            this.actions.set(on, { pattern: compile(`${on}/action`).pattern, rules: new Map() });
          this.actions.get(on)!.rules.set(op.action, rule.name);
          continue;
        }
        this.routes.push({ method: op.method, ...compile(op.path), rule: rule.name });
      }
    }
    // Literal paths first: GET /servers/detail is not GET /servers/:id.
    this.routes.sort((a, b) => a.params.length - b.params.length);
    for (const [name, check] of Object.entries(overrides)) {
      if (!this.checks.has(name))
        logger('policy').warn({ rule: name }, 'policy file: rule is not a rule of this API');
      this.checks.set(name, parseCheck(check));
    }
  }

  /** Whether the caller may do what `rule` guards, on a target (by default their own project). */
  allows(rule: string, caller: Caller, target: Target = {}): boolean {
    const check = this.checks.get(rule);
    if (!check) return false;
    return evaluate(
      check,
      { roles: caller.roles, user_id: caller.userId, project_id: caller.projectId },
      { project_id: caller.projectId, user_id: caller.userId, ...target },
      (name) => this.checks.get(name),
    );
  }

  /** Nova's 403 when the caller may not. */
  enforce(rule: string, caller: Caller, target: Target = {}): void {
    if (!this.allows(rule, caller, target)) throw forbidden(`Policy doesn't allow ${rule} to be performed.`);
  }

  /** The rule guarding a request, and the target its path names. */
  ruleFor(req: Request): { rule: string; target: Target } | undefined {
    const path = req.path;
    const actions =
      req.method === 'POST' ? [...this.actions.values()].find((a) => a.pattern.test(path)) : undefined;
    if (actions) {
      const body = req.body as Record<string, unknown> | undefined;
      const keys = body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : [];
      const rule = keys.length === 1 ? actions.rules.get(keys[0]) : undefined;
      // An action nobody defines is the route's 400 ("There is no such action"): nothing to guard.
      return { rule: rule ?? '@', target: {} };
    }
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      const target: Target = {};
      route.params.forEach((name, i) => (target[name] = decodeSegment(m[i + 1])));
      // Only a project id in the path is a target of its own; other ids are checked by their owners.
      return { rule: route.rule, target: target.project_id ? { project_id: target.project_id } : {} };
    }
    return undefined;
  }

  middleware(): RequestHandler {
    return (req, _res, next) => {
      const found = this.ruleFor(req);
      if (!found) throw new NovaError('itemNotFound', 'Unknown resource.');
      const { caller } = ctx(req);
      if (found.rule !== '@') this.enforce(found.rule, caller, found.target);
      setCtx(req, {
        can: (rule, target) => this.allows(rule, caller, target),
        enforce: (rule, target) => this.enforce(rule, caller, target),
      });
      next();
    };
  }
}

/** A path segment as its route will read it; one that does not decode is the client's mistake. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest('Malformed request URL: a path segment is not valid percent-encoding');
  }
}

/** A policy file: YAML (or JSON) mapping rule names to checks, as Nova's policy.yaml does. */
export function readPolicyFile(file: string): Record<string, string> {
  const parsed: unknown = YAML.parse(fs.readFileSync(file, 'utf8')) ?? {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new PolicySyntaxError(`${file}: a policy file maps rule names to checks`);
  const out: Record<string, string> = {};
  for (const [name, check] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof check !== 'string')
      throw new PolicySyntaxError(`${file}: the check of ${name} is not a string`);
    out[name] = check;
  }
  return out;
}
