/** The launcher: see launcher.c. Filled in by its owner. */
export {};
