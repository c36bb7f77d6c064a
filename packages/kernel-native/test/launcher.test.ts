/**
 * The launcher's kernel wall, attacked alone: a script with Node's full
 * powers (fixtures/attacks.cjs) runs through the launcher and tries to
 * escape; each attempt must be refused by the kernel with the errno the
 * mechanism gives, and the host (this test process, its files) be intact.
 * Calls Node cannot make (io_uring, ptrace, mount, unshare, a second exec)
 * are made by the launcher's probe run as the confined target.
 *
 * Where the machine lacks a mechanism the tests skip with the reason in
 * their title (and the first test logs it); CATHEDRAL_REQUIRE_KERNEL=1 turns
 * those skips into failures.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync, fork } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  confinementPlan,
  discoverCgroups,
  launcherArgs,
  makeRealmCgroup,
  launcherExitCodes,
  launcherPath,
  launcherProbe,
  launcherStep,
  type ConfinementInput,
  type ConfinementPlan,
  type LauncherProbe,
} from '../src/index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures');
const attacksScript = join(fixtures, 'attacks.cjs');
const required = process.env['CATHEDRAL_REQUIRE_KERNEL'] === '1';
const root = process.getuid?.() === 0;
const launcher = launcherPath();

let machine: LauncherProbe | undefined;
const lacking = ((): string | undefined => {
  if (process.platform !== 'linux') return `platform ${process.platform} has no Landlock or seccomp`;
  if (launcher === undefined) return 'the launcher is not built (run node packages/kernel-native/scripts/build-native.mjs)';
  if (!/^Seccomp:/m.test(readFileSync('/proc/self/status', 'utf8'))) return 'the kernel has no seccomp (no Seccomp: line in /proc/self/status)';
  machine = launcherProbe();
  if (machine === undefined || machine.landlockAbi < 3) return `Landlock ABI ${machine?.landlockAbi ?? 0} (landlock_create_ruleset VERSION), the launcher needs 3`;
  return undefined;
})();

/** A test that needs the kernel wall (and maybe more): skipped with its reason, or failed when required. */
const wallTest = (title: string, fn: (t: ExecutionContext) => Promise<void> | void, more?: () => string | undefined) => {
  const reason = lacking ?? more?.();
  if (reason === undefined) test(title, fn);
  else if (required) test(title, t => t.fail(`CATHEDRAL_REQUIRE_KERNEL=1 but ${reason}`));
  else test.skip(`${title} (skipped: ${reason})`, () => {});
};
const needRoot = () => (root ? undefined : 'not running as root: no uid to drop');
const needNet = () => ((machine?.landlockAbi ?? 0) < 4 ? `Landlock ABI ${machine?.landlockAbi} has no TCP port rules (needs 4)` : undefined);

test('kernel wall - the mechanisms on this machine', t => {
  if (lacking !== undefined) {
    t.log(`kernel wall tests skipped: ${lacking}`);
    if (required) t.fail(`CATHEDRAL_REQUIRE_KERNEL=1 but ${lacking}`);
    else t.pass();
    return;
  }
  t.log(`launcher ${launcher}; Landlock ABI ${machine!.landlockAbi}; root ${root}`);
  t.true(machine!.landlockAbi >= 3);
});

