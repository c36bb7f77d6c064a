// A shared module every plugin may import as `system://lib/words.js`.
// Each realm loads its own instance: a plugin cannot change what another sees.
export const words = harden(['capability', 'realm', 'root', 'ceiling', 'attenuation']);

export const count = () => words.length;
