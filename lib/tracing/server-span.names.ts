/** How many names {@link ServerSpanNames} keeps; past it, names are built per request as before. */
const MAX_NAMES = 1000;

/**
 * The names of server spans, `GET /orders/:id`, made once per method and route instead of once per
 * request: a concatenation costs an allocation per request, and a long one is a ConsString that its
 * first reader (the OTLP encoder) flattens into another. Routes are the app's route templates, a
 * bounded set; the bound here is for an app with very many of them.
 *
 * Per HTTP listener, not per process: two apps in one process keep their own.
 */
export class ServerSpanNames {
  private readonly byRoute = new Map<string, Map<string, string>>();
  private size = 0;

  /** `${method} ${route}`, with `HTTP` for a method outside the known ones (`_OTHER`). */
  name(method: string, route: string): string {
    const methods = this.byRoute.get(route);
    const known = methods?.get(method);
    if (known !== undefined) return known;
    const name = `${method === '_OTHER' ? 'HTTP' : method} ${route}`;
    if (this.size >= MAX_NAMES) return name;
    if (methods === undefined) this.byRoute.set(route, new Map([[method, name]]));
    else methods.set(method, name);
    this.size++;
    return name;
  }
}
