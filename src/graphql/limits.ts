import {
  getNamedType,
  GraphQLError,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  OperationTypeNode,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/**
 * Limits on what one GraphQL request may cost, checked as validation rules before anything runs.
 *
 * Rules:
 * 1. The query text is at most MAX_QUERY_CHARS characters and MAX_TOKENS tokens (checked by the
 *    request schema and by the parser), so parsing itself stays cheap.
 * 2. An operation nests at most MAX_DEPTH fields, selects at most MAX_FIELDS fields with fragments
 *    expanded, and nests at most MAX_LIST_NESTING list fields. Latchkey's own types are flat; the
 *    recursive ones are introspection's, where nested lists (`types { fields { type { fields ...`)
 *    multiply the answer. The standard introspection query (depth 15, 220 fields, 3 nested lists)
 *    fits, so GraphQL tools keep working.
 * 3. A mutation selects one root field. Each mutation checks a secret or signs a token; aliases
 *    must not let one request try many secrets past the per-request throttling and logging.
 */

export const MAX_QUERY_CHARS = 10_000;
export const MAX_TOKENS = 2_000;
export const MAX_DEPTH = 15;
export const MAX_FIELDS = 300;
export const MAX_LIST_NESTING = 4;

interface Shape {
  readonly depth: number;
  readonly lists: number;
}

/** Rule 2: depth, field count and list nesting of each operation. */
export const operationShapeRule: ValidationRule = (context) => ({
  OperationDefinition(operation) {
    const schema = context.getSchema();
    let fields = 0;
    const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined, at: Shape, fragments: ReadonlySet<string>): Shape => {
      let deepest = at;
      for (const selection of selectionSet.selections) {
        if (fields > MAX_FIELDS) break; // stop expanding: the answer is already "too many".
        let reached: Shape = at;
        if (selection.kind === Kind.FIELD) {
          fields += 1;
          const type = fieldType(parent, selection.name.value);
          const here = { depth: at.depth + 1, lists: at.lists + (type && returnsList(type) ? 1 : 0) };
          reached = selection.selectionSet ? walk(selection.selectionSet, type && getNamedType(type), here, fragments) : here;
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
          reached = walk(selection.selectionSet, type ?? undefined, at, fragments);
        } else {
          const name = selection.name.value;
          const fragment = context.getFragment(name);
          // A cycle is reported by the standard NoFragmentCycles rule; here it is only not followed.
          if (!fragment || fragments.has(name)) continue;
          const type = schema.getType(fragment.typeCondition.name.value) ?? undefined;
          reached = walk(fragment.selectionSet, type, at, new Set([...fragments, name]));
        }
        deepest = { depth: Math.max(deepest.depth, reached.depth), lists: Math.max(deepest.lists, reached.lists) };
      }
      return deepest;
    };
    const shape = walk(operation.selectionSet, schema.getRootType(operation.operation) ?? undefined, { depth: 0, lists: 0 }, new Set());

    if (fields > MAX_FIELDS) report(context, operation, `selects more than ${MAX_FIELDS} fields (fragments expanded); at most ${MAX_FIELDS} are allowed`);
    if (shape.depth > MAX_DEPTH) report(context, operation, `nests fields ${shape.depth} levels deep; at most ${MAX_DEPTH} are allowed`);
    if (shape.lists > MAX_LIST_NESTING) {
      report(context, operation, `nests ${shape.lists} list fields inside each other; at most ${MAX_LIST_NESTING} are allowed`);
    }
  },
});

/** Rule 3: one root field per mutation. */
export const singleMutationFieldRule: ValidationRule = (context) => ({
  OperationDefinition(operation) {
    if (operation.operation !== OperationTypeNode.MUTATION) return;
    const names: string[] = [];
    const collect = (selectionSet: SelectionSetNode, fragments: ReadonlySet<string>): void => {
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value !== '__typename') names.push(selection.alias?.value ?? selection.name.value);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          collect(selection.selectionSet, fragments);
        } else {
          const fragment = context.getFragment(selection.name.value);
          if (fragment && !fragments.has(fragment.name.value)) collect(fragment.selectionSet, new Set([...fragments, fragment.name.value]));
        }
      }
    };
    collect(operation.selectionSet, new Set());
    if (names.length > 1) {
      report(context, operation, `selects ${names.length} mutation fields (${names.join(', ')}); send one mutation field per request`);
    }
  },
});

export const limitRules: readonly ValidationRule[] = [operationShapeRule, singleMutationFieldRule];

function report(context: ValidationContext, operation: OperationDefinitionNode, problem: string): void {
  const name = operation.name ? `operation "${operation.name.value}"` : 'the operation';
  context.reportError(new GraphQLError(`${name} ${problem}`, { nodes: operation }));
}

function fieldType(parent: GraphQLNamedType | undefined, name: string): GraphQLOutputType | undefined {
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef.type;
  if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef.type;
  if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef.type;
  if (parent && (isObjectType(parent) || isInterfaceType(parent))) return parent.getFields()[name]?.type;
  return undefined; // An unknown field is reported by the standard FieldsOnCorrectType rule.
}

function returnsList(type: GraphQLOutputType): boolean {
  const inner = isNonNullType(type) ? type.ofType : type;
  return isListType(inner);
}
