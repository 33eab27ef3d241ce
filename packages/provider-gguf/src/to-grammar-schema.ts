import { errorCodes, HeylookError } from '@heylook/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { GbnfJsonSchema } from 'node-llama-cpp';

type Node = Record<string, unknown>;
type Literal = string | number | boolean | null;

/** Keywords that only describe a value; JSON Schema validators never check them. */
const annotations = new Set(['title', 'description', 'default', 'examples', '$comment', 'deprecated', 'readOnly', 'writeOnly']);
const typeNames = ['string', 'number', 'integer', 'boolean', 'null', 'object', 'array'] as const;
type TypeName = (typeof typeNames)[number];
/** What each type may carry besides `type` and annotations: exactly what the grammar enforces. */
const keywordsOf: Record<TypeName, readonly string[]> = {
  string: ['minLength', 'maxLength', 'format'],
  number: [],
  // Only as a small range, written out as its values (see #integerRange).
  integer: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'],
  boolean: [],
  null: [],
  object: ['properties', 'required', 'additionalProperties', 'minProperties', 'maxProperties'],
  array: ['items', 'prefixItems', 'minItems', 'maxItems', 'uniqueItems'],
};
const formats = ['date-time', 'date', 'time'];
/** Grammar repetitions are expanded into rules by llama.cpp; past this a bound costs more than it is worth. */
const maxBound = 1000;
/** An integer range with at most this many values is enforced by listing them. */
const maxRangeValues = 1000;
/** JSON nesting of the schema document (a property is two levels); deeper schemas are refused before any recursion. */
const maxDepth = 64;

const metaValidator = new Ajv2020({ strict: false, validateFormats: false });

/**
 * Turns a request's JSON schema into the subset node-llama-cpp turns into a grammar, and
 * refuses (400, naming the keyword and where it is) whatever that grammar would not enforce,
 * so every answer that ends with `stop` validates against the schema the client sent.
 * node-llama-cpp's own converter silently ignores what it does not know (`anyOf`,
 * `minimum`, `pattern`…), and treats a schema without `type` as `null`.
 */
export function toGrammarSchema(schema: unknown, param = 'response_format'): GbnfJsonSchema {
  return new SchemaTranslator(schema, param).translate();
}

class SchemaTranslator {
  readonly #defs = new Map<string, GbnfJsonSchema | undefined>();
  readonly #root: Node;

  constructor(
    schema: unknown,
    private readonly param: string,
  ) {
    if (!isNode(schema)) this.#fail('#', 'the schema must be a JSON object');
    if (depthOf(schema) > maxDepth) this.#fail('#', `it is nested deeper than ${maxDepth} levels`);
    // The meta-schema is the 2020-12 one whatever `$schema` says: we do not carry the older ones.
    const { $schema: _ignored, ...rest } = schema as Node;
    if (!metaValidator.validateSchema(rest)) {
      const text = metaValidator.errorsText(metaValidator.errors, { dataVar: 'schema', separator: '; ' });
      this.#fail('#', `it is not a valid JSON Schema (${text})`);
    }
    this.#root = schema as Node;
  }

