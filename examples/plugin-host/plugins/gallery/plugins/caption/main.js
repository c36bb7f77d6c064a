// A sub-plugin of the gallery: it reads the shared greeting through its own
// `system://`, which the gallery narrowed to the system root's `etc/` folder.
export const run = async () => {
  const { greeting } = JSON.parse(await (await resolve('system://greeting.json')).readText());
  const title = (await (await resolve('app://title.txt')).readText()).trim();
  return `${greeting} from "${title}"`;
};
