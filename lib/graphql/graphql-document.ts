/** The operation type and name of a request, as the document and the request's `operationName` say. */
export interface OperationIdentity {
  /** `query`, `mutation` or `subscription`; `undefined` when the document has no such operation. */
  type: string | undefined;
  /** The operation's name; `undefined` for an anonymous operation. */
  name: string | undefined;
}

interface DefinitionNode {
  kind?: string;
  operation?: string;
  name?: { value?: string };
}

/**
 * The operation a parsed document runs (graphql-js's `getOperationAST()` without importing graphql): the one
 * named `operationName`, else the only one. Unknown when the document is not a parsed one.
 */
export function operationOf(document: unknown, operationName: unknown): OperationIdentity {
  const definitions = (document as { definitions?: unknown } | null | undefined)?.definitions;
  if (!Array.isArray(definitions)) return { type: undefined, name: undefined };
  let found: DefinitionNode | undefined;
  for (const definition of definitions as DefinitionNode[]) {
    if (definition?.kind !== 'OperationDefinition') continue;
    if (typeof operationName === 'string' && operationName !== '') {
      if (definition.name?.value === operationName) return identity(definition);
    } else {
      // More than one operation and no operationName: graphql-js refuses to run it.
      if (found !== undefined) return { type: undefined, name: undefined };
      found = definition;
    }
  }
  return found === undefined ? { type: undefined, name: undefined } : identity(found);
}

function identity(definition: DefinitionNode): OperationIdentity {
  const name = definition.name?.value;
  return { type: definition.operation, name: typeof name === 'string' && name !== '' ? name : undefined };
}

// Strings (block strings first) and numbers: a number token starts with a digit or a minus, a name never does.
const LITERALS = /"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|(?<![_A-Za-z0-9])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * The document as `graphql.document` records it: every string and number literal replaced by `*`
 * (values typed into a query are user data; variables are never recorded), cut at `maxLength` characters.
 */
export function redactedDocument(source: string, maxLength: number): string {
  const redacted = source.replace(LITERALS, '*');
  return redacted.length > maxLength ? redacted.slice(0, maxLength) : redacted;
}
