/** The confinement plan derived from a realm's ceiling and budget. */
export {};