const planFor = (extra: Partial<ConfinementInput> = {}): ConfinementPlan =>
  confinementPlan({ ceiling: [], readPaths: [fixtures], ...extra });

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const run = (plan: ConfinementPlan, argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(launcher!, [...launcherArgs(plan), '--', process.execPath, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', code => resolve({ code, stdout, stderr }));
  });

type Outcome = { ok: true; value?: unknown } | { ok: false; code: string };

const attack = async (t: ExecutionContext, plan: ConfinementPlan, names: readonly string[], options: object = {}) => {
  const out = await run(plan, [attacksScript, names.join(','), JSON.stringify(options)]);
  t.is(out.code, 0, out.stderr);
  return JSON.parse(out.stdout) as Record<string, Outcome>;
};

/** A scratch directory the child's uid could write to if the kernel wall let it: 0777, file 0666 owned by that uid. */
const scratch = (plan: ConfinementPlan) => {
  const dir = mkdtempSync(join(tmpdir(), 'cathedral-launch-'));
  chmodSync(dir, 0o777);
  const file = join(dir, 'host-file.txt');
  writeFileSync(file, 'host data\n', { mode: 0o666 });
  chmodSync(file, 0o666);
  if (root) chownSync(file, plan.uid, plan.gid);
  return { dir, file, created: join(dir, 'created.txt'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
};

wallTest('launcher - the file system outside the read paths is closed: read, write, create, truncate, unlink refused', async t => {
  const plan = planFor();
  const s = scratch(plan);
  try {
    const r = await attack(t, plan, ['readPasswd', 'writeOutside', 'createOutside', 'truncateOutside', 'unlinkOutside', 'readAllowed'], {
      writeTarget: s.file,
      createTarget: s.created,
    });
    for (const name of ['readPasswd', 'writeOutside', 'createOutside', 'truncateOutside', 'unlinkOutside']) {
      t.deepEqual(r[name], { ok: false, code: 'EACCES' }, name);
    }
    t.true(r['readAllowed']?.ok, 'the fixture itself stays readable');
    t.is(readFileSync(s.file, 'utf8'), 'host data\n');
    t.false(existsSync(s.created));
  } finally {
    s.cleanup();
  }
});

wallTest('launcher - chmod and chown of a host file the child\'s uid owns are refused by seccomp', async t => {
  const plan = planFor();
  const s = scratch(plan);
  try {
    const before = statSync(s.file);
    const r = await attack(t, plan, ['chmodHostFile', 'chownHostFile'], { writeTarget: s.file });
    t.deepEqual(r['chmodHostFile'], { ok: false, code: 'EPERM' });
    t.deepEqual(r['chownHostFile'], { ok: false, code: 'EPERM' });
    const after = statSync(s.file);
    t.is(after.mode, before.mode);
    t.is(after.uid, before.uid);
  } finally {
    s.cleanup();
  }
});

const listen = (): Promise<{ server: Server; port: number; accepted: () => number }> =>
  new Promise(resolve => {
    let count = 0;
    const server = createServer(socket => {
      count++;
      socket.destroy();
    });
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : 0, accepted: () => count });
    });
  });

wallTest('launcher - without a net ceiling no socket opens: TCP connect, listen and UDP refused', async t => {
  const open = await listen();
  try {
    const r = await attack(t, planFor({ ceiling: ['net.connect', 'net.listen'] }), ['connectDenied', 'listen', 'udp'], { deniedPort: open.port });
    t.deepEqual(r['connectDenied'], { ok: false, code: 'EPERM' });
    t.deepEqual(r['listen'], { ok: false, code: 'EPERM' });
    t.deepEqual(r['udp'], { ok: false, code: 'EPERM' });
    t.is(open.accepted(), 0);
  } finally {
    open.server.close();
  }
});

wallTest('launcher - an allowed TCP port connects, any other port is refused by Landlock', async t => {
  const allowed = await listen();
  const denied = await listen();
  try {
    const plan = planFor({ ceiling: ['net.connect'], netPorts: { connect: [allowed.port] } });
    const r = await attack(t, plan, ['connectAllowed', 'connectDenied', 'udp'], { allowedPort: allowed.port, deniedPort: denied.port });
    t.deepEqual(r['connectAllowed'], { ok: true });
    t.deepEqual(r['connectDenied'], { ok: false, code: 'EACCES' });
    t.deepEqual(r['udp'], { ok: false, code: 'EPERM' });
    t.is(allowed.accepted(), 1);
    t.is(denied.accepted(), 0);
  } finally {
    allowed.server.close();
    denied.server.close();
  }
}, needNet);

wallTest('launcher - no process can be spawned, even with proc.spawn in the ceiling; threads still work', async t => {
  const plan = planFor({ ceiling: ['proc.spawn'] });
  const s = scratch(plan);
  try {
    const r = await attack(t, plan, ['spawn', 'execFile', 'worker'], { createTarget: s.created });
    t.deepEqual(r['spawn'], { ok: false, code: 'EPERM' });
    t.deepEqual(r['execFile'], { ok: false, code: 'EPERM' });
    t.deepEqual(r['worker'], { ok: true, value: 42 });
    t.false(existsSync(s.created));
  } finally {
    s.cleanup();
  }
});

wallTest('launcher - the host cannot be signalled; the child can still signal itself', async t => {
  let received = 0;
  const onSignal = () => received++;
  process.on('SIGUSR2', onSignal);
  try {
    const r = await attack(t, planFor(), ['signalHost', 'signalSelf'], { hostPid: process.pid });
    t.deepEqual(r['signalHost'], { ok: false, code: 'EPERM' });
    t.deepEqual(r['signalSelf'], { ok: true, value: true });
    await new Promise(resolve => setTimeout(resolve, 50));
    t.is(received, 0);
  } finally {
    process.off('SIGUSR2', onSignal);
  }
});

