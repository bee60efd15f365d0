import { GraphQLError, GraphQLScalarType, Kind, ValueNode } from 'graphql';

// RFC 3339 with a mandatory offset, as the seed's Time scalar asks (2022-04-01T08:00:00+01:00).
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

export function parseTime(value: unknown): Date {
  if (typeof value !== 'string' || !RFC3339.test(value)) {
    throw new GraphQLError(`Time must be an RFC 3339 timestamp such as 2023-03-23T17:21:00Z, got ${JSON.stringify(value)}`);
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new GraphQLError(`Time ${JSON.stringify(value)} is not a real date`);
  return d;
}

export const TimeScalar = new GraphQLScalarType<Date, string>({
  name: 'Time',
  serialize: (v) => (v instanceof Date ? v : new Date(String(v))).toISOString(),
  parseValue: parseTime,
  parseLiteral: (ast) => parseTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

function literalToJs(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
    case Kind.ENUM:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(literalToJs);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJs(f.value)]));
    default:
      throw new GraphQLError('Map literals cannot contain variables');
  }
}

function parseMap(value: unknown): Record<string, unknown> | Record<string, unknown>[] {
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(value) || (Array.isArray(value) && value.every(isObject))) {
    return value as Record<string, unknown>;
  }
  throw new GraphQLError('Map must be a JSON object (or a list of objects) of string keys');
}

/** The seed's Map: map[string]string or []map[string]string. */
export const MapScalar = new GraphQLScalarType({
  name: 'Map',
  serialize: (v) => v,
  parseValue: parseMap,
  parseLiteral: (ast) => parseMap(literalToJs(ast)),
});

function parseInt64(value: unknown): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new GraphQLError(`Int64 must be an integer within ±2^53, got ${JSON.stringify(value)}`);
  }
  return n;
}

export const Int64Scalar = new GraphQLScalarType<number, number>({
  name: 'Int64',
  serialize: (v) => parseInt64(v),
  parseValue: parseInt64,
  parseLiteral: (ast) => parseInt64(ast.kind === Kind.INT || ast.kind === Kind.STRING ? ast.value : undefined),
});

/** A file from a GraphQL multipart request; the upload middleware puts it in the variables. */
export interface UploadedFile {
  filename: string;
  mimetype: string;
  path: string;
  size: number;
}

export const UploadScalar = new GraphQLScalarType<UploadedFile, never>({
  name: 'Upload',
  serialize: () => {
    throw new GraphQLError('Upload is an input-only scalar');
  },
  parseValue: (v) => {
    const f = v as UploadedFile | null;
    if (!f || typeof f !== 'object' || typeof f.path !== 'string') {
      throw new GraphQLError('Upload must be sent as a file in a GraphQL multipart request (multipart/form-data)');
    }
    return f;
  },
  parseLiteral: () => {
    throw new GraphQLError('Upload cannot be written inline; send the file in a GraphQL multipart request');
  },
});
