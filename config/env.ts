import { z } from 'zod';

const num = (def: number) => z.coerce.number().finite().default(def);

/** Every setting of every process, read from the environment once and checked, so a typo fails fast. */
export const EnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_UI_URL: z.string().default('http://localhost:8233'),
  /** Loopback unless told otherwise: exposing the API is a decision (docker-compose makes it). */
  NOVAFLOW_API_HOST: z.string().default('127.0.0.1'),
  /** `keystone` (the default) validates tokens with Keystone; `noauth` trusts `user:project` tokens (development only). */
  NOVAFLOW_AUTH: z.enum(['keystone', 'noauth']).default('keystone'),
  KEYSTONE_URL: z.string().url().default('http://127.0.0.1:5000/v3'),
  /** novaflow's service user in Keystone, which validates callers' tokens. */
  NOVAFLOW_SERVICE_USER: z.string().default('novaflow'),
  NOVAFLOW_SERVICE_PASSWORD: z.string().optional(),
  NOVAFLOW_SERVICE_PROJECT: z.string().default('service'),
  /** How long a validated token is trusted before Keystone is asked again (a revoked token lives this long). */
  NOVAFLOW_TOKEN_CACHE_SECONDS: z.coerce.number().min(0).max(3600).default(300),
  /** A policy file (YAML, Nova's rule names) whose rules override the defaults. */
  NOVAFLOW_POLICY_FILE: z.string().optional(),
  NOVAFLOW_API_PORT: num(8774),
  NOVAFLOW_PUBLIC_URL: z.string().optional(),
  NOVAFLOW_HOST: z.string().default('compute-1'),
  NOVAFLOW_DRIVER: z.string().default('fake'),
  NOVAFLOW_AZ: z.string().default('nova'),
  /** A fleet process: this many fake hosts named `<NOVAFLOW_HOST>-0001`... on one worker (0: one host). */
  NOVAFLOW_FLEET_HOSTS: num(0),
  NOVAFLOW_FAKE_VCPUS: num(16),
  NOVAFLOW_FAKE_RAM_MB: num(32768),
  NOVAFLOW_FAKE_DISK_GB: num(500),
  NOVAFLOW_FAKE_SPAWN_MS: num(0),
  /** The qemu driver: where instances keep their files (default .data/qemu/<host>), the image cache, the accelerator. */
  NOVAFLOW_QEMU_STATE: z.string().optional(),
  NOVAFLOW_QEMU_IMAGES: z.string().optional(),
  NOVAFLOW_QEMU_ACCEL: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
  /** Where the images API keeps uploaded data (read by the extension itself; listed here for the record). */
  NOVAFLOW_IMAGE_STORE: z.string().optional(),
  /** How often a compute node compares its instances with what their servers say (power state, orphans). */
  NOVAFLOW_SYNC_MS: num(10_000),
  /** Prebuilt workflow bundles (scripts/bundle-workflows.ts): workers load them instead of bundling at start. */
  NOVAFLOW_WORKFLOW_BUNDLE_DIR: z.string().optional(),
  /** Port of a worker process's /healthz and /readyz (unset: none; the API serves its own on its port). */
  NOVAFLOW_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  NOVAFLOW_HEARTBEAT_MS: num(5000),
  NOVAFLOW_HOST_DOWN_AFTER_MS: num(20000),
  NOVAFLOW_CPU_ALLOCATION_RATIO: num(16),
  NOVAFLOW_RAM_ALLOCATION_RATIO: num(1.5),
  NOVAFLOW_DISK_ALLOCATION_RATIO: num(1),
  NOVAFLOW_WEIGHER: z.enum(['spread', 'pack']).default('spread'),
  NOVAFLOW_MAX_COUNT: num(1000),
  NOVAFLOW_EXTENSIONS: z.string().default('all'),
  /** Workflow tasks and activities the control worker runs at once (each); the rest wait in Temporal. */
  NOVAFLOW_CONTROL_CONCURRENCY: z.coerce.number().int().min(1).default(8),
  /** Workflows the control worker keeps in memory between their tasks (each costs memory; a miss a replay). */
  NOVAFLOW_CONTROL_CACHE: z.coerce.number().int().min(1).default(2000),
  /**
   * 1: workflow threads capture a stack for every promise, which the stack-trace query (the Web UI's
   * "Stack Trace") reads; ~20% of a worker's CPU, so off by default (read by the patched SDK, patches/).
   */
  NOVAFLOW_WORKFLOW_STACK_TRACES: z.enum(['0', '1']).default('0'),
  /** Workflows the admission worker keeps in memory (every host entity of a fleet; a miss a replay). */
  NOVAFLOW_ADMISSION_CACHE: z.coerce.number().int().min(1).default(2000),
  /** Niceness of the build-pipeline workers (control, compute): admission keeps the CPU in a burst. */
  NOVAFLOW_BUILD_NICE: z.coerce.number().int().min(0).max(19).default(10),
});

export type Env = z.infer<typeof EnvSchema>;

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new Error(`novaflow: bad configuration\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
