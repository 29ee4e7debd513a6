import { z } from 'zod';

const uuid = z
  .string()
  .regex(
    /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/,
    "is not a 'uuid'",
  );
/** A uuid or a list of them; the stage hook always sees a list. */
const uuidList = z.union([uuid, z.array(uuid)]).transform((v) => (Array.isArray(v) ? v : [v]));

/** Nova's scheduler hints: the ones we act on are checked, unknown ones are accepted and ignored. */
export const schedulerHintsSchema = z.looseObject({
  same_host: uuidList.optional(),
  different_host: uuidList.optional(),
  group: uuid.optional(),
});
