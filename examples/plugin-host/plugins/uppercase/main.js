// A well-behaved plugin that needs no authority at all: pure computation.
export const transform = async input => String(input).toUpperCase();
