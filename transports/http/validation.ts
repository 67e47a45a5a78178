/**
 * Request validation with ajv (JSON Schema 2020-12), compiled once per server at start-up.
 *
 * Two ajv instances: bodies are validated as sent (a JSON number is not a string), while query
 * and path parameters arrive as text and are coerced to their schema types (`?limit=10` is the
 * number 10; a repeated parameter fills an array). `allErrors` is off: the first violation is
 * reported, and a hostile document cannot make the validator enumerate thousands of them.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema, QueryParamSchema } from './types.js';

const addFormats = addFormatsModule.default;

/** One violation, as it appears in the problem body's `errors`: a JSON Pointer (RFC 6901) into
 *  the request seen as `{ body, query, path }`, and what is wrong there. */
export interface Violation {
  readonly pointer: string;
  readonly message: string;
}

/** Validates (and, for parameters, coerces and defaults in place); undefined when valid. */
export type Check = (value: unknown) => Violation | undefined;

export type Location = 'body' | 'query' | 'path';

export class Validators {
  readonly #exact = make(false);
  readonly #coercing = make('array');

  /** TypeError naming the operation when the schema is not valid 2020-12 (misuse, not input). */
  body(schema: JsonSchema, operationId: string): Check {
    return wrap(compile(this.#exact, schema, operationId, 'body'), 'body');
  }

  /** Query or path parameters, each with its own schema, as one object schema. */
  params(where: 'query' | 'path', params: Readonly<Record<string, QueryParamSchema | JsonSchema>>, operationId: string, allRequired: boolean): Check {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [name, param] of Object.entries(params)) {
      if (typeof param === 'object' && param !== null && 'required' in param && typeof param.required === 'boolean') {
        const { required: isRequired, ...schema } = param;
        properties[name] = schema;
        if (isRequired) required.push(name);
      } else {
        properties[name] = param;
      }
      if (allRequired) required.push(name);
    }
    const schema = { type: 'object', properties, required };
    return wrap(compile(this.#coercing, schema, operationId, where), where);
  }
}

function make(coerceTypes: false | 'array'): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: false, strict: true, coerceTypes, useDefaults: true });
  addFormats(ajv);
  return ajv;
}

function compile(ajv: Ajv2020, schema: JsonSchema, operationId: string, where: Location): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (err) {
    throw new TypeError(`route ${operationId}: the ${where} schema is not valid JSON Schema 2020-12: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function wrap(validate: ValidateFunction, where: Location): Check {
  return (value) => {
    if (validate(value)) return undefined;
    const first = validate.errors?.[0];
    return first === undefined ? { pointer: `/${where}`, message: 'is not valid' } : describe(first, where);
  };
}

/** RFC 6901 5: "~" and "/" inside a member name are escaped. */
function escapePointer(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Names the member at fault: a missing or unexpected property is named by its own pointer
 *  rather than by its parent's, which is where ajv reports it. */
function describe(e: ErrorObject, where: Location): Violation {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
    return { pointer: `/${where}${e.instancePath}/${escapePointer(params.missingProperty)}`, message: 'is required' };
  }
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return { pointer: `/${where}${e.instancePath}/${escapePointer(params.additionalProperty)}`, message: 'is not allowed' };
  }
  return { pointer: `/${where}${e.instancePath}`, message: e.message ?? `fails ${e.keyword}` };
}

/** "body/username must match pattern ..." from "/body/username": the detail line of the problem. */
export function violationDetail(v: Violation): string {
  return `${v.pointer.slice(1)} ${v.message}`;
}