wallTest('launcher - calls Node cannot make are refused too: io_uring, ptrace, mount, unshare, bpf, a second exec', t => {
  const confined = launcherProbe(planFor())!;
  const bare = launcherProbe()!;
  t.is(confined.seccomp, 2);
  t.is(confined.noNewPrivs, 1);
  t.is(bare.seccomp, 0);
  const refused: Record<string, string> = {
    fork: 'EPERM', clone3: 'ENOSYS', execve: 'EPERM', execveat: 'EPERM', ptrace: 'EPERM', process_vm_readv: 'EPERM',
    io_uring_setup: 'EPERM', unshare: 'EPERM', setns: 'EPERM', mount: 'EPERM', chmod: 'EPERM', chown: 'EPERM',
    bpf: 'EPERM', keyctl: 'EPERM', perf_event_open: 'EPERM', kill_parent: 'EPERM', socket_tcp: 'EPERM',
    socket_udp: 'EPERM', socket_unix: 'EPERM', open_etc_passwd: 'EACCES',
  };
  for (const [call, errno] of Object.entries(refused)) {
    t.is(confined.calls[call], errno, `confined ${call}`);
    // Unconfined, the same call must get another answer, or the refusal is not the wall's.
    if (bare.calls[call] === errno) t.log(`this machine refuses ${call} with ${errno} even unconfined: the wall's refusal cannot be told apart here`);
  }
  if (root) t.is(Object.keys(refused).filter(call => bare.calls[call] === refused[call]).length, 0, 'as root nothing above is refused without the wall');
  t.is(confined.calls['thread'], 'ok');
});

wallTest('launcher - the confined node cannot exec again: a nested launcher fails at its exec step', t => {
  const plan = planFor();
  const out = spawnSync(launcher!, [...launcherArgs(plan), '--exec', launcher!, '--', launcher!, ...launcherArgs(plan), '--', process.execPath, '-e', '0'], {
    encoding: 'utf8',
    env: {},
  });
  t.is(out.status, launcherExitCodes.exec);
  t.is(launcherStep(out.status), 'exec');
  t.regex(out.stderr, /^cathedral-launch: exec: \/.*node: Operation not permitted\n$/);
  // Control: the same nesting unconfined by the outer launcher runs node.
  const control = spawnSync(launcher!, [...launcherArgs(plan), '--', process.execPath, '-e', '0'], { encoding: 'utf8', env: {} });
  t.is(control.status, 0, control.stderr);
});

wallTest('launcher - the environment is scrubbed: NODE_OPTIONS and others gone, NODE_CHANNEL_* and listed names kept', async t => {
  const plan = planFor({ env: ['KEEP_ME'] });
  const out = await run(plan, [attacksScript, 'env'], {
    NODE_OPTIONS: '--definitely-not-an-option',
    LD_PRELOAD: '/nonexistent.so',
    UV_USE_IO_URING: '1',
    SECRET_TOKEN: 'host secret',
    KEEP_ME: 'kept',
  });
  t.is(out.code, 0, out.stderr);
  const r = JSON.parse(out.stdout) as Record<string, Outcome>;
  t.deepEqual(r['env'], { ok: true, value: { KEEP_ME: 'kept', UV_USE_IO_URING: '0' } });
});

wallTest('launcher - a descriptor the host leaks past stdio is closed before node runs, unless the plan keeps it', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'cathedral-launch-'));
  const secret = join(dir, 'leaked.txt');
  writeFileSync(secret, 'host secret\n');
  const fd = openSync(secret, 'r');
  try {
    const openIn = async (plan: ConfinementPlan) => {
      const child = spawn(launcher!, [...launcherArgs(plan), '--', process.execPath, attacksScript, 'fds'], {
        env: {},
        stdio: ['ignore', 'pipe', 'inherit', 'ignore', fd],
      });
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      await new Promise(resolve => child.on('close', resolve));
      return ((JSON.parse(stdout) as Record<string, { value: string[] }>)['fds']?.value ?? []);
    };
    t.false((await openIn(planFor())).includes(secret));
    t.true((await openIn(planFor({ keepFds: [4] }))).includes(secret), 'control: a kept descriptor does reach the child');
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});

