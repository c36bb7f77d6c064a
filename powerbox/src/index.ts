import '@cathedral/sdk/shims';
export { memory } from './roots/memory.js';
export { makeStoreRoot, type Store } from './roots/store.js';
export { checkPath, showPath, type CheckedPath } from './path.js';
