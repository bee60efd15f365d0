import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { parseTime } from './scalars';

/** Seed 000's DateTime: RFC 3339 with an offset, like seed 003's Time. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize: (v) => (v instanceof Date ? v : new Date(String(v))).toISOString(),
  parseValue: parseTime,
  parseLiteral: (ast) => parseTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

function parsePositiveInt(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new GraphQLError(`PositiveInt must be an integer greater than 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

export const PositiveIntScalar = new GraphQLScalarType<number, number>({
  name: 'PositiveInt',
  serialize: (v) => parsePositiveInt(v),
  parseValue: parsePositiveInt,
  parseLiteral: (ast) => parsePositiveInt(ast.kind === Kind.INT ? Number(ast.value) : undefined),
});