wallTest('launcher - rlimits from the budget are visible in /proc/self/limits', async t => {
  const plan = planFor({ budget: { cpuMs: 2500 }, openFiles: 200 });
  const r = await attack(t, plan, ['limits']);
  const limits = String((r['limits'] as { value: string }).value);
  t.regex(limits, /^Max cpu time\s+4\s+5\s+seconds/m);
  t.regex(limits, /^Max open files\s+200\s+200\s+files/m);
  t.regex(limits, /^Max core file size\s+0\s+0\s+bytes/m);
});

wallTest('launcher - the RLIMIT_CPU backstop stops a spinning child with SIGXCPU a second past its budget', async t => {
  const plan = planFor({ budget: { cpuMs: 500 } }); // soft 2 s, hard 3 s
  const started = process.hrtime.bigint();
  const child = spawn(launcher!, [...launcherArgs(plan), '--', process.execPath, '-e', 'for (;;);'], { env: {}, stdio: 'ignore' });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.on('exit', (c, s) => resolve([c, s])));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  t.log(`killed by ${signal} after ${seconds.toFixed(2)} s of wall time`);
  t.is(code, null);
  t.is(signal, 'SIGXCPU');
  t.true(seconds >= 1.9, 'not before the soft limit of 2 s of CPU');
});

wallTest('launcher - a plan needing a newer Landlock ABI than the kernel has is refused, never run with less', t => {
  const out = spawnSync(launcher!, ['--landlock-min-abi', '64', '--exec', process.execPath, '--', process.execPath, '-e', '0'], { encoding: 'utf8', env: {} });
  t.is(launcherStep(out.status), 'landlock');
  t.regex(out.stderr, /^cathedral-launch: landlock: kernel has ABI \d+, the plan needs ABI 64\n$/);
});

wallTest('launcher - the child joins its realm cgroup before node starts, so V8 sizes its heap from the memory limit', async t => {
  const layout = discoverCgroups();
  const memory = layout.controllers.memory;
  if (!memory.available || !memory.writable) {
    t.log(`memory cgroup not usable here: ${memory.why ?? 'not writable'}`);
    if (required) t.fail('CATHEDRAL_REQUIRE_KERNEL=1 but the memory cgroup controller is not usable');
    else t.pass();
    return;
  }
  const cgroup = makeRealmCgroup('launcher-test', { memoryBytes: 128 * 1024 * 1024 }, layout);
  try {
    const dirs = [...new Set(Object.values(cgroup.dirs))];
    const joined = await attack(t, planFor({ cgroups: dirs }), ['cgroup']);
    const free = await attack(t, planFor(), ['cgroup']);
    const inside = (joined['cgroup'] as { value: { cgroup: string; heapLimit: number } }).value;
    const outside = (free['cgroup'] as { value: { cgroup: string; heapLimit: number } }).value;
    t.regex(inside.cgroup, new RegExp(`memory:.*/${basename(cgroup.dirs.memory!)}$`, 'm'));
    t.log(`V8 heap limit ${(inside.heapLimit / 2 ** 20).toFixed(0)} MiB in a 128 MiB cgroup, ${(outside.heapLimit / 2 ** 20).toFixed(0)} MiB outside`);
    t.true(inside.heapLimit < outside.heapLimit);
  } finally {
    await cgroup.remove();
  }
});

wallTest('launcher - as root, the child runs as the unprivileged uid and gid with no groups', async t => {
  const r = await attack(t, planFor({ uid: 65533, gid: 65532 }), ['ids']);
  t.deepEqual(r['ids'], { ok: true, value: { uid: 65533, gid: 65532, euid: 65533, groups: '' } });
}, needRoot);

