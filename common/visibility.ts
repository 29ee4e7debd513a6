/**
 * The one way to build a visibility query. Every value is checked against the shape its attribute
 * admits and then quoted, so a value can never end its literal and add clauses of its own: a filter
 * value a caller sends is data, whatever characters it holds.
 */

/** Attributes a query may name: the namespace's custom keyword attributes and Temporal's own. */
type Attribute = { readonly name: string } | 'ExecutionStatus' | 'WorkflowType' | 'TaskQueue';

/** A value the visibility language can carry as a literal: printable, no quote, no backslash. */
const LITERAL = /^[^\p{Cc}\p{Cf}'"`\\]{1,255}$/u;

/** Thrown when a value is not one any entity could carry; callers turn it into "nothing matches". */
export class UnsafeQueryValue extends Error {
  constructor(readonly value: string) {
    super('value cannot appear in a visibility query');
    this.name = 'UnsafeQueryValue';
  }
}

/** Whether `value` can be used in a query as it is (ids and names this system gives out always can). */
export function isQueryable(value: string): boolean {
  return LITERAL.test(value);
}

function literal(value: string): string {
  if (!isQueryable(value)) throw new UnsafeQueryValue(value);
  return `'${value}'`;
}

function nameOf(attr: Attribute): string {
  return typeof attr === 'string' ? attr : attr.name;
}

/** One clause: `attr = value`, `attr != value` or `attr IN (values)`. */
export interface Clause {
  readonly text: string;
}

export const eq = (attr: Attribute, value: string): Clause => ({
  text: `${nameOf(attr)} = ${literal(value)}`,
});
export const ne = (attr: Attribute, value: string): Clause => ({
  text: `${nameOf(attr)} != ${literal(value)}`,
});
export const oneOf = (attr: Attribute, values: readonly string[]): Clause => {
  if (values.length === 0) throw new UnsafeQueryValue('');
  return { text: `${nameOf(attr)} IN (${values.map(literal).join(', ')})` };
};

/** The clauses joined with AND; undefined entries (filters not given) are left out. */
export function visibilityQuery(...clauses: (Clause | undefined)[]): string {
  return clauses
    .filter((c): c is Clause => c !== undefined)
    .map((c) => c.text)
    .join(' AND ');
}
