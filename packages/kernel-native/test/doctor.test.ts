import test from 'ava';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { doctor, fallbacks, formatDoctor, budgetKeys, ceilingKeys } from '../src/doctor.js';
import { probe } from '../src/probe.js';
import { controllers, discoverCgroups } from '../src/cgroups.js';
import { addonStatus } from '../src/addon.js';

test('doctor - a frozen record of this machine that agrees with the probes', t => {
  const report = doctor();
  t.true(Object.isFrozen(report));
  t.is(report.node.major, Number(process.versions.node.split('.')[0]));
  t.is(report.addon.built, addonStatus().loaded);
  t.deepEqual(report.probe, probe());
  t.deepEqual(report.cgroups, discoverCgroups().controllers);
  for (const key of budgetKeys) t.true(['kernel', 'language', 'none'].includes(report.budgets[key].level));
});

test('doctor - formatDoctor prints one line per mechanism, budget and ceiling', t => {
  const lines = formatDoctor().split('\n');
  for (const label of ['addon', 'launcher', 'landlock', 'seccomp', 'openat2', 'root', 'node', ...controllers.map(c => `cgroup ${c}`)]) {
    t.is(lines.filter(l => l.startsWith(`${label} `)).length, 1, label);
  }
  for (const key of budgetKeys) t.true(lines.some(l => l.startsWith(`budget ${key} `)), key);
  for (const key of ceilingKeys) t.true(lines.some(l => l.startsWith(`ceiling ${key} `)), key);
});

test('doctor - each budget and ceiling falls back to the language wall when its mechanism is missing', t => {
  const p = probe();
  const none = discoverCgroups({ procCgroup: '0::/\n', mountinfo: '' }).controllers;
  const bare = fallbacks({ probe: { ...p, landlockAbi: 0, seccompFilter: false, openat2: false }, cgroups: none, addon: false, launcher: false });
  for (const key of budgetKeys) t.not(bare.budgets[key].level, 'kernel', key);
  for (const key of ceilingKeys) t.is(bare.ceilings[key].level, 'language', key);
  t.regex(bare.budgets.heapMb.how, /off-heap memory .* is not bounded/);
  const full = fallbacks({ probe: { ...p, landlockAbi: 7, seccompFilter: true, openat2: true }, cgroups: discoverCgroups().controllers, addon: true, launcher: true });
  t.is(full.ceilings['net.connect'].level, 'kernel');
  t.is(full.budgets.cpuMs.level, 'kernel');
  // Landlock before ABI 4 has no TCP rules: only seccomp's socket ban remains.
  const old = fallbacks({ probe: { ...p, landlockAbi: 3, seccompFilter: true }, cgroups: none, addon: true, launcher: true });
  t.regex(old.ceilings['net.connect'].how, /Landlock ABI < 4/);
});

test('doctor - the bin script prints the report', t => {
  const bin = fileURLToPath(new URL('../../bin/doctor.mjs', import.meta.url));
  const out = execFileSync(process.execPath, [bin], { encoding: 'utf8' });
  t.regex(out, /^addon +(built|absent)/m);
  t.regex(out, /^landlock +/m);
  t.regex(out, /^budget cpuMs +(kernel|language|none): /m);
});
