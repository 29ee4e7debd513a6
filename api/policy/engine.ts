/**
 * Policy checks in oslo.policy's language, the one Nova's policy files use: `role:admin`,
 * `project_id:%(project_id)s`, `rule:other_rule`, `@` (always), `!` (never), combined with `and`,
 * `or`, `not` and parentheses. A rule is parsed once, when the policy is loaded, so a typo in a policy
 * file stops the API at start instead of failing requests.
 */

/** What a check reads of the caller (credentials) and of the thing acted on (target). */
export interface Credentials {
  roles: string[];
  user_id: string;
  project_id: string;
}
export type Target = Record<string, string | undefined>;

export type Check =
  | { kind: 'always' }
  | { kind: 'never' }
  | { kind: 'rule'; name: string }
  | { kind: 'role'; role: string }
  | { kind: 'match'; field: string; target?: string; literal?: string }
  | { kind: 'not'; check: Check }
  | { kind: 'and' | 'or'; checks: Check[] };

export class PolicySyntaxError extends Error {
  override name = 'PolicySyntaxError';
}

function tokenize(text: string): string[] {
  // A target reference `%(name)s` belongs to its check; other parentheses group.
  return (text.match(/[^\s()]*%\(\w+\)s|[()]|[^\s()]+/g) ?? []).map((t) =>
    /^(and|or|not)$/i.test(t) ? t.toLowerCase() : t,
  );
}

function leaf(token: string, source: string): Check {
  if (token === '@') return { kind: 'always' };
  if (token === '!') return { kind: 'never' };
  const colon = token.indexOf(':');
  if (colon <= 0) throw new PolicySyntaxError(`"${token}" is no check in "${source}"`);
  const kind = token.slice(0, colon);
  const value = token.slice(colon + 1);
  if (kind === 'rule') return { kind: 'rule', name: value };
  if (kind === 'role') return { kind: 'role', role: value.toLowerCase() };
  const ref = /^%\((\w+)\)s$/.exec(value);
  if (ref) return { kind: 'match', field: kind, target: ref[1] };
  return { kind: 'match', field: kind, literal: value.replace(/^'(.*)'$/, '$1') };
}

/** Parses one rule; an empty rule is `@`, as in oslo.policy. */
export function parseCheck(source: string): Check {
  const tokens = tokenize(source);
  if (tokens.length === 0) return { kind: 'always' };
  let i = 0;
  const peek = () => tokens[i];
  const expr = (): Check => {
    const parts = [term()];
    while (peek() === 'or') {
      i++;
      parts.push(term());
    }
    return parts.length === 1 ? parts[0] : { kind: 'or', checks: parts };
  };
  const term = (): Check => {
    const parts = [factor()];
    while (peek() === 'and') {
      i++;
      parts.push(factor());
    }
    return parts.length === 1 ? parts[0] : { kind: 'and', checks: parts };
  };
  const factor = (): Check => {
    const t = tokens[i++];
    if (t === undefined) throw new PolicySyntaxError(`"${source}" ends too early`);
    if (t === 'not') return { kind: 'not', check: factor() };
    if (t === '(') {
      const inner = expr();
      if (tokens[i++] !== ')') throw new PolicySyntaxError(`a "(" is not closed in "${source}"`);
      return inner;
    }
    if (t === ')' || t === 'and' || t === 'or')
      throw new PolicySyntaxError(`unexpected "${t}" in "${source}"`);
    return leaf(t, source);
  };
  const check = expr();
  if (i !== tokens.length) throw new PolicySyntaxError(`unexpected "${tokens[i]}" in "${source}"`);
  return check;
}

/** Evaluates a parsed check; `rules` resolves `rule:` references (an unknown one is false). */
export function evaluate(
  check: Check,
  creds: Credentials,
  target: Target,
  rules: (name: string) => Check | undefined,
  depth = 0,
): boolean {
  if (depth > 32) throw new PolicySyntaxError('rules refer to each other in a loop');
  const again = (c: Check) => evaluate(c, creds, target, rules, depth + 1);
  switch (check.kind) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'rule': {
      const named = rules(check.name);
      return named ? again(named) : false;
    }
    case 'role':
      return creds.roles.some((r) => r.toLowerCase() === check.role);
    case 'match': {
      const have = (creds as unknown as Record<string, unknown>)[check.field];
      const want = check.target !== undefined ? target[check.target] : check.literal;
      return want !== undefined && have !== undefined && String(have) === want;
    }
    case 'not':
      return !again(check.check);
    case 'and':
      return check.checks.every(again);
    case 'or':
      return check.checks.some(again);
  }
}
