/**
 * `npm run image:test`: the SD-card image of `npm run image`, tested on this machine without a Pi.
 *
 * 1. Its root file system, copied out of the image (debugfs), in a qemu-user chroot: Node runs, every
 *    native module lampfield ships loads for arm64, `lampfield doctor` runs.
 * 2. The image booted in qemu-system-aarch64 -M virt (TCG emulation) as the Pi boots it after its
 *    firmware: U-Boot (Debian's u-boot-qemu for the virt board) runs the image's boot.scr, which loads
 *    the kernel and initrd from its root file system; the image is the disk, made 512 MB larger as a bigger card is: a
 *    `lampfield.yaml` written onto the boot partition names the host's Kamailio (10.0.2.2 from inside
 *    qemu's user network). Checked on the serial console and over the network: first boot grew the root
 *    and named the Pi, lampfield.service started, read that lampfield.yaml, subscribed, got the PBX's
 *    NOTIFY (key 1 idle on the status page, which answers through a forwarded port), no unit failed.
 * 3. Provisioning (README "Many panels"): the card's lampfield.yaml says `provision: { url: dhcp }`, qemu's
 *    DHCP server names the provisioning server in option 66 (`tftp-server-name`), an HTTPS server on
 *    the host with a CA of the test's own (on the card as provision.ca) serves the panel's file: its key
 *    2 on the page; a changed file applied on `systemctl reload lampfield`; a broken one refused, said in
 *    the journal, the keys kept; the power cut (qemu killed) and the server gone, the next boot starts
 *    from the copy kept on the data partition.
 * 4. Updates (README "Updating"): bundles signed with the build's development key, copied in over SSH
 *    and installed by `lampfield update`: v2 into slot B and rebooted into (kept once lampfield is
 *    watching); v3, whose lampfield exits at once, into slot A (marked bad after 2 minutes, the card back
 *    on v2 by itself); a power cut during an install (the card starts the slot it ran); an update the
 *    provisioning server's file asks for (`update:`), fetched, installed and rebooted into by lampfield
 *    itself, once.
 *
 * Prints how long each step took. Needs root only for the chroot (step 1 is skipped otherwise).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { makeCa, makeServerCert } from '../test/support/certificates.ts';
import { Kamailio } from '../test/support/kamailio.ts';
import { freePort } from '../test/support/ports.ts';
import { startProcess, stopProcess, type Started } from '../test/support/processes.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO = join(HERE, '..');
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const IMAGE = join(HERE, 'out', `lampfield-${VERSION}-arm64.img`);
/** Where the boot partition starts in the image (image/build.sh). */
const BOOT_OFFSET = '4M';
const BOOT_TIMEOUT_MS = 15 * 60_000;
const TOKEN = 'image-test-token-0123456789';
const execFileAsync = promisify(execFile);
const CONSOLE_LOG = join(tmpdir(), 'lampfield-image-test-console.log');

const started = Date.now();
const seconds = (from = started) => ((Date.now() - from) / 1000).toFixed(0);
const say = (line: string) => console.log(`image:test: ${line} (${seconds()} s)`);
/** A failed check: thrown, so that the `finally` below stops qemu and Kamailio before the exit. */
class ImageTestFailure extends Error {}
const fail = (line: string): never => {
  throw new ImageTestFailure(line);
};
const run = (command: string, args: string[]) => execFileSync(command, args, { encoding: 'utf8' });

if (!existsSync(IMAGE)) {
  console.error(`image:test: FAILED: no image at ${IMAGE}; make it first with npm run image (as root)`);
  process.exit(1);
}
execFileSync(
  'bash',
  [
    join(REPO, 'scripts/ensure-debian-packages.sh'),
    join(HERE, 'host-packages.txt'),
    'npm run image:test needs',
  ],
  { stdio: 'inherit' },
);
execFileSync('bash', [join(REPO, 'scripts/ensure-debian-packages.sh')], { stdio: 'inherit' });