  translate(): GbnfJsonSchema {
    const result = this.#node(this.#root, '#', true);
    if (this.#defs.size === 0) return result;
    const $defs = Object.fromEntries([...this.#defs].map(([name, def]) => [name, def!]));
    // node-llama-cpp reads $defs on refs, objects, arrays and oneOf; a union is the one wrapper every root fits in.
    return { oneOf: [result], $defs } as GbnfJsonSchema;
  }

  #node(node: unknown, at: string, root = false): GbnfJsonSchema {
    if (!isNode(node)) this.#fail(at, 'boolean schemas are not supported here; give the value a type');
    const keys = Object.keys(node).filter((key) => !annotations.has(key) && !key.startsWith('x-'));
    const rootOnly = ['$schema', '$id', '$defs', 'definitions'];
    for (const key of keys) {
      if (rootOnly.includes(key) && !root) this.#fail(`${at}/${key}`, `"${key}" is only supported at the root of the schema`);
    }
    const own = keys.filter((key) => !rootOnly.includes(key));
    const has = (key: string) => own.includes(key);
    const only = (allowed: string[], what: string) => {
      const extra = own.find((key) => !allowed.includes(key));
      if (extra) this.#fail(`${at}/${extra}`, `"${extra}" cannot be combined with ${what}`);
    };

    if (has('$ref')) {
      only(['$ref'], '"$ref"');
      return { $ref: `#/$defs/${this.#ref(node.$ref as string, at)}` } as GbnfJsonSchema;
    }
    if (has('allOf')) {
      const parts = node.allOf as unknown[];
      if (parts.length !== 1 || own.length > 1) this.#fail(`${at}/allOf`, '"allOf" is only supported with a single schema and nothing beside it');
      return this.#node(parts[0], `${at}/allOf/0`);
    }
    if (has('anyOf') || has('oneOf')) {
      const keyword = has('anyOf') ? 'anyOf' : 'oneOf';
      only([keyword], `"${keyword}"`);
      const options = (node[keyword] as unknown[]).map((option, index) => this.#node(option, `${at}/${keyword}/${index}`));
      if (keyword === 'oneOf') this.#assertDisjoint(node.oneOf as unknown[], `${at}/oneOf`);
      return union(options);
    }
    if (has('const') || has('enum')) {
      only(['const', 'enum', 'type'], '"const" or "enum"');
      return this.#literals(node, at);
    }
    const types = this.#types(node, own, at);
    const typed = types.map((type) => this.#typed(type, node, own, at));
    return union(typed);
  }

  /** The types a schema allows: its `type`, or the one its keywords imply. */
  #types(node: Node, own: string[], at: string): TypeName[] {
    if (node.type !== undefined) {
      const types = (Array.isArray(node.type) ? node.type : [node.type]) as TypeName[];
      const known = own.filter((key) => key !== 'type');
      for (const key of known) {
        if (!types.some((type) => keywordsOf[type].includes(key))) this.#unsupported(`${at}/${key}`, key, types);
      }
      return types;
    }
    const implied = typeNames.filter((type) => own.some((key) => keywordsOf[type].includes(key)));
    if (implied.length !== 1) {
      const key = own[0];
      if (key) this.#unsupported(`${at}/${key}`, key, []);
      this.#fail(at, 'a value without "type" (or "enum", "const", "$ref", "anyOf") cannot be constrained; give it a type');
    }
    for (const key of own) if (!keywordsOf[implied[0]!].includes(key)) this.#unsupported(`${at}/${key}`, key, implied);
    return implied;
  }

  #typed(type: TypeName, node: Node, own: string[], at: string): GbnfJsonSchema {
    const value = (key: string) => (own.includes(key) ? node[key] : undefined);
    switch (type) {
      case 'string': {
        const format = value('format') as string | undefined;
        const minLength = value('minLength') as number | undefined;
        const maxLength = this.#bound(value('maxLength'), `${at}/maxLength`);
        if (format !== undefined) {
          if (!formats.includes(format)) this.#fail(`${at}/format`, `format "${format}" cannot be enforced; supported formats: ${formats.join(', ')}`);
          if (minLength !== undefined || maxLength !== undefined) this.#fail(`${at}/format`, '"format" cannot be combined with a length');
          return { type: 'string', format } as GbnfJsonSchema;
        }
        if (minLength !== undefined && maxLength !== undefined && minLength > maxLength) this.#fail(`${at}/minLength`, 'minLength is above maxLength');
        this.#bound(minLength, `${at}/minLength`);
        return { type: 'string', ...(minLength !== undefined ? { minLength } : {}), ...(maxLength !== undefined ? { maxLength } : {}) };
      }
      case 'integer':
        return this.#integerRange(node, own, at);
      case 'object':
        return this.#object(node, own, at);
      case 'array':
        return this.#array(node, own, at);
      default:
        return { type };
    }
  }

  /**
   * A bounded integer (`minimum`, `maximum`, `multipleOf`…): node-llama-cpp's grammar has no
   * ranges, so a range of at most 1000 values becomes the list of them, which it enforces.
   */
  #integerRange(node: Node, own: string[], at: string): GbnfJsonSchema {
    const range = keywordsOf.integer.filter((key) => own.includes(key));
    if (range.length === 0) return { type: 'integer' };
    const value = (key: string) => (own.includes(key) ? (node[key] as number) : undefined);
    const lowest = Math.max(ceilOf(value('minimum')), floorOf(value('exclusiveMinimum')) + 1);
    const highest = Math.min(floorOf(value('maximum'), Infinity), ceilOf(value('exclusiveMaximum'), Infinity) - 1);
    if (!Number.isFinite(lowest) || !Number.isFinite(highest) || highest - lowest >= maxRangeValues) {
      this.#fail(
        `${at}/${range[0]}`,
        `an integer range can only be enforced when it holds at most ${maxRangeValues} values (give both a minimum and a maximum); this one does not`,
      );
    }
    const step = value('multipleOf');
    const values: number[] = [];
    for (let candidate = lowest; candidate <= highest; candidate++) {
      if (step === undefined || Number.isInteger(candidate / step)) values.push(candidate);
    }
    if (values.length === 0) this.#fail(at, 'no integer lies in the given range');
    return values.length === 1 ? { const: values[0]! } : { enum: values };
  }

