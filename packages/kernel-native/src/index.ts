import '@cathedral/sdk/shims';

export * from './launcher.js';
export * from './plan.js';
