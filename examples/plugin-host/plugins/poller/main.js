// A plugin that polls the host's API server on a clock it does not own.
//
// The host hands it `net` (a capability that reaches 127.0.0.1:<the API's
// port> and nothing else), `servers` (the URLs of the host's servers, as
// data), `clock` and `timers` on a deterministic clock that starts at
// 2030-01-01T00:00:00Z, and `checkpoint()`. It sets an interval of 1000 ms
// and reaches its checkpoint, where the host advances its clock by 3000 ms:
// the interval fires three times, at exactly 1 s, 2 s and 3 s, each firing
// awaited by the host before the next, so every run prints the same times.
//
// Then it tries what its allowlist does not name: the host's admin server
// (another port of the same address), the same port spelled as one number,
// and another loopback address in hex. Each is refused before any
// connection is made. The same address spelled `127.1` is the allowed peer
// (addresses are compared, not spellings), so that fetch is answered.

const decode = bytes => new TextDecoder().decode(bytes);

const fetchOne = async url => {
  const response = await net.fetch(url);
  return { url, at: await clock.now(), status: response.status, body: decode(response.body) };
};

const port = url => url.slice(url.lastIndexOf(':') + 1);

const tries = [
  ['fetch the admin server, another port: servers.admin + "/status"', () => `${servers.admin}/status`],
  ['fetch the admin port with 127.0.0.1 spelled as one number: http://2130706433:<admin port>/', () => `http://2130706433:${port(servers.admin)}/`],
  ['fetch another loopback address, 127.0.0.2 spelled in hex: http://0x7f.2:<api port>/status', () => `http://0x7f.2:${port(servers.api)}/status`],
];

const codeOf = error => {
  if (error === null || typeof error !== 'object') return 'THROWN';
  return typeof error.code === 'string' ? error.code : String(error.name);
};

const tryOne = async ([attempt, url]) => {
  try {
    const response = await net.fetch(url());
    return { attempt, outcome: 'succeeded', code: 'SUCCEEDED', detail: `answered ${response.status}` };
  } catch (error) {
    return { attempt, outcome: 'refused', code: codeOf(error), detail: String(error && error.message) };
  }
};

export const run = async () => {
  const polls = [];
  const id = await timers.setInterval(async () => {
    polls.push(await fetchOne(`${servers.api}/status`));
  }, 1000);
  console.log('polling the API every 1000 ms of its clock');
  await checkpoint('interval set');
  await timers.clearInterval(id);
  polls.push(await fetchOne(`http://127.1:${port(servers.api)}/status`));
  const attempts = [];
  for (const attempt of tries) attempts.push(await tryOne(attempt));
  return { polls, attempts };
};
