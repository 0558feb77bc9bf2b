/**
 * `npm run image:test-mirror` (as root): `npm run image` on a machine whose npm and apt reach their
 * packages only through a mirror of the machine's own choosing, trusted by a private CA (issue 29: a
 * company proxy, a private registry). The mirror is this script: HTTPS on 127.0.0.1 with a CA made here,
 * passing npm's requests on to the registry this machine's npm uses, and apt's to the Debian mirror its
 * apt uses. Both are set only where a machine's admin sets them: npm's configuration (registry, cafile,
 * and an empty cache, as a fresh machine has) and apt's (an APT_CONFIG file naming the mirror as the
 * Debian source and the CA as Acquire::https::CaInfo). The build must pass, with every npm package and
 * every Debian package fetched through the mirror.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCa, makeServerCert } from '../test/support/certificates.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const say = (line: string) => console.log(`image:test-mirror: ${line}`);
const fail = (line: string): never => {
  console.error(`image:test-mirror: FAILED: ${line}`);
  process.exit(1);
};

if (process.getuid?.() !== 0) fail('run as root (npm run image needs it): sudo npm run image:test-mirror');

// Where this machine itself fetches from: its npm's registry (and the CA it trusts for it), its apt's
// Debian and security mirrors.
const npmConfig = (name: string) =>
  execFileSync('npm', ['config', 'get', name], { encoding: 'utf8', cwd: REPO }).trim();
const upstreamNpm = npmConfig('registry').replace(/\/?$/, '/');
const npmCaFile = npmConfig('cafile');
const npmCa = npmCaFile !== '' && npmCaFile !== 'null' ? readFileSync(npmCaFile, 'utf8') : undefined;
const hostApt = (suite: string) =>
  execFileSync(
    'apt-get',
    [
      'indextargets',
      '--no-release-info',
      '--format',
      '$(REPO_URI)',
      'Identifier: Packages',
      `Release: ${suite}`,
    ],
    { encoding: 'utf8' },
  )
    .split('\n')[0]!
    .trim();
const upstreamDebian = hostApt('bookworm');
const upstreamSecurity = hostApt('bookworm-security');
if (upstreamDebian === '') fail("this machine's apt has no source for bookworm");

// npm at the root: npm puts its registry's origin, not its path, in place of registry.npmjs.org in the
// lock file's URLs (replace-registry-host).
const routes: { prefix: string; upstream: string }[] = [
  { prefix: '/debian/', upstream: upstreamDebian.replace(/\/?$/, '/') },
  ...(upstreamSecurity === ''
    ? []
    : [{ prefix: '/debian-security/', upstream: upstreamSecurity.replace(/\/?$/, '/') }]),
  { prefix: '/', upstream: upstreamNpm },
];
const counts = new Map<string, number>(routes.map((route) => [route.prefix, 0]));

const dir = mkdtempSync(join(tmpdir(), 'lampfield-mirror-'));
const ca = makeCa('lampfield image test private mirror CA');
const cert = makeServerCert(ca, ['IP:127.0.0.1']);
// apt fetches as its own user (_apt): the CA certificate must be readable to it, as one an admin
// installs is (its key stays the test's own).
chmodSync(ca.dir, 0o711);
chmodSync(ca.cert, 0o644);
const mirror = https.createServer(
  { cert: readFileSync(cert.cert), key: readFileSync(cert.key) },
  (request, response) => {
    const path = request.url ?? '/';
    const route = routes.find((each) => path.startsWith(each.prefix));
    if (route == null) {
      response.writeHead(404).end();
      return;
    }
    counts.set(route.prefix, (counts.get(route.prefix) ?? 0) + 1);
    const target = new URL(path.slice(route.prefix.length), route.upstream);
    const headers = { ...request.headers, host: target.host };
    const client = target.protocol === 'https:' ? https : http;
    const onward = client.request(
      target,
      {
        method: request.method,
        headers,
        ...(target.protocol === 'https:' && npmCa != null ? { ca: npmCa } : {}),
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    onward.on('error', (error) => {
      if (!response.headersSent) response.writeHead(502);
      response.end(String(error));
    });
    request.pipe(onward);
  },
);
await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
const base = `https://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
say(`the mirror at ${base}: ${routes.map((route) => `${route.prefix} → ${route.upstream}`).join(', ')}`);

// apt: the mirror as the only Debian source, its CA the only one trusted for it.
const aptDir = join(dir, 'apt');
mkdirSync(join(aptDir, 'sources.list.d'), { recursive: true });
writeFileSync(
  join(aptDir, 'sources.list'),
  [
    `deb ${base}/debian/ bookworm main non-free-firmware`,
    `deb ${base}/debian/ bookworm-updates main non-free-firmware`,
    ...(upstreamSecurity === ''
      ? []
      : [`deb ${base}/debian-security/ bookworm-security main non-free-firmware`]),
    '',
  ].join('\n'),
);
writeFileSync(
  join(aptDir, 'apt.conf'),
  [
    `Dir::Etc::sourcelist "${join(aptDir, 'sources.list')}";`,
    `Dir::Etc::sourceparts "${join(aptDir, 'sources.list.d')}";`,
    `Acquire::https::CaInfo "${ca.cert}";`,
    '',
  ].join('\n'),
);

const started = Date.now();
const build = spawn('bash', [join(REPO, 'image', 'build.sh')], {
  cwd: REPO,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: {
    ...process.env,
    APT_CONFIG: join(aptDir, 'apt.conf'),
    npm_config_registry: `${base}/`,
    npm_config_cafile: ca.cert,
    npm_config_cache: join(dir, 'npm-cache'),
  },
});
const code = await new Promise<number>((resolve) => build.on('exit', (exit) => resolve(exit ?? 1)));
mirror.closeAllConnections();
mirror.close();
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const through = [...counts].map(([prefix, count]) => `${prefix} ${count}`).join(', ');
rmSync(dir, { recursive: true, force: true });
rmSync(ca.dir, { recursive: true, force: true });
if (code !== 0)
  fail(`npm run image exited ${code} after ${minutes} min (requests through the mirror: ${through})`);
if ((counts.get('/') ?? 0) === 0 || (counts.get('/debian/') ?? 0) === 0)
  fail(`the build passed, but not through the mirror: ${through}`);
say(`passed: npm run image built through the mirror in ${minutes} min; requests through it: ${through}`);
process.exit(0);
