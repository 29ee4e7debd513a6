/* global setInterval, clearInterval */
// The "operating system" inside a process-driver instance. It needs no network and no disk: it prints
// its boot lines, a login prompt the driver takes as "booted", then a heartbeat line every second.
const [name = 'instance', imageRef = 'unknown'] = process.argv.slice(2);

const log = (line) => process.stdout.write(`[${new Date().toISOString()}] ${line}\n`);

log(`novaflow guest ${name} booting from image ${imageRef} (pid ${process.pid})`);
// Its config drive: what the create checks captured and the build steps prepared (the image, keys, addresses).
let config = {};
try {
  config = JSON.parse(process.env.NOVAFLOW_GUEST_CONFIG || '{}');
} catch {
  log('config drive unreadable');
}
for (const [step, data] of Object.entries(config)) log(`config-drive ${step}: ${JSON.stringify(data)}`);
// What it boots is what its image describes: the distribution it announces, its interfaces, its keys.
const image = config.images;
if (image) {
  const p = image.properties || {};
  log(
    `Welcome to ${image.name}${p.os_distro ? ` (${[p.os_distro, p.architecture].filter(Boolean).join(' ')})` : ''}`,
  );
}
for (const nic of config.networks?.interfaces ?? [])
  log(`eth: ${nic.address}/${String(nic.cidr).split('/')[1]} ${nic.mac}`);
if (config.keypairs)
  log(`ssh: authorized key ${config.keypairs.name ?? ''} ${config.keypairs.fingerprint ?? ''}`.trim());
log(`${name} login:`);

let beats = 0;
const timer = setInterval(() => log(`heartbeat ${++beats}`), 1000);

const stop = (why) => {
  clearInterval(timer);
  log(`${name} shutting down (${why})`);
  process.exit(0);
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
// The driver holds the other end of stdin: when the compute node dies, however abruptly, the pipe
// closes and the guest goes with it instead of living on as an orphan.
process.stdin.on('end', () => stop('host gone'));
process.stdin.resume();
