import { RE2JS } from 're2js';
import { badRequest } from '../../common/errors';

/** Longest name filter taken: a server name is at most 255 characters too. */
const MAX_PATTERN = 255;
/**
 * Largest compiled pattern taken. Matching costs about the program's size times the name's length;
 * at this size one name takes well under a millisecond (`abc` is 5 instructions).
 */
const MAX_PROGRAM = 500;

/**
 * Nova's `name` list filter is a regular expression searched anywhere in the name. It is matched
 * with RE2 semantics (no backreferences or lookaround), which run in time linear in the name, so no
 * pattern can hold the API's one thread: `(a*)*b` against a long name costs what `a*b` does. The
 * compiled size is bounded too, and callers filter with `filterYielding`, so even a long list only
 * slows the request that asked.
 */
export function compileNameFilter(pattern: string): (name: string) => boolean {
  if (pattern.length > MAX_PATTERN) {
    throw badRequest(`Invalid name filter: longer than ${MAX_PATTERN} characters`);
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch {
    throw badRequest(`Invalid regular expression in name filter: ${pattern}`);
  }
  if (re.programSize() > MAX_PROGRAM) throw badRequest(`Invalid name filter: the expression is too complex`);
  return (name) => re.matcher(name).find();
}