const work = mkdtempSync(join(tmpdir(), 'lampfield-image-test-'));
const disk = join(work, 'card.img');
let kamailio: Kamailio | null = null;
let qemu: Started | null = null;
let provisioning: https.Server | null = null;
try {
  // The boot partition's files, read with mtools straight from the image file.
  const fat = `${IMAGE}@@${BOOT_OFFSET}`;
  const bootFiles = run('mdir', ['-b', '-i', fat, '::/']).split('\n');
  for (const name of ['u-boot.bin', 'boot.scr', 'lampfield-boot.txt', 'lampfield.yaml', 'config.txt'])
    if (!bootFiles.includes(`::/${name}`)) fail(`no ${name} on the boot partition: ${bootFiles.join(' ')}`);
  for (const name of ['config.txt', 'lampfield.yaml'])
    run('mcopy', ['-n', '-i', fat, `::/${name}`, join(work, name)]);
  const kernelLine = /^kernel=.*$/m.exec(readFileSync(join(work, 'config.txt'), 'utf8'))?.[0];
  if (kernelLine !== 'kernel=u-boot.bin') fail(`config.txt starts ${kernelLine ?? 'no kernel'}, not U-Boot`);
  say(`boot partition: the Pi's firmware starts U-Boot (${kernelLine}), boot.scr, lampfield.yaml`);

  if (process.getuid?.() === 0) checkRootInChroot(work);
  else say('not root: the qemu-user chroot checks are skipped');

  kamailio = await Kamailio.start();
  // The provisioning server: the panel's file by its name ({hostname}), for the CA on the card.
  const ca = makeCa('lampfield image test provisioning CA');
  const serverCert = makeServerCert(ca, ['IP:10.0.2.2']);
  let served = stringify({
    keys: [
      { key: 1, partner: '207', label: 'Image test' },
      { key: 2, partner: '208', label: 'From the server' },
    ],
  });
  const asked: string[] = [];
  provisioning = https.createServer(
    { cert: readFileSync(serverCert.cert), key: readFileSync(serverCert.key) },
    (request, response) => {
      asked.push(request.url ?? '');
      const ours = /^\/lampfield\/lampfield-[0-9a-f]{8}\.yaml$/.test(request.url ?? '');
      response.writeHead(ours ? 200 : 404, { 'content-type': 'application/yaml' });
      response.end(ours ? served : undefined);
    },
  );
  await new Promise<void>((resolve) => provisioning!.listen(0, '127.0.0.1', resolve));
  const provisioningPort = (provisioning.address() as AddressInfo).port;
  const sipPort = await freePort();
  const pagePort = await freePort(true);
  copyFileSync(IMAGE, disk);
  execFileSync('truncate', ['-s', '+512M', disk]);
  const config = {
    pbx: { host: '10.0.2.2', port: kamailio.port, dialect: 'kamailio' },
    account: { user: '900', password: 'watch900' },
    // NOTIFYs reach the guest through qemu's forwarded port on the host's loopback.
    local: { address: '0.0.0.0', port: sipPort, publicAddress: '127.0.0.1' },
    board: 'console',
    keys: [{ key: 1, partner: '207', label: 'Image test' }],
    web: { address: '0.0.0.0', port: 8080, token: TOKEN },
    // The server is the one DHCP names (option 66, qemu's tftp-server-name below), as for desk phones.
    provision: { url: 'dhcp', ca: '/boot/firmware/provisioning-ca.pem' },
  };
  writeFileSync(join(work, 'lampfield.yaml'), `# written by npm run image:test\n${stringify(config)}`);
  run('mcopy', ['-o', '-i', `${disk}@@${BOOT_OFFSET}`, join(work, 'lampfield.yaml'), '::/lampfield.yaml']);
  run('mcopy', ['-o', '-i', `${disk}@@${BOOT_OFFSET}`, ca.cert, '::/provisioning-ca.pem']);
  // The consoles of qemu's board (the Pi's are ttyS1 and the screen), and the boot's progress on it.
  writeFileSync(
    join(work, 'lampfield-boot.txt'),
    'lf_console=console=ttyAMA0\nlf_extra=systemd.show_status=1 systemd.journald.forward_to_console=1\n',
  );
  run('mcopy', [
    '-o',
    '-i',
    `${disk}@@${BOOT_OFFSET}`,
    join(work, 'lampfield-boot.txt'),
    '::/lampfield-boot.txt',
  ]);
  // SSH on, for a key made here: the file `ssh` on the boot partition.
  const key = join(work, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  run('mcopy', ['-o', '-i', `${disk}@@${BOOT_OFFSET}`, `${key}.pub`, '::/ssh']);
  const sshPort = await freePort(true);

  let bootStarted = Date.now();
  const powerOn = () => {
    bootStarted = Date.now();
    return startProcess(
      'qemu-system-aarch64',
      [
        // No -no-reboot: a reboot (after an update) starts U-Boot again, as on the Pi.
        ...['-M', 'virt', '-cpu', 'cortex-a72', '-smp', '2', '-m', '1024', '-nographic'],
        // U-Boot for qemu's board, as the Pi's firmware starts U-Boot: it runs the image's boot.scr.
        ...['-bios', '/usr/lib/u-boot/qemu_arm64/u-boot.bin'],
        ...['-drive', `if=virtio,format=raw,file=${disk}`],
        ...[
          '-netdev',
          [
            'user,id=net0',
            `hostfwd=tcp:127.0.0.1:${pagePort}-:8080`,
            `hostfwd=udp:127.0.0.1:${sipPort}-:${sipPort}`,
            `hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
            `tftp-server-name=https://10.0.2.2:${provisioningPort}/lampfield/{hostname}.yaml`,
          ].join(','),
        ],
        ...['-device', 'virtio-net-pci,netdev=net0'],
        // Entropy for the guest, as the Pi's own hardware RNG gives it.
        ...['-device', 'virtio-rng-pci'],
      ],
      { group: true, stdio: ['pipe', 'pipe', 'pipe'] },
    );
  };
  qemu = powerOn();
  let console_ = qemu;
  // The serial console as it comes, for reading while the test runs and after it.
  const consoleLog = createWriteStream(CONSOLE_LOG);
  qemu.child.stdout?.on('data', (data: Buffer) => consoleLog.write(data));
  say(`booting in qemu; its serial console goes to ${CONSOLE_LOG}`);
  /** Waits for `pattern` on the serial console, in what came after its first `from` characters. */
  const seen = async (what: string, pattern: RegExp, from = 0): Promise<RegExpExecArray> => {
    for (;;) {
      const match = pattern.exec(console_.output().slice(from));
      if (match != null) {
        say(`${what}: ${seconds(bootStarted)} s after power on`);
        return match;
      }
      if (console_.child.exitCode != null)
        fail(`qemu stopped before ${what}:\n${console_.output().slice(-4000)}`);
      if (Date.now() - bootStarted > BOOT_TIMEOUT_MS)
        fail(`no ${what} within ${BOOT_TIMEOUT_MS / 60_000} min:\n${console_.output().slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  await seen("U-Boot ran the image's boot script", /lampfield: booting slot A \(virtio 0:2/);
  await seen('the kernel started', /Booting Linux|Linux version/);
  await seen('first boot grew the data partition', /lampfield-first-boot: data partition grown to \S+/);
  const name = (await seen('first boot named the Pi', /this Pi is (lampfield-[0-9a-f]{8})/))[1];
  await seen('lampfield.service started', /Started lampfield\.service/);
  const startedAt = Date.now();
  await seen(
    'lampfield read lampfield.yaml from the boot partition and subscribed',
    new RegExp(
      `"pbx":"10\\.0\\.2\\.2:${kamailio.port}"[^\\n]*"msg":"watching"|"msg":"watching"[^\\n]*"pbx":"10\\.0\\.2\\.2:${kamailio.port}"`,
    ),
  );
  // Issue 30's start-up figure: what a user waits for after power on, once systemd started lampfield.
  say(`Started → watching, first boot (Node's compile cache empty): ${seconds(startedAt)} s`);
  // The PBX's NOTIFY came back: key 1 shows 207 idle on the status page.
  const pageUrl = `http://127.0.0.1:${pagePort}/`;
  for (;;) {
    const state = await keyState(pageUrl, 1);
    if (state === 'idle') break;
    if (Date.now() - bootStarted > BOOT_TIMEOUT_MS) fail(`key 1 is "${state}" on the page, not idle`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  say(
    `the page answers at ${pageUrl} and shows key 1 (207 on Kamailio) idle: ${seconds(bootStarted)} s after power on`,
  );
  await seen('the login prompt', new RegExp(`${name} login:`));
  const failed = /\[FAILED\][^\n]*/.exec(console_.output());
  if (failed != null) fail(`a unit failed at boot: ${failed[0]}`);
  // Inside, over SSH (the key of the file `ssh`): the service, the read-only mounts, no failed unit,
  // and nothing written to the root file system while lampfield runs.
  // Asynchronous, not execFileSync: while the test waited on ssh, nothing read qemu's serial console, the
  // guest's journald (forwarding to that console) blocked, and sshd and lampfield blocked behind it.
  const inside = async (command: string): Promise<string> =>
    (
      await execFileAsync(
        'ssh',
        [
          ...['-i', key, '-p', String(sshPort), '-o', 'StrictHostKeyChecking=no'],
          ...['-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=60'],
          ...['root@127.0.0.1', command],
        ],
        { encoding: 'utf8', timeout: 120_000 },
      ).catch((error: Error & { stderr?: string }) =>
        fail(`ssh into the guest (${command}): ${error.stderr?.trim() || error.message}`),
      )
    ).stdout.trim();
  const written = 'cat /sys/fs/ext4/$(basename $(findmnt -no SOURCE /))/session_write_kbytes';
  const before = Number(await inside(written));
  const facts = (
    await inside(
      'systemctl is-active lampfield; findmnt -no OPTIONS /; findmnt -no OPTIONS /boot/firmware; ' +
        'systemctl --failed --no-legend --plain | wc -l; journalctl -u lampfield --no-pager | grep -c \'"msg":"watching"\'',
    )
  ).split('\n');
  say(
    `over SSH: lampfield ${facts[0]}; / ${facts[1]}; /boot/firmware ${facts[2]}; failed units ${facts[3]}; "watching" in the journal ${facts[4]}`,
  );
  if (facts[0] !== 'active') fail('lampfield.service is not active');
  if (!facts[1]?.startsWith('ro') || !facts[2]?.startsWith('ro'))
    fail('a file system of the card is writable');
  if (facts[3] !== '0') fail(`units failed: ${await inside('systemctl --failed --no-legend --plain')}`);
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  const after = Number(await inside(written));
  say(`written to the root file system in 30 s of running: ${after - before} KB`);
  if (after !== before) fail('lampfield running wrote to the root file system');

  // 3. Provisioning. The server's key 2 is on the page, the file kept on the data partition.
  const keyLabel = async (key: number, label: string, what: string) => {
    const from = Date.now();
    for (;;) {
      const view = await keyView(pageUrl, key);
      if (view?.label === label) return say(`${what}: ${seconds(from)} s`);
      if (Date.now() - from > 120_000) fail(`${what}: key ${key} shows ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  await keyLabel(2, 'From the server', `key 2 from the provisioning server (${asked.at(-1)})`);
  const named = await inside(
    "journalctl -u lampfield --no-pager | grep -o 'DHCP option 66 names [^\"]*' | head -1",
  );
  if (!named.includes(`https://10.0.2.2:${provisioningPort}/lampfield/{hostname}.yaml`))
    fail(`the server was not the one DHCP named: ${named || 'nothing in the journal'}`);
  say(`the server from DHCP: ${named}`);
  const data = (
    await inside('findmnt -no OPTIONS /var/lib/lampfield; stat -c %U /var/lib/lampfield/provisioned.json')
  ).split('\n');
  say(`the data partition: ${data[0]}; the kept copy owned by ${data[1]}`);
  if (!data[0]?.startsWith('rw') || data[1] !== 'lampfield')
    fail('the kept copy is not on the data partition');
  served = stringify({
    keys: [
      { key: 1, partner: '207', label: 'Image test' },
      { key: 2, partner: '209', label: 'Changed' },
    ],
  });
  await inside('systemctl reload lampfield');
  await keyLabel(2, 'Changed', 'a changed file, applied on systemctl reload');
  served = stringify({ pbx: { port: 'fifty' }, keys: [{ key: 1, partner: '207' }] });
  await inside('systemctl reload lampfield');
  for (const from = Date.now(); ;) {
    const journal = await inside(
      "journalctl -u lampfield --no-pager | grep -c 'refused, the config in use stays' || true",
    );
    if (journal === '1') break;
    if (Date.now() - from > 60_000)
      fail(`a broken file: the refusal is said ${journal} times in the journal`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if ((await keyView(pageUrl, 2))?.label !== 'Changed') fail('a broken file changed the keys');
  say('a broken file: refused, said once in the journal, the keys as they were');

  // The power cut (qemu killed, nothing shut down) and the server gone: the next boot starts from the
  // copy kept on the data partition.
  await new Promise<void>((resolve) => provisioning!.close(() => resolve()));
  provisioning.closeAllConnections();
  provisioning = null;
  await stopProcess(qemu, 0);
  qemu = powerOn();
  console_ = qemu;
  qemu.child.stdout?.on('data', (data: Buffer) => consoleLog.write(data));
  await seen('lampfield.service started again after the power cut', /Started lampfield\.service/);
  const againAt = Date.now();
  // A new qemu: its console holds this boot's lines only.
  await seen('watching again after the power cut', /"msg":"watching"/);
  say(`Started → watching after the power cut (Node's compile cache filled): ${seconds(againAt)} s`);
  await keyLabel(2, 'Changed', 'after the power cut, with the server gone: the kept copy');
  const cached = await inside('du -sk /var/lib/lampfield/compile-cache 2>/dev/null | cut -f1 || echo 0');
  say(`Node's compile cache on the data partition: ${cached || 0} KB`);
  if (
    !/config: cannot fetch https:/.test(console_.output()) ||
    !/the kept copy of https:/.test(console_.output())
  )
    fail('the journal does not say that the kept copy is used');
  await seen('slot A marked good once lampfield was watching', /lampfield-health: slot A is good/);

  // 4. Updates (README "Updating"): signed bundles into the other root slot, U-Boot's A/B with RAUC.
  const bundles = makeBundles(work);
  say(`bundles made: v2 (${bundles.good}) and v3, whose lampfield does not start (${bundles.bad})`);
  const install = async (bundle: string) => {
    await execFileAsync('scp', [
      ...['-i', key, '-P', String(sshPort), '-o', 'StrictHostKeyChecking=no'],
      ...['-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'],
      ...[bundle, 'root@127.0.0.1:/var/lib/lampfield/update.raucb'],
    ]);
    const from = Date.now();
    const said = await inside(
      'node /opt/lampfield/bin/lampfield.js update /var/lib/lampfield/update.raucb | tail -2; rm -f /var/lib/lampfield/update.raucb',
    );
    say(`lampfield update (${seconds(from)} s): ${said.split('\n').join(' / ')}`);
    return console_.output().length;
  };
  const reboot = async () => {
    const from = console_.output().length;
    await inside('systemctl reboot').catch(() => '');
    // Each boot has its own time (BOOT_TIMEOUT_MS), a reboot as a power on.
    bootStarted = Date.now();
    return from;
  };
  const identity = () =>
    inside('cat /etc/machine-id; ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub; hostname');
  const card = await identity();
  let mark = await install(bundles.good);
  mark = await reboot();
  await seen('(b) after the update, U-Boot starts slot B', /lampfield: booting slot B/, mark);
  await seen(
    '(b) slot B kept once lampfield was watching',
    /lampfield-health: the update in slot B runs/,
    mark,
  );
  const release = await inside(
    'cat /etc/lampfield-release; rauc status --output-format=shell | grep RAUC_SYSTEM_BOOTED_BOOTNAME',
  );
  say(`(b) v2 runs: ${release.split('\n').join(', ')}`);
  if (!release.includes('version 2') || !release.includes("BOOTED_BOOTNAME='B'")) fail('v2 is not what runs');
  // The same card after the update: its machine id (and so its DHCP client id), SSH host key and name.
  const sameCard = await identity();
  if (sameCard !== card) fail(`(b) the card is another after the update: ${card} / ${sameCard}`);
  say(`(b) the same machine id, SSH host key and name in slot B: ${sameCard.split('\n').join(', ')}`);

  mark = await install(bundles.bad);
  mark = await reboot();
  await seen('(c) U-Boot starts slot A with v3', /lampfield: booting slot A/, mark);
  await seen(
    '(c) v3: lampfield does not start, slot A marked bad',
    /lampfield-health: lampfield did not start in slot A/,
    mark,
  );
  await seen(
    '(c) U-Boot goes back to slot B by itself',
    /lampfield: booting slot B/,
    mark +
      console_
        .output()
        .slice(mark)
        .search(/lampfield-health: lampfield did not start/),
  );
  // Over SSH only once the slot is up (sshd answers late on a loaded machine: a connection made while
  // the guest boots waits in qemu's forwarding, and ssh's banner wait ran out).
  await seen('(c) v2 again, good', /lampfield-health: slot B is good/, mark);
  const back = await inside('cat /etc/lampfield-release');
  if (!back.includes('version 2')) fail(`after the failed update the card runs ${back}, not v2`);

  // (d) The power cut in the middle of an install: the card starts the slot it ran.
  await execFileAsync('scp', [
    ...['-i', key, '-P', String(sshPort), '-o', 'StrictHostKeyChecking=no'],
    ...['-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'],
    ...[bundles.good, 'root@127.0.0.1:/var/lib/lampfield/update.raucb'],
  ]);
  void inside('node /opt/lampfield/bin/lampfield.js update /var/lib/lampfield/update.raucb').catch(() => '');
  await new Promise((resolve) => setTimeout(resolve, 15_000));
  await stopProcess(qemu, 0);
  qemu = powerOn();
  console_ = qemu;
  qemu.child.stdout?.on('data', (data: Buffer) => consoleLog.write(data));
  await seen(
    '(d) after a power cut mid-install, U-Boot starts slot B, the one that ran',
    /lampfield: booting slot B/,
  );
  await seen('(d) and lampfield is watching there', /lampfield-health: slot B is good/);

  // (e) An update the provisioning server's file asks for: lampfield fetches the bundle (from the same
  // server, trusting provision.ca), installs it and reboots into it by itself, once.
  const updateFile = stringify({
    keys: [
      { key: 1, partner: '207', label: 'Image test' },
      { key: 2, partner: '209', label: 'Changed' },
    ],
    update: {
      bundle: `https://10.0.2.2:${provisioningPort}/bundles/v4.raucb`,
      version: `${VERSION}-test4`,
    },
  });
  const bundleAsked: string[] = [];
  provisioning = https.createServer(
    { cert: readFileSync(serverCert.cert), key: readFileSync(serverCert.key) },
    (request, response) => {
      if (request.url === '/bundles/v4.raucb') {
        bundleAsked.push(request.url);
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        createReadStream(bundles.asked).pipe(response);
        return;
      }
      const ours = /^\/lampfield\/lampfield-[0-9a-f]{8}\.yaml$/.test(request.url ?? '');
      response.writeHead(ours ? 200 : 404, { 'content-type': 'application/yaml' });
      response.end(ours ? updateFile : undefined);
    },
  );
  await new Promise<void>((resolve) => provisioning!.listen(provisioningPort, '127.0.0.1', resolve));
  mark = console_.output().length;
  await inside('systemctl reload lampfield');
  await seen(
    '(e) lampfield installs the update the server asks for',
    /update: version \S+-test4 written to slot A/,
    mark,
  );
  await seen('(e) and reboots into it: U-Boot starts slot A', /lampfield: booting slot A/, mark);
  await seen(
    '(e) slot A kept once lampfield was watching',
    /lampfield-health: the update in slot A runs/,
    mark,
  );
  const updated = await inside('cat /etc/lampfield-version');
  if (updated !== `${VERSION}-test4`) fail(`after the asked update the card runs ${updated}`);
  if (bundleAsked.length !== 1) fail(`the bundle was fetched ${bundleAsked.length} times, not once`);
  say(`(e) the card runs ${updated}, its bundle fetched once`);
  say(`passed: ${name} booted to lampfield.service, subscribed to the host's Kamailio and serves its page`);
} catch (error) {
  if (!(error instanceof ImageTestFailure)) throw error;
  console.error(`image:test: FAILED: ${error.message}`);
  process.exitCode = 1;
} finally {
  if (qemu != null) await stopProcess(qemu, 1000);
  provisioning?.closeAllConnections();
  provisioning?.close();
  await kamailio?.close();
  rmSync(work, { recursive: true, force: true });
}
process.exit();

/**
 * Two update bundles signed with the build's development key (image/out/dev-signing): v2, the image's
 * root with /etc/lampfield-release saying "version 2", and v3, whose lampfield exits at once. Made from
 * slot A's file system (debugfs writes into it; nothing mounted), compressed with zlib (quick to unpack
 * under emulation).
 */
function makeBundles(dir: string): { good: string; bad: string; asked: string } {
  const slotA = /start=\s*(\d+), size=\s*(\d+)/.exec(
    run('sfdisk', ['--dump', IMAGE])
      .split('\n')
      .filter((line) => line.includes('type=83'))[0] ?? '',
  );
  if (slotA == null) fail('no root slot in the image');
  const root = join(dir, 'slot-a.ext4');
  execFileSync('dd', [
    `if=${IMAGE}`,
    `of=${root}`,
    'bs=512',
    `skip=${slotA![1]}`,
    `count=${slotA![2]}`,
    'conv=sparse',
    'status=none',
  ]);
  // The file system, not the whole slot: RAUC grows it to the slot it writes (resize=true).
  const header = run('dumpe2fs', ['-h', root]);
  const blocks = Number(/^Block count:\s+(\d+)/m.exec(header)?.[1]);
  const size = Number(/^Block size:\s+(\d+)/m.exec(header)?.[1]);
  execFileSync('truncate', ['-s', String(blocks * size), root]);
  const keys = join(HERE, 'out', 'dev-signing');
  const bundle = (version: number, files: Record<string, string>) => {
    const content = join(dir, `bundle-${version}`);
    execFileSync('mkdir', ['-p', content]);
    execFileSync('cp', ['--sparse=always', root, join(content, 'root.ext4')]);
    for (const [path, text] of Object.entries(files)) {
      const local = join(dir, `file-${version}`);
      writeFileSync(local, text);
      spawnSync('debugfs', ['-w', '-R', `rm ${path}`, join(content, 'root.ext4')], { stdio: 'ignore' });
      execFileSync('debugfs', ['-w', '-R', `write ${local} ${path}`, join(content, 'root.ext4')], {
        stdio: 'ignore',
      });
    }
    writeFileSync(
      join(content, 'manifest.raucm'),
      `[update]\ncompatible=lampfield-pi-arm64\nversion=${VERSION}-test${version}\n\n[bundle]\nformat=plain\n\n[image.rootfs]\nfilename=root.ext4\n`,
    );
    const out = join(dir, `lampfield-v${version}.raucb`);
    execFileSync(
      'rauc',
      [
        'bundle',
        `--cert=${join(keys, 'cert.pem')}`,
        `--key=${join(keys, 'key.pem')}`,
        '--mksquashfs-args=-comp gzip',
        content,
        out,
      ],
      { stdio: 'ignore' },
    );
    rmSync(content, { recursive: true, force: true });
    return out;
  };
  const good = bundle(2, { '/etc/lampfield-release': 'version 2\n' });
  const asked = bundle(4, {
    '/etc/lampfield-release': 'version 4\n',
    '/etc/lampfield-version': `${VERSION}-test4\n`,
  });
  const bad = bundle(3, {
    '/etc/lampfield-release': 'version 3\n',
    '/opt/lampfield/bin/lampfield.js':
      "console.error('lampfield v3: broken on purpose');\nprocess.exit(1);\n",
  });
  rmSync(root);
  return { good, bad, asked };
}

/** The state key `key` shows on the status page's first event, or null before the page answers. */
async function keyState(url: string, key: number): Promise<string | null> {
  return (await keyView(url, key))?.state ?? null;
}

/** What key `key` shows on the status page's first event, or null before the page answers. */
async function keyView(url: string, key: number): Promise<{ state: string; label: string | null } | null> {
  try {
    const response = await fetch(new URL(`events?token=${TOKEN}`, url), {
      signal: AbortSignal.timeout(5000),
    });
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('\n\n'))
      text += new TextDecoder().decode(((await reader.read()) as { value?: Uint8Array }).value);
    await reader.cancel();
    const snapshot = JSON.parse(text.slice('data: '.length, text.indexOf('\n\n'))) as {
      keys: { key: number; state: string; label: string | null }[];
    };
    return snapshot.keys.find((view) => view.key === key) ?? null;
  } catch {
    return null;
  }
}

/**
 * The image's root file system in a qemu-user chroot: Node runs, each native module loads, doctor runs.
 * Copied out of the image with debugfs (no mount).
 */
function checkRootInChroot(dir: string): void {
  const from = Date.now();
  const root = join(dir, 'root');
  // Root slot A is the first Linux partition (then slot B, then the data partition: image/build.sh).
  const sectors = /start=\s*(\d+)/.exec(
    run('sfdisk', ['--dump', IMAGE])
      .split('\n')
      .filter((line) => line.includes('type=83'))[0] ?? '',
  );
  if (sectors == null) fail('no root partition in the image');
  const rootFs = join(dir, 'root.ext4');
  execFileSync('dd', [
    `if=${IMAGE}`,
    `of=${rootFs}`,
    'bs=512',
    `skip=${sectors![1]}`,
    'status=none',
    'conv=sparse',
  ]);
  execFileSync('mkdir', ['-p', root]);
  execFileSync('debugfs', ['-R', `rdump / ${root}`, rootFs], { stdio: 'ignore' });
  rmSync(rootFs);
  const inRoot = (args: string[]) =>
    execFileSync('chroot', [root, ...args], {
      encoding: 'utf8',
      env: { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' },
    });
  say(
    `root file system copied out: node ${inRoot(['node', '--version']).trim()} (${inRoot(['node', '-p', 'process.arch']).trim()})`,
  );
  const modules = ['node-hid', '@serialport/bindings-cpp', '@napi-rs/canvas', '@iiot2k/gpiox'];
  const script = `const r = require('module').createRequire('/opt/lampfield/package.json');
    for (const m of ${JSON.stringify(modules)}) { const x = r(m); if (m === '@serialport/bindings-cpp') x.autoDetect(); console.log(m + ' loads'); }`;
  for (const line of inRoot(['node', '-e', script]).trim().split('\n')) say(line);
  // The card's own lampfield.yaml (the commented example): valid; its board and PBX are not here, so
  // doctor exits 1 after its checks.
  copyFileSync(join(dir, 'lampfield.yaml'), join(root, 'tmp/lampfield.yaml'));
  const doctor = spawnSync(
    'chroot',
    [root, 'node', '/opt/lampfield/bin/lampfield.js', 'doctor', '--config', '/tmp/lampfield.yaml'],
    { encoding: 'utf8', env: { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' } },
  );
  const report = `${doctor.stdout}${doctor.stderr}`;
  if (!/^ok +config: valid$/m.test(report) || /\n\s+at /.test(report))
    fail(`lampfield doctor in the chroot:\n${report}`);
  say(`lampfield doctor runs in the chroot: ${report.trim().split('\n')[0]}`);
  rmSync(root, { recursive: true, force: true });
  say(`qemu-user chroot checks: ${seconds(from)} s`);
}
