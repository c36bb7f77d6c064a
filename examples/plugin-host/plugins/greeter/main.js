// A well-behaved plugin that reads shared configuration from the system root.
// It names the file by its realm URI; which directory that is, the host decided.
export const run = async () => {
  const file = await resolve('system://etc/greeting.json');
  const { greeting, audience } = JSON.parse(await file.readText());
  return `${greeting}, ${audience}!`;
};
