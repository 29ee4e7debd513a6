import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporalConnectionOptions } from '../../common/temporal-connection';

describe("Temporal's connection settings", () => {
  it('then without any it is the given address in plain text', () => {
    const o = temporalConnectionOptions('localhost:7233', {});
    expect(o).toEqual({ address: 'localhost:7233' });
  });

  it('then an API key turns TLS on and goes with every call', () => {
    const o = temporalConnectionOptions('localhost:7233', {
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_API_KEY: 'secret-key',
    });
    expect(o.address).toBe('ns.acct.tmprl.cloud:7233');
    expect(o.apiKey).toBe('secret-key');
    expect(o.tls).toBeTruthy();
  });

  it('then a script that started its own server names it whatever the settings say', () => {
    const o = temporalConnectionOptions(
      '127.0.0.1:17233',
      { TEMPORAL_ADDRESS: 'elsewhere:7233' },
      '127.0.0.1:17233',
    );
    expect(o.address).toBe('127.0.0.1:17233');
  });

  it('then mTLS reads the CA, client certificate and key from files, with a server name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nf-tls-'));
    for (const f of ['ca.pem', 'client.pem', 'client.key'])
      fs.writeFileSync(path.join(dir, f), `-----${f}-----\n`);
    const o = temporalConnectionOptions('temporal:7233', {
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca.pem'),
      TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'client.key'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    expect(o.address).toBe('temporal:7233');
    const tls = o.tls as Record<string, any>;
    expect(tls.serverNameOverride).toBe('temporal.internal');
    expect(Buffer.from(tls.serverRootCACertificate).toString()).toContain('ca.pem');
    expect(Buffer.from(tls.clientCertPair.crt).toString()).toContain('client.pem');
    expect(Buffer.from(tls.clientCertPair.key).toString()).toContain('client.key');
    fs.rmSync(dir, { recursive: true });
  });
});
