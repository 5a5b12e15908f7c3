// Distinct exception classes kept per method; beyond it they share `exception="other"`.
const MAX_EXCEPTION_SERIES = 50;

/** Children per exception class name, bounded so that odd errors cannot create unbounded series. */
export class ChildCache<C> {
  private readonly children = new Map<string, C>();
  constructor(private readonly create: (exception: string) => C) {}

  get(error: unknown): C {
    let name = exceptionName(error);
    let child = this.children.get(name);
    if (child === undefined) {
      if (this.children.size >= MAX_EXCEPTION_SERIES) name = 'other';
      child = this.children.get(name) ?? this.create(name);
      this.children.set(name, child);
    }
    return child;
  }
}

function exceptionName(error: unknown): string {
  if (error instanceof Error) return error.constructor?.name || error.name || 'Error';
  return error === null ? 'null' : typeof error;
}
