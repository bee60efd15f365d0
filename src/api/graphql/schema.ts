import fs from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  GraphQLFieldResolver,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  isObjectType,
  isScalarType,
} from 'graphql';
import { authorize } from '../../auth/permissions';
import type { GraphQLContext } from './context';
import { notImplemented, toGraphQLError } from './errors';
import { Int64Scalar, MapScalar, TimeScalar, UploadScalar } from './scalars';
import { DateTimeScalar, PositiveIntScalar } from './seed000Scalars';

export type Resolver = GraphQLFieldResolver<any, GraphQLContext, any>;
/** Resolvers by type name, then field name. */
export type Resolvers = Record<string, Record<string, Resolver>>;

const SDL_PATH = path.join(__dirname, 'schema.graphql');
const SCALARS: GraphQLScalarType[] = [TimeScalar, MapScalar, Int64Scalar, UploadScalar, DateTimeScalar, PositiveIntScalar];

/**
 * Builds the executable schema from seed 003's SDL: scalar implementations and resolvers are
 * attached to the parsed types. Query/Mutation fields without a resolver answer NOT_IMPLEMENTED.
 */
export function buildExecutableSchema(...parts: Resolvers[]): GraphQLSchema {
  const schema = buildSchema(fs.readFileSync(SDL_PATH, 'utf8'));
  for (const impl of SCALARS) {
    const type = schema.getType(impl.name);
    if (!type || !isScalarType(type)) throw new Error(`schema.graphql lacks scalar ${impl.name}`);
    Object.assign(type, {
      serialize: impl.serialize,
      parseValue: impl.parseValue,
      parseLiteral: impl.parseLiteral,
    });
  }
  const merged: Resolvers = {};
  for (const part of parts) {
    for (const [typeName, fields] of Object.entries(part)) merged[typeName] = { ...merged[typeName], ...fields };
  }
  for (const [typeName, fields] of Object.entries(merged)) {
    const type = schema.getType(typeName);
    if (!type || !isObjectType(type)) throw new Error(`resolvers name unknown type ${typeName}`);
    for (const [fieldName, resolve] of Object.entries(fields)) {
      const field = type.getFields()[fieldName];
      if (!field) throw new Error(`resolvers name unknown field ${typeName}.${fieldName}`);
      // Domain errors become GraphQL errors in one place; resolvers just throw.
      field.resolve = async (...args) => {
        try {
          return await resolve(...args);
        } catch (err) {
          throw toGraphQLError(err);
        }
      };
    }
  }
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values((root as GraphQLObjectType).getFields())) {
      const name = field.name;
      const resolve: Resolver =
        field.resolve ??
        (() => {
          throw notImplemented(name);
        });
      // Roles are checked here, once for every operation, before any resolver runs (src/auth/permissions.ts).
      field.resolve = (source, args, ctx: GraphQLContext, info) => {
        try {
          authorize(ctx.principal, name);
        } catch (err) {
          throw toGraphQLError(err);
        }
        return resolve(source, args, ctx, info);
      };
    }
  }
  return schema;
}