  #object(node: Node, own: string[], at: string): GbnfJsonSchema {
    const properties = (own.includes('properties') ? node.properties : {}) as Node;
    const names = Object.keys(properties);
    const translated = Object.fromEntries(names.map((name) => [name, this.#node(properties[name], `${at}/properties/${pointerPart(name)}`)]));
    const extra = own.includes('additionalProperties') ? node.additionalProperties : undefined;
    // node-llama-cpp writes every listed property, so `required` always holds for those; a
    // required name that is not listed would be left to chance.
    for (const name of (own.includes('required') ? node.required : []) as string[]) {
      if (!names.includes(name)) this.#fail(`${at}/required`, `"${name}" is required but not in "properties"; list it there`);
    }
    const minProperties = own.includes('minProperties') ? (node.minProperties as number) : undefined;
    const maxProperties = this.#bound(own.includes('maxProperties') ? node.maxProperties : undefined, `${at}/maxProperties`);
    if (maxProperties !== undefined && maxProperties < names.length) {
      this.#fail(`${at}/maxProperties`, `maxProperties is ${maxProperties} but every one of the ${names.length} properties is always written`);
    }
    const extraAllowed = extra !== undefined && extra !== false;
    if (minProperties !== undefined && minProperties > names.length && !extraAllowed) {
      this.#fail(`${at}/minProperties`, `minProperties is ${minProperties} but only ${names.length} properties are allowed`);
    }
    this.#bound(minProperties, `${at}/minProperties`);
    return {
      type: 'object',
      properties: translated,
      // JSON Schema allows extra properties by default; leaving them out is always valid.
      additionalProperties: extra === true ? true : isNode(extra) ? this.#node(extra, `${at}/additionalProperties`) : false,
      ...(minProperties !== undefined ? { minProperties } : {}),
      ...(maxProperties !== undefined ? { maxProperties } : {}),
    } as GbnfJsonSchema;
  }

  #array(node: Node, own: string[], at: string): GbnfJsonSchema {
    if (own.includes('uniqueItems') && node.uniqueItems === true) this.#fail(`${at}/uniqueItems`, '"uniqueItems": true cannot be enforced by a grammar');
    const prefix = (own.includes('prefixItems') ? node.prefixItems : undefined) as unknown[] | undefined;
    const items = own.includes('items') ? node.items : undefined;
    const minItems = own.includes('minItems') ? (node.minItems as number) : undefined;
    let maxItems = this.#bound(own.includes('maxItems') ? node.maxItems : undefined, `${at}/maxItems`);
    this.#bound(minItems, `${at}/minItems`);
    if (minItems !== undefined && maxItems !== undefined && minItems > maxItems) this.#fail(`${at}/minItems`, 'minItems is above maxItems');
    if (prefix && maxItems !== undefined && maxItems < prefix.length) {
      this.#fail(`${at}/maxItems`, `maxItems is ${maxItems} but prefixItems always writes ${prefix.length} items`);
    }
    if (items === false) {
      if (minItems !== undefined && minItems > (prefix?.length ?? 0)) this.#fail(`${at}/minItems`, 'minItems asks for more items than "items": false allows');
      maxItems = prefix?.length ?? 0;
    } else if (items !== undefined && !isNode(items)) {
      this.#fail(`${at}/items`, '"items" must be a schema or false');
    }
    return {
      type: 'array',
      ...(isNode(items) ? { items: this.#node(items, `${at}/items`) } : {}),
      ...(prefix ? { prefixItems: prefix.map((item, index) => this.#node(item, `${at}/prefixItems/${index}`)) } : {}),
      ...(minItems !== undefined ? { minItems } : {}),
      ...(maxItems !== undefined ? { maxItems } : {}),
    } as GbnfJsonSchema;
  }

  #literals(node: Node, at: string): GbnfJsonSchema {
    const values: unknown[] = node.const !== undefined ? [node.const] : (node.enum as unknown[]);
    if (node.const !== undefined && node.enum !== undefined) this.#fail(`${at}/enum`, '"enum" cannot be combined with "const"');
    const types = node.type === undefined ? undefined : ((Array.isArray(node.type) ? node.type : [node.type]) as TypeName[]);
    for (const [index, value] of values.entries()) {
      if (value !== null && typeof value === 'object') this.#fail(`${at}/${node.const !== undefined ? 'const' : `enum/${index}`}`, 'only strings, numbers, booleans and null can be listed');
    }
    const allowed = (values as Literal[]).filter((value) => !types || types.some((type) => literalHasType(value, type)));
    if (allowed.length === 0) this.#fail(at, 'no listed value has the given "type"');
    return allowed.length === 1 ? { const: allowed[0]! } : { enum: allowed };
  }

  /** Registers a local reference (`#/$defs/x` or `#/definitions/x`) and returns its name. */
  #ref(ref: string, at: string): string {
    const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
    if (!match) this.#fail(`${at}/$ref`, `only references to "#/$defs/<name>" or "#/definitions/<name>" are supported, not "${ref}"`);
    const [, section, encoded] = match;
    const name = encoded!.replace(/~1/g, '/').replace(/~0/g, '~');
    const defs = this.#root[section!];
    if (!isNode(defs) || !(name in defs)) this.#fail(`${at}/$ref`, `"${ref}" points to no definition`);
    const key = section === '$defs' ? name : `definitions.${name}`;
    if (!this.#defs.has(key)) {
      this.#defs.set(key, undefined); // set first: a recursive definition refers to itself
      this.#defs.set(key, this.#node(defs[name], `#/${section}/${encoded}`));
    }
    return key;
  }

  /** oneOf means exactly one: the grammar generates any of them, so their values must not overlap. */
  #assertDisjoint(options: unknown[], at: string): void {
    const kinds = options.map((option) => this.#kinds(option));
    for (let i = 0; i < kinds.length; i++) {
      for (let j = i + 1; j < kinds.length; j++) {
        if (overlaps(kinds[i]!, kinds[j]!)) {
          this.#fail(at, `alternatives ${i} and ${j} can match the same value, so "exactly one" cannot be guaranteed; use "anyOf" or make them differ by type, const or enum`);
        }
      }
    }
  }

  /** What values a schema can produce, coarsely: types, literal sets, or objects told apart by a const property. */
  #kinds(schema: unknown, depth = 0): Kind {
    if (!isNode(schema) || depth > 8) return { types: new Set(typeNames) };
    if (typeof schema.$ref === 'string') {
      const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(schema.$ref);
      const defs = match ? this.#root[match[1]!] : undefined;
      return this.#kinds(isNode(defs) ? defs[match![2]!] : undefined, depth + 1);
    }
    if (schema.const !== undefined) return { literals: [schema.const as Literal] };
    if (Array.isArray(schema.enum)) return { literals: schema.enum as Literal[] };
    const types = new Set<TypeName>(schema.type === undefined ? typeNames : ((Array.isArray(schema.type) ? schema.type : [schema.type]) as TypeName[]));
    if (types.has('number')) types.add('integer');
    const tags = new Map<string, Literal[]>();
    if (types.size === 1 && types.has('object') && isNode(schema.properties)) {
      for (const [name, property] of Object.entries(schema.properties)) {
        const kind = this.#kinds(property, depth + 1);
        if (kind.literals) tags.set(name, kind.literals);
      }
    }
    return { types, tags };
  }

  #bound(value: unknown, at: string): number | undefined {
    if (typeof value === 'number' && value > maxBound) this.#fail(at, `${value} is above the ${maxBound} a grammar can enforce`);
    return value as number | undefined;
  }

  #unsupported(at: string, keyword: string, types: TypeName[]): never {
    const known = typeNames.some((type) => keywordsOf[type].includes(keyword));
    const what = types.length ? `for type ${types.join('/')}` : 'here';
    if (keywordsOf.integer.includes(keyword) && types.includes('number')) {
      this.#fail(at, `"${keyword}" cannot be enforced on a number; only an integer range of at most ${maxRangeValues} values can`);
    }
    this.#fail(
      at,
      known
        ? `"${keyword}" does not apply ${what}`
        : `"${keyword}" cannot be enforced by the grammar (supported: type, enum, const, $ref, anyOf, oneOf, properties, required, additionalProperties, min/maxProperties, items, prefixItems, min/maxItems, min/maxLength, format date-time/date/time, small integer ranges)`,
    );
  }

