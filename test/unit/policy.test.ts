import type { Request } from 'express';
import { CORE_RULES } from '../../api/policy/defaults';
import { parseCheck, PolicySyntaxError } from '../../api/policy/engine';
import { Policy } from '../../api/policy/enforce';
import type { Caller } from '../../common/types';
import { composeExtensions } from '../../extensions/compose';
import { BUILTIN_EXTENSIONS } from '../../extensions/registry';

const caller = (roles: string[], projectId = 'p1'): Caller => ({
  userId: 'u1',
  projectId,
  roles,
  isAdmin: roles.includes('admin'),
  requestId: 'req-unit',
});
const READER = caller(['reader']);
const MEMBER = caller(['member', 'reader']);
const ADMIN = caller(['admin', 'member', 'reader'], 'admin-project');
const policy = new Policy([...CORE_RULES, ...composeExtensions(BUILTIN_EXTENSIONS).api.policies]);
const req = (method: string, path: string, body?: unknown) => ({ method, path, body }) as unknown as Request;

describe('when policy checks are parsed (oslo.policy language)', () => {
  it('then and/or/not/parentheses, roles, rules and target matches are understood', () => {
    const rules = new Policy([
      { name: 'a', check: '(role:x or role:y) and not project_id:%(project_id)s', description: '' },
      { name: 'b', check: 'rule:a or user_id:u1', description: '' },
    ]);
    expect(rules.allows('a', caller(['x']), { project_id: 'other' })).toBe(true);
    expect(rules.allows('a', caller(['x']), { project_id: 'p1' })).toBe(false);
    expect(rules.allows('a', caller(['z']), { project_id: 'other' })).toBe(false);
    expect(rules.allows('b', caller([]))).toBe(true);
    expect(rules.allows('no-such-rule', ADMIN)).toBe(false);
  });

  it('then a malformed check is refused when the policy is loaded, not when a request comes', () => {
    for (const bad of ['role:a and', '(role:a', 'role:a )', 'nonsense', 'or role:a'])
      expect(() => parseCheck(bad)).toThrow(PolicySyntaxError);
    expect(() => new Policy(CORE_RULES, { 'os_compute_api:servers:create': 'role:admin and (' })).toThrow(
      PolicySyntaxError,
    );
  });
});

describe("when Nova's default rules are applied", () => {
  it('then a reader reads, a member also acts, and only an admin uses admin APIs', () => {
    expect(policy.allows('os_compute_api:servers:show', READER)).toBe(true);
    expect(policy.allows('os_compute_api:servers:create', READER)).toBe(false);
    expect(policy.allows('os_compute_api:servers:create', MEMBER)).toBe(true);
    expect(policy.allows('os_compute_api:os-services:list', MEMBER)).toBe(false);
    expect(policy.allows('os_compute_api:os-services:list', ADMIN)).toBe(true);
    expect(policy.allows('os_compute_api:os-quota-sets:show', MEMBER, { project_id: 'p2' })).toBe(false);
    expect(policy.allows('os_compute_api:os-quota-sets:show', ADMIN, { project_id: 'p2' })).toBe(true);
  });

  it('then a policy file overrides a rule without code', () => {
    const strict = new Policy(CORE_RULES, { 'os_compute_api:servers:create': 'role:admin' });
    expect(strict.allows('os_compute_api:servers:create', MEMBER)).toBe(false);
    expect(strict.allows('os_compute_api:servers:create', ADMIN)).toBe(true);
  });
});

describe('when a request is matched to its rule', () => {
  it('then every route and action of the core and built-in extensions has one, literal paths first', () => {
    const expected: [string, string, unknown, string][] = [
      ['GET', '/servers', undefined, 'os_compute_api:servers:index'],
      ['GET', '/servers/detail', undefined, 'os_compute_api:servers:detail'],
      ['GET', '/servers/abc', undefined, 'os_compute_api:servers:show'],
      ['POST', '/servers', {}, 'os_compute_api:servers:create'],
      ['DELETE', '/servers/abc', undefined, 'os_compute_api:servers:delete'],
      ['POST', '/servers/abc/action', { reboot: { type: 'SOFT' } }, 'os_compute_api:servers:reboot'],
      ['POST', '/servers/abc/action', { 'os-stop': null }, 'os_compute_api:servers:stop'],
      ['POST', '/servers/abc/action', { 'os-getConsoleOutput': {} }, 'os_compute_api:os-console-output'],
      ['GET', '/servers/abc/os-instance-actions', undefined, 'os_compute_api:os-instance-actions:list'],
      ['GET', '/servers/abc/os-instance-actions/req-1', undefined, 'os_compute_api:os-instance-actions:show'],
      ['GET', '/os-hypervisors/detail', undefined, 'os_compute_api:os-hypervisors:list-detail'],
      ['GET', '/os-hypervisors/h1/uptime', undefined, 'os_compute_api:os-hypervisors:uptime'],
      ['PUT', '/os-services/disable', {}, 'os_compute_api:os-services:update'],
      ['GET', '/os-server-groups/g1', undefined, 'os_compute_api:os-server-groups:show'],
      ['GET', '/os-reservations/r-1/events', undefined, 'novaflow:reservations:show'],
      ['GET', '/os-quota-sets/p2/defaults', undefined, 'os_compute_api:os-quota-sets:defaults'],
      [
        'POST',
        '/os-aggregates/3/action',
        { add_host: { host: 'h' } },
        'os_compute_api:os-aggregates:add_host',
      ],
      ['POST', '/os-aggregates/3/action', { set_metadata: {} }, 'os_compute_api:os-aggregates:set_metadata'],
      ['POST', '/os-keypairs', {}, 'os_compute_api:os-keypairs:create'],
      ['GET', '/v2/images/abc', undefined, 'get_image'],
    ];
    for (const [method, path, body, rule] of expected)
      expect(policy.ruleFor(req(method, path, body))?.rule).toBe(rule);
    expect(policy.ruleFor(req('GET', '/os-quota-sets/p2'))?.target).toEqual({ project_id: 'p2' });
  });

  it('then a request no rule guards has no rule (the API answers 404), and an unknown action is left to its route', () => {
    expect(policy.ruleFor(req('GET', '/os-secrets'))).toBeUndefined();
    expect(policy.ruleFor(req('PATCH', '/servers/abc'))).toBeUndefined();
    expect(policy.ruleFor(req('POST', '/servers/abc/action', { 'os-unknown': null }))?.rule).toBe('@');
  });
});
