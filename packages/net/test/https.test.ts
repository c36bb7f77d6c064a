import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { isCathedralError } from '@cathedral/sdk';
import { makeNet } from '../src/index.js';
import { text } from './_servers.js';

/** A self-signed certificate for the name `localhost` only (no IP address in it). */
const makeCert = () => {
  const dir = mkdtempSync(`${tmpdir()}/cathedral-tls-`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
  const pair = { key: readFileSync(`${dir}/key.pem`, 'utf8'), cert: readFileSync(`${dir}/cert.pem`, 'utf8') };
  rmSync(dir, { recursive: true, force: true });
  return pair;
};

test('https - the certificate is checked against the URL\'s name while the connection goes to the pinned address', async t => {
  const { key, cert } = makeCert();
  const hosts: string[] = [];
  const server = createServer({ key, cert }, (req, res) => {
    hosts.push(req.headers.host ?? '');
    res.end(`secure ${req.url ?? ''}`);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const lookups: string[] = [];
  const net = makeNet({ tls: { ca: cert }, lookup: async name => (lookups.push(name), name === 'localhost' ? ['127.0.0.1'] : []) });
  const cap = net.allow([`127.0.0.1:${port}`]);
  const res = await cap.fetch(`https://localhost:${port}/x`);
  t.is(text(res.body), 'secure /x');
  t.deepEqual(hosts, [`localhost:${port}`]);
  t.deepEqual(lookups, ['localhost']);
  // The same server by its IP: the certificate names no IP, so TLS refuses it.
  const error = await t.throwsAsync(cap.fetch(`https://127.0.0.1:${port}/x`));
  t.true(isCathedralError(error, 'IO'));
  t.regex(error.message, /ERR_TLS_CERT_ALTNAME_INVALID/);
  // Without the test CA, the system's authorities do not trust it.
  const untrusting = makeNet({ lookup: async () => ['127.0.0.1'] }).allow([`127.0.0.1:${port}`]);
  await t.throwsAsync(untrusting.fetch(`https://localhost:${port}/x`), { code: 'IO', message: /SELF_SIGNED|UNABLE_TO_VERIFY/ } as never);
  t.is(hosts.length, 1);
  net.end();
  await new Promise(resolve => server.close(resolve));
});
