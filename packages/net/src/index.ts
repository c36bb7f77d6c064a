import '@cathedral/sdk/shims';
export {};
