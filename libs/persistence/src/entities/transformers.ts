import type { ValueTransformer } from 'typeorm';

/** pg returns int8 as a string; every bigint we store fits well inside 2^53. */
export const bigintToNumber: ValueTransformer = {
  to: (value: unknown) => value,
  from: (value: unknown) => (value === null || value === undefined ? value : Number(value)),
};
