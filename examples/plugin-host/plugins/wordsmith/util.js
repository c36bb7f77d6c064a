// A helper module next to the plugin's main.js, imported as `./util.js`.
export const titleCase = word => word.charAt(0).toUpperCase() + word.slice(1);

export const joinWords = words => words.map(titleCase).join(' · ');
