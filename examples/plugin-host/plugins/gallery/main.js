// A plugin that is itself a plugin host (a nested plugin host).
//
// The host spawned it with `authority` over its own realm and `proc.spawn`
// in its ceiling. It runs the plugins of its own `app://plugins/` folder,
// each in a realm of its own, with roots NARROWER than its own:
//   app://     authority.subtree(<its own app root>, 'plugins/<name>'):
//              the sub-plugin's folder, nothing of the gallery around it;
//   system://  authority.readOnly(authority.subtree(<its system root>, 'etc')):
//              the shared configuration, not the rest of the system root;
// the ceiling `fs.read`, and budgets inside its own. It calls each one's
// `run()` and returns what each answered, for the host to print.
//
// The same API one level down: `authority.spawn` takes a spawn spec as the
// host's `spawn` does, and every root in it must be a node this realm holds.

const CHILD = harden({ tier: 'process', ceiling: ['fs.read'], budget: { cpuMs: 1000, wallMs: 10000, heapMb: 64 } });

const describe = error => ({ code: String(error?.code ?? error?.name ?? 'THROWN'), message: String(error?.message ?? error) });

const host = async (name, roots) => {
  let child;
  try {
    child = await authority.spawn({
      ...CHILD,
      name,
      main: 'app://main.js',
      realms: { app: await authority.subtree(roots.app, `plugins/${name}`), system: roots.etc },
    });
    const { run } = await child.exports();
    return { name, call: 'run()', value: await run() };
  } catch (error) {
    return { name, error: describe(error) };
  } finally {
    await child?.terminate();
  }
};

export const run = async () => {
  const app = await resolve('app://');
  const etc = await authority.readOnly(await authority.subtree(await resolve('system://'), 'etc'));
  const names = (await app.list('plugins')).filter(entry => entry.kind === 'dir').map(entry => entry.name).sort();
  console.log(`hosting ${names.length} plugins from app://plugins/: ${names.join(', ')}`);
  // Each sub-plugin is a process of its own: run them side by side.
  const hosted = await Promise.all(names.map(name => host(name, { app, etc })));
  return { hosted };
};
