export const colors = harden([['slate', '#475569'], ['amber', '#f59e0b'], ['teal', '#0d9488']]);
