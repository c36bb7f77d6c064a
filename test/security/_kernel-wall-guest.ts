/**
 * The guest of ./kernel-wall.test.ts: a module that runs in a process-tier
 * realm whose language wall the host lowered for tests
 * (`createHost({ kernel: 'lowered-language-wall-for-tests' })`), so it holds
 * Node's own `process` and `require` and attacks the kernel wall alone.
 *
 * It exports `run(names, options)`: tries each named attack in turn and
 * answers, per name, `{ ok: true, value? }` or `{ ok: false, code }` where
 * `code` is the errno name Node reported (EACCES from Landlock, EPERM from
 * seccomp or the kernel's own permission checks), or `thrown: <message>`
 * for anything that is not a system error. Every answer is plain data, so
 * what crosses back to the host is only what happened.
 *
 * The source is JavaScript in a string (it is a guest module, read from a
 * `memory()` root), written without `${` so the template holds it verbatim.
 * The test also runs it as a plain Node module by uid 65534 without any
 * wall (`unwalledProgram`), to show what the wall's refusals are worth.
 */
export const kernelWallGuest = String.raw`
const fs = require('node:fs');
const net = require('node:net');
const dgram = require('node:dgram');
const childProcess = require('node:child_process');
const { Worker } = require('node:worker_threads');

const settle = async fn => {
  try {
    const value = await fn();
    return value === undefined ? { ok: true } : { ok: true, value };
  } catch (error) {
    const code = error !== null && typeof error === 'object' && typeof error.code === 'string' ? error.code : 'thrown: ' + String(error && error.message);
    return { ok: false, code };
  }
};

const connect = options =>
  new Promise((resolve, reject) => {
    const socket = net.connect(options);
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });

const listen = (port, host) =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, host, () => server.close(() => resolve(server.address())));
  });

const udpSend = port =>
  new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.send('from the guest', port, '127.0.0.1', error => {
      socket.close();
      if (error) reject(error);
      else resolve();
    });
  });

// A spawn Node refuses at once throws; one refused later is an 'error' event: both are the refusal.
const started = make =>
  new Promise((resolve, reject) => {
    try {
      const child = make();
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid));
    } catch (error) {
      reject(error);
    }
  });

const workerAnswer = () =>
  new Promise((resolve, reject) => {
    const worker = new Worker('require("node:worker_threads").parentPort.postMessage(6 * 7)', { eval: true });
    worker.once('message', value => {
      void worker.terminate();
      resolve(value);
    });
    worker.once('error', reject);
  });

const threadsNow = () => Number(/^Threads:\s+(\d+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);

// Idle workers (no CPU), started one at a time until one cannot be, then all terminated.
const workerFlood = async max => {
  await fs.promises.readFile('/proc/self/status'); // start libuv's thread pool first
  const workers = [];
  let refused;
  for (let i = 0; i < max && refused === undefined; i++) {
    try {
      const worker = new Worker('const { parentPort } = require("node:worker_threads"); parentPort.postMessage(1); setInterval(() => {}, 1e9);', {
        eval: true,
        resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
      });
      workers.push(worker);
      const up = await new Promise(resolve => {
        worker.once('message', () => resolve(true));
        worker.once('error', error => {
          refused = error;
          resolve(false);
        });
        worker.once('exit', () => resolve(false));
      });
      if (!up) break;
    } catch (error) {
      refused = error;
    }
  }
  const threads = threadsNow();
  await Promise.all(workers.map(worker => worker.terminate()));
  const running = workers.length - (refused === undefined ? 0 : 1);
  return { running, threads, refused: refused === undefined ? 'none' : String(refused.code) + ': ' + String(refused.message) };
};

const openClose = (path, flags) => fs.closeSync(fs.openSync(path, flags));

const attacks = o => ({
  // files
  readPasswd: () => fs.readFileSync('/etc/passwd', 'utf8'),
  readHostFile: () => fs.readFileSync(o.hostFile, 'utf8'),
  listDir: () => fs.readdirSync(o.dir),
  writeHostFile: () => fs.writeFileSync(o.hostFile, 'overwritten by the guest'),
  appendHostFile: () => fs.appendFileSync(o.hostFile, 'appended by the guest'),
  truncateHostFile: () => fs.truncateSync(o.hostFile, 0),
  unlinkHostFile: () => fs.unlinkSync(o.hostFile),
  renameHostFile: () => fs.renameSync(o.hostFile, o.dir + '/renamed.txt'),
  createInDir: () => fs.writeFileSync(o.dir + '/created.txt', 'created by the guest'),
  createExclusive: () => openClose(o.dir + '/exclusive.txt', 'wx'),
  mkdirInDir: () => fs.mkdirSync(o.dir + '/made'),
  symlinkInDir: () => fs.symlinkSync('/etc/passwd', o.dir + '/symlink'),
  hardlinkInDir: () => fs.linkSync(o.hostFile, o.dir + '/hardlink'),
  rmdirSubdir: () => fs.rmdirSync(o.subdir),
  writeOwned: () => fs.writeFileSync(o.ownedFile, 'written by the guest'),
  chmodOwned: () => fs.chmodSync(o.ownedFile, 0o4777),
  chownOwned: () => fs.chownSync(o.ownedFile, process.getuid(), process.getgid()),
  utimesOwned: () => fs.utimesSync(o.ownedFile, 1, 1),
  // network
  connectTcp: () => connect({ host: '127.0.0.1', port: o.tcpPort }),
  connectTcp6: () => connect({ host: '::1', port: o.tcpPort }),
  connectUnix: () => connect({ path: o.unixPath }),
  listenPort: () => listen(o.listenPort, '127.0.0.1'),
  listenAny: () => listen(0),
  udpSend: () => udpSend(o.udpPort),
  // processes and threads
  spawn: () => started(() => childProcess.spawn('/bin/sh', ['-c', 'echo spawned > ' + o.marker], { stdio: 'ignore' })),
  spawnSync: () => {
    const result = childProcess.spawnSync('/bin/sh', ['-c', 'echo spawned > ' + o.marker], { stdio: 'ignore' });
    if (result.error) throw result.error;
    return result.status;
  },
  execFile: () => started(() => childProcess.execFile(process.execPath, ['-e', 'require("fs").writeFileSync(' + JSON.stringify(o.marker) + ', "x")'])),
  fork: () => started(() => childProcess.fork(o.forkScript, [], { stdio: 'ignore' })),
  worker: workerAnswer,
  workerFlood: () => workerFlood(o.floodMax),
  threads: threadsNow,
  // signals
  signalHost: () => process.kill(o.hostPid, 'SIGUSR2'),
  probeHost: () => process.kill(o.hostPid, 0),
  signalGroup: () => process.kill(0, 'SIGUSR2'),
  killSibling: () => process.kill(o.siblingPid, 'SIGKILL'),
  probeSibling: () => process.kill(o.siblingPid, 0),
  signalSelf: () => process.kill(process.pid, 0),
  // other processes through /proc
  hostEnviron: () => fs.readFileSync('/proc/' + o.hostPid + '/environ', 'utf8'),
  hostMem: () => openClose('/proc/' + o.hostPid + '/mem', 'r'),
  hostStatus: () => fs.readFileSync('/proc/' + o.hostPid + '/status', 'utf8'),
  hostCmdline: () => fs.readFileSync('/proc/' + o.hostPid + '/cmdline', 'utf8'),
  hostViaSelf: () => fs.readFileSync('/proc/self/../' + o.hostPid + '/environ', 'utf8'),
  hostViaThreadSelf: () => fs.readFileSync('/proc/thread-self/../../../' + o.hostPid + '/environ', 'utf8'),
  hostRoot: () => fs.readFileSync('/proc/' + o.hostPid + '/root/etc/passwd', 'utf8'),
  hostCwd: () => fs.readdirSync('/proc/' + o.hostPid + '/cwd'),
  selfRoot: () => fs.readFileSync('/proc/self/root/etc/passwd', 'utf8'),
  selfCwd: () => fs.readdirSync('/proc/self/cwd'),
  initEnviron: () => fs.readFileSync('/proc/1/environ', 'utf8'),
  siblingEnviron: () => fs.readFileSync('/proc/' + o.siblingPid + '/environ', 'utf8'),
  siblingMem: () => openClose('/proc/' + o.siblingPid + '/mem', 'r'),
  selfStatus: () => fs.readFileSync('/proc/self/status', 'utf8').length > 0,
  // identity and environment
  env: () => ({ ...process.env }),
  environFile: () => fs.readFileSync('/proc/self/environ', 'utf8').split('\0').filter(Boolean),
  ids: () => ({ uid: process.getuid(), euid: process.geteuid(), gid: process.getgid(), egid: process.getegid() }),
  setuidRoot: () => process.setuid(0),
  pid: () => process.pid,
});

export const run = async (names, options) => {
  const table = attacks(options);
  const out = {};
  for (const name of names) out[name] = table[name] === undefined ? { ok: false, code: 'UNKNOWN_ATTACK' } : await settle(table[name]);
  return harden(JSON.parse(JSON.stringify(out)));
};
`;

/**
 * A plain ES module program running the same attacks with no wall at all:
 * `node --input-type=module -e <this> <names JSON> <options JSON>` prints the
 * answers as one JSON line. The test runs it as uid 65534 to show that the
 * permission bits alone would let that uid do what the wall refuses.
 */
export const unwalledProgram = [
  "import { createRequire } from 'node:module';",
  "const require = createRequire('/unwalled.js');",
  'globalThis.harden = x => x;',
  kernelWallGuest,
  'process.stdout.write(JSON.stringify(await run(JSON.parse(process.argv[1]), JSON.parse(process.argv[2]))) + "\\n");',
].join('\n');