  #fail(at: string, why: string): never {
    throw new HeylookError(errorCodes.invalidRequest, `The JSON schema cannot be used at ${at}: ${why}.`, { param: this.param });
  }
}

interface Kind {
  types?: Set<TypeName>;
  literals?: Literal[];
  /** For objects: properties whose value is one of a few literals. */
  tags?: Map<string, Literal[]>;
}

function overlaps(a: Kind, b: Kind): boolean {
  if (a.literals && b.literals) return a.literals.some((value) => b.literals!.some((other) => Object.is(value, other) || value === other));
  if (a.literals || b.literals) {
    const [literals, other] = a.literals ? [a.literals, b] : [b.literals!, a];
    return literals.some((value) => [...other.types!].some((type) => literalHasType(value, type)));
  }
  const shared = [...a.types!].filter((type) => b.types!.has(type));
  if (shared.length === 0) return false;
  if (shared.length === 1 && shared[0] === 'object') {
    // Discriminated objects: some property is a literal in both, with no value in common.
    for (const [name, values] of a.tags ?? []) {
      const others = b.tags?.get(name);
      if (others && !values.some((value) => others.includes(value))) return false;
    }
  }
  return true;
}

function literalHasType(value: Literal, type: TypeName): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'integer':
      return Number.isInteger(value);
    case 'number':
    case 'string':
    case 'boolean':
      return typeof value === type;
    default:
      return false;
  }
}

function union(options: GbnfJsonSchema[]): GbnfJsonSchema {
  return options.length === 1 ? options[0]! : { oneOf: options };
}

function ceilOf(value: number | undefined, otherwise = -Infinity): number {
  return value === undefined ? otherwise : Math.ceil(value);
}

function floorOf(value: number | undefined, otherwise = -Infinity): number {
  return value === undefined ? otherwise : Math.floor(value);
}

/** Nesting depth of a JSON value, without recursion (so a hostile depth cannot overflow the stack). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > maxDepth) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pointerPart(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}
