import { z } from 'zod';

/** Integer or digit string (`"2"`), at least 1: Nova accepts both for the counts. */
const count = z
  .union([
    z.number().int(),
    z
      .string()
      .regex(/^\s*\d+\s*$/, 'is not of type integer')
      .transform(Number),
  ])
  .pipe(z.number().int().min(1, 'must be >= 1'));

const TRUE = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE = ['0', 'f', 'false', 'off', 'n', 'no'];

/** Nova's loose boolean: true/false or any of its string spellings. */
export const looseBool = z.union([
  z.boolean(),
  z
    .string()
    .refine((s) => [...TRUE, ...FALSE].includes(s.toLowerCase()), 'is not a valid boolean')
    .transform((s) => TRUE.includes(s.toLowerCase())),
]);

const name = z
  .string()
  .min(1, 'is too short')
  .max(255, 'is too long')
  .refine((s) => s.trim() === s, 'has leading or trailing whitespace')
  .refine((s) => !/[\p{Cc}]/u.test(s), 'contains non-printable characters');

const uuid = z
  .string()
  .regex(
    /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/,
    "is not a 'uuid'",
  );

const network = z
  .object({
    uuid: uuid.optional(),
    port: uuid.optional(),
    fixed_ip: z.string().optional(),
    tag: z.string().optional(),
  })
  .strict();

/** An IPv6 address as Nova prints it (RFC 5952: lower case, zeros compressed, no dotted quad). */
export function canonicalIPv6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

const LABEL = '[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?';
/**
 * Nova's hostname (2.90): one DNS label; from 2.94 a fully qualified name (labels joined by dots, at
 * most 255 characters). Answers the problem, or undefined when it is valid.
 */
export function hostnameProblem(hostname: string, fqdnAllowed: boolean): string | undefined {
  const pattern = fqdnAllowed ? new RegExp(`^${LABEL}(\\.${LABEL})*\\.?$`) : new RegExp(`^${LABEL}$`);
  return pattern.test(hostname) && hostname.length <= 255
    ? undefined
    : `Invalid input for field/attribute hostname. Value: ${hostname.slice(0, 80)}. It is not a valid ${fqdnAllowed ? 'FQDN' : 'hostname'}.`;
}

/** Nova's tag: 1 to 60 characters, no '/' and no ','. */
export const serverTag = z
  .string()
  .min(1, 'is too short')
  .max(60, 'is too long')
  .regex(/^[^,/]*$/, "does not match '^[^,/]*$'");

/** The `server` object of `POST /servers`, core fields only; extensions add theirs with `extend`. */
export const coreServerFields = {
  name,
  imageRef: z.union([uuid, z.literal('')]).optional(),
  flavorRef: z.union([z.string().min(1, 'is too short'), z.number().int()]),
  min_count: count.optional(),
  max_count: count.optional(),
  return_reservation_id: looseBool.optional(),
  metadata: z
    .record(
      z.string().regex(/^[a-zA-Z0-9-_:. ]{1,255}$/, 'is not a valid metadata key'),
      z.string().max(255, 'is too long'),
    )
    .optional(),
  availability_zone: z.string().min(1).max(255).optional(),
  key_name: z.string().min(1).max(255).optional(),
  networks: z.union([z.array(network), z.enum(['auto', 'none'])]).optional(),
  user_data: z.base64('is not valid base64').max(65535, 'is too long').optional(),
  security_groups: z.array(z.object({ name: z.string().min(1) }).strict()).optional(),
  adminPass: z.string().optional(),
  'OS-DCF:diskConfig': z.enum(['AUTO', 'MANUAL']).optional(),
  config_drive: looseBool.optional(),
  description: z.string().max(255).nullable().optional(),
  block_device_mapping_v2: z.array(z.record(z.string(), z.unknown())).optional(),
  accessIPv4: z.ipv4().optional(),
  accessIPv6: z.ipv6().transform(canonicalIPv6).optional(),
  hostname: z.string().min(1).max(255).optional(),
  host: z.string().min(1).max(255).optional(),
  hypervisor_hostname: z.string().min(1).max(255).optional(),
  tags: z.array(serverTag).max(50, 'is too long').optional(),
};

/** Fields extensions add: inside `server`, or beside it at the top level of the body. */
export interface CreateSchemaParts {
  serverFields: Record<string, z.ZodType>;
  topLevelFields: Record<string, z.ZodType>;
}

/** The whole create body: core fields merged with the extensions' fields; anything else is a 400. */
export function createServerSchema(parts: CreateSchemaParts) {
  return z
    .object({
      server: z
        .object({
          ...coreServerFields,
          ...Object.fromEntries(Object.entries(parts.serverFields).map(([k, v]) => [k, v.optional()])),
        })
        .strict(),
      ...Object.fromEntries(Object.entries(parts.topLevelFields).map(([k, v]) => [k, v.optional()])),
    })
    .strict();
}

export type CreateServerBody = z.infer<ReturnType<typeof createServerSchema>>;