wallTest('launcher - fork() through the launcher keeps the IPC channel (advanced serialization, an ES module)', async t => {
  const plan = planFor();
  const child = fork(join(fixtures, 'ipc.mjs'), [], {
    execPath: launcher!,
    execArgv: [...launcherArgs(plan), '--', process.execPath],
    serialization: 'advanced',
    env: {},
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const messages: unknown[] = [];
  const done = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
  await new Promise<void>(resolve => {
    child.on('message', message => {
      messages.push(message);
      if (messages.length === 1) child.send({ n: 1n });
      else {
        child.disconnect();
        resolve();
      }
    });
  });
  t.is(await done, 0);
  t.deepEqual(messages[0], new Map([['ready', true]]));
  t.deepEqual(messages[1], { echo: { n: 1n }, pid: child.pid, uid: root ? 65534 : process.getuid?.() });
});

wallTest('launcher - a bad option refuses to start, naming the option, with the usage exit code', t => {
  const cases: Array<[string[], RegExp]> = [
    [['--rlimit', 'bogus=1'], /^cathedral-launch: usage: --rlimit: unknown resource "bogus"\n$/],
    [['--rlimit', 'cpu=5:2'], /^cathedral-launch: usage: --rlimit: cpu soft limit above its hard limit\n$/],
    [['--connect', '70000'], /^cathedral-launch: usage: --connect: "70000" is not a number from 0 to 65535\n$/],
    [['--read', 'relative/path'], /^cathedral-launch: usage: --read: "relative\/path" is not an absolute path\n$/],
    [['--uid', '0'], /^cathedral-launch: usage: --uid\/--gid: the child never runs as root \(0\)\n$/],
    [['--env', 'NODE_OPTIONS'], /^cathedral-launch: usage: --env: NODE_OPTIONS steers the loader or Node and is never passed\n$/],
    [['--frobnicate', 'x'], /^cathedral-launch: usage: unknown option "--frobnicate"\n$/],
  ];
  for (const [args, message] of cases) {
    const out = spawnSync(launcher!, [...args, '--exec', process.execPath, '--', process.execPath, '-e', 'require("fs").writeFileSync("/dev/stdout", "ran")'], { encoding: 'utf8', env: {} });
    t.is(out.status, launcherExitCodes.usage, args.join(' '));
    t.regex(out.stderr, message);
    t.is(out.stdout, '');
  }
});

wallTest('launcher - a read path that does not exist stops the launcher at the step that needs it', t => {
  const plan = planFor({ readPaths: [fixtures, '/nonexistent-cathedral-path'] });
  const out = spawnSync(launcher!, [...launcherArgs(plan), '--', process.execPath, '-e', '0'], { encoding: 'utf8', env: {} });
  // As root the uid step checks readability first; otherwise Landlock cannot open it.
  t.is(launcherStep(out.status), root ? 'uid' : 'landlock');
  t.regex(out.stderr, /^cathedral-launch: (uid|landlock): .*\/nonexistent-cathedral-path.*No such file or directory\n$/);
});

test('confinementPlan - ports need their effect in the ceiling; bad input is a typed error', t => {
  const system = { exec: ['/usr/bin/node'], read: [] };
  const ceiling = t.throws(() => confinementPlan({ ceiling: ['net.listen'], readPaths: [], netPorts: { connect: [443] }, system, realm: 'r' }));
  t.is((ceiling as { code?: string }).code, 'CEILING');
  t.regex(ceiling!.message, /^confine "netPorts.connect: 443" in realm "r": TCP ports are listed but the ceiling lacks net.connect\. Rule: .* To allow it: add net\.connect/);
  for (const input of [
    { readPaths: ['relative'] },
    { readPaths: [], uid: 0 },
    { readPaths: [], env: ['LD_PRELOAD'] },
    { readPaths: [], netPorts: { connect: [0] }, ceiling: ['net.connect'] as const },
    { readPaths: [], budget: { cpuMs: -1 } },
    { readPaths: [], minLandlockAbi: 2 },
  ]) {
    const error = t.throws(() => confinementPlan({ ceiling: [], system, ...input } as ConfinementInput));
    t.is((error as { code?: string }).code, 'INVALID_ARGUMENT', JSON.stringify(input));
  }
});

test('confinementPlan - derives rlimits, ports and the Landlock ABI from ceiling and budget, and says what it does not map', t => {
  const system = { exec: ['/usr/bin/node'], read: ['/lib/libc.so.6'] };
  const plan = confinementPlan({
    ceiling: ['net.connect', 'fs.read'],
    budget: { cpuMs: 1500, wallMs: 100, heapMb: 64 },
    readPaths: ['/srv/runtime', '/srv/runtime'],
    netPorts: { connect: [443] },
    system,
  });
  t.true(Object.isFrozen(plan) && Object.isFrozen(plan.rlimits));
  t.deepEqual(plan.rlimits.find(r => r.name === 'cpu'), { name: 'cpu', soft: 3, hard: 4 });
  t.deepEqual(plan.read, ['/lib/libc.so.6', '/srv/runtime']);
  t.deepEqual(plan.connectPorts, [443]);
  t.is(plan.minLandlockAbi, 4);
  t.is(plan.uid, 65534);
  t.is(plan.unmapped.length, 3);
  const args = launcherArgs(plan);
  t.deepEqual(args.slice(args.indexOf('--connect'), args.indexOf('--connect') + 2), ['--connect', '443']);
  t.true(args.includes('cpu=3:4'));
  t.is(confinementPlan({ ceiling: [], readPaths: [], system }).minLandlockAbi, 3);
});
