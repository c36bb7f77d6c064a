// A plugin that reads the user's data while the host takes it back.
//
// The host hands it `user://` (a revocable, readOnly view of the host's
// userdata folder) and a `checkpoint()` capability. It reads a file, reaches
// its checkpoint (where this host revokes the grant, standing in for "the
// user closed the folder while the plugin was working"), then reads again
// through the very file node it already holds: refused with REVOKED.
const read = async file => {
  try {
    return { outcome: 'ok', text: (await file.readText()).trim() };
  } catch (error) {
    return { outcome: 'refused', code: String(error.code ?? error.name), message: String(error.message) };
  }
};

export const run = async () => {
  const notes = await resolve('user://notes.txt');
  const first = await read(notes);
  console.log(`first read of user://notes.txt: ${first.outcome}`);
  await checkpoint('read once');
  const second = await read(notes);
  console.log(`second read of user://notes.txt: ${second.outcome} ${second.code ?? ''}`);
  return { reads: [first, second] };
};
