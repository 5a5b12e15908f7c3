/**
 * Credentials that errors and details commonly carry, removed before a probe body or a scrape error is
 * served, a line is logged or a span's exception is exported: a database client's error often quotes its
 * connection string (`connect ECONNREFUSED postgres://orders_admin:S3cr3t@db.internal:5432/orders`), an
 * HTTP client its request headers, a config loader its environment.
 *
 * The rules err on the side of hiding: a word that merely looks like a credential after `token:` is
 * hidden too. Prose stays as it is ("password authentication failed", "Token expired").
 */

/** The mark that replaces a secret. */
export const REDACTED = '***';

/** A PEM private key, also one cut short (no END line): the whole body goes. */
const PEM_PRIVATE_KEY = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;

/**
 * The user info of a URL. A password may hold `/`, `#`, `?`, `:` or `@` unencoded (clients accept
 * that), so it runs to the `@` that is followed by a host and the end of the authority. A `host:port/…`
 * whose path holds an `@` (`http://api:8080/u?mail=a@b.c`) is no password: digits then `/`, `?` or `#`
 * are a port. The password is bounded, so a long line costs linear time.
 */
const URL_USERINFO =
  /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#"'<>]*)(?::(?!\d{1,5}(?:[/?#]|$))([^\s"]{0,256}?))?@(?=[a-z0-9_.[\]-]+(?::\d*)?(?:[/?#\s"'<>),;\\]|$))/gi;

/** Header-like pairs whose whole value is a credential: `Authorization: Bearer x`, `x-api-key: x`. */
const AUTH_HEADER =
  /(?<![a-z0-9-])((?:proxy-)?authorization|x-api-key|x-auth-token)(\\?["']?\s*[:=]\s*\\?["']?)(?:(bearer|basic|token|digest|negotiate|apikey|aws4-hmac-sha256)\s+)?([^\s"',;\\]+)/gi;

/** Cookies: the value runs to the end of the line (or of a quoted value). */
const COOKIE_HEADER = /(?<![a-z0-9-])((?:set-)?cookie)(\\?["']?\s*[:=]\s*)(\\"(?:[^"\\]|\\[^"])*\\"|"(?:[^"\\]|\\.)*"|[^\r\n"]+)/gi;

/** Words that make a key (`DB_PASSWORD`, `"client_secret"`, `aws_secret_access_key`, `jwt`) name a secret. */
const SECRET_WORD = String.raw`(?:password|passwd|passphrase|pass_word|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credentials?|jwt|signature|session[-_]?id)`;
const KEY_CHARS = String.raw`[a-z0-9_.-]{0,64}`;
/**
 * `key=value`, `key: value`, `"key":"value"` (also JSON inside a string, `\"key\":\"value\"`), in env
 * files, query strings, ADO-style connection strings and serialized objects.
 */
const KEY_VALUE = new RegExp(
  String.raw`(?<![a-z0-9])(\\?["']?${KEY_CHARS}${SECRET_WORD}${KEY_CHARS}\\?["']?)(\s*[=:]\s*)` +
    String.raw`(\\"(?:[^"\\]|\\[^"])*\\"|"(?:[^"\\]|\\.)*"|'[^']*'|[^\s;,&"'}\]\\]+)`,
  'gi',
);

/** An auth scheme and its credential outside a header (`bearer eyJ…`, `Token 9f3…`). */
const SCHEME_CREDENTIAL = /\b(bearer|basic|token|digest)(\s+)([a-z0-9._~+/=-]{8,})/gi;

/** Credentials recognisable by their shape: vendors' key prefixes and JWTs. The prefix stays, to help debugging. */
const SHAPED_TOKEN =
  /\b(sk_live_|sk_test_|rk_live_|rk_test_|whsec_|gh[pousr]_|github_pat_|glpat-|xox[abprs]-|npm_|AKIA|ASIA)[a-z0-9_-]{8,}|\beyJ[a-z0-9_-]{6,}\.eyJ[a-z0-9_-]{6,}\.[a-z0-9_-]*/gi;

/**
 * Removes credentials from a text:
 * - the password of a URL's user info (the user name stays, as it helps to debug), or the user info
 *   itself when it is a lone token;
 * - `password=…`, `DB_PASSWORD=…`, `"client_secret": "…"`, `aws_secret_access_key = …`, `token: …` pairs;
 * - `Authorization`/`Cookie` header values, `Bearer`/`Basic`/`Token` credentials (any case);
 * - PEM private keys, JWTs, vendor keys (`sk_live_…`, `ghp_…`, `xoxb-…`, `AKIA…`).
 *
 * @example
 * redactSecrets('connect ECONNREFUSED postgres://app:pw@db:5432/x') // 'connect ECONNREFUSED postgres://app:***@db:5432/x'
 * redactSecrets('DB_PASSWORD=hunter2 node main.js') // 'DB_PASSWORD=*** node main.js'
 */
export function redactSecrets(text: string): string {
  if (typeof text !== 'string' || text.length < 6) return text;
  return text
    .replace(PEM_PRIVATE_KEY, (_match, kind: string) => `-----BEGIN ${kind}PRIVATE KEY-----${REDACTED}-----END ${kind}PRIVATE KEY-----`)
    .replace(URL_USERINFO, (_match, scheme: string, user: string, password: string | undefined) =>
      password === undefined ? `${scheme}${user === '' ? '' : REDACTED}@` : `${scheme}${user}:${REDACTED}@`,
    )
    .replace(AUTH_HEADER, (_match, key: string, separator: string, scheme: string | undefined) =>
      `${key}${separator}${scheme === undefined ? '' : `${scheme} `}${REDACTED}`,
    )
    .replace(COOKIE_HEADER, (_match, key: string, separator: string) => `${key}${separator}${REDACTED}`)
    .replace(KEY_VALUE, (match, key: string, separator: string, value: string) =>
      value === REDACTED || value.includes(REDACTED) ? match : `${key}${separator}${quoted(value, REDACTED)}`,
    )
    .replace(SHAPED_TOKEN, (_match, prefix: string | undefined) => `${prefix ?? ''}${REDACTED}`)
    .replace(SCHEME_CREDENTIAL, (match, scheme: string, space: string, credential: string) =>
      // "Token validation failed" is prose; a credential has a digit or a symbol in it.
      credential !== REDACTED && /[0-9._~+/=-]/.test(credential) ? `${scheme}${space}${REDACTED}` : match,
    );
}

/** `replacement` in the quotes `value` had. */
function quoted(value: string, replacement: string): string {
  if (value.startsWith('\\"')) return `\\"${replacement}\\"`;
  const first = value[0];
  return first === '"' || first === "'" ? `${first}${replacement}${first}` : replacement;
}

/** Key words (after splitting camelCase, `_`, `-`, `.`) and run-together spellings that name a secret. */
const SECRET_KEY_PART = /password|passwd|passphrase|secret|token|apikey|accesskey|privatekey|credential|authorization|jwt|cookie|pwd|signature|sessionid/;

/**
 * Whether a details key names a secret: `password`, `dbPassword`, `pass_word`, `dbPwd`, `passphrase`,
 * `apiKey`, `authorization`, `auth`, `basicAuth`, `token`, `jwt`, `cookie`, `clientSecret`, … (but not
 * `author` or `authority`).
 */
export function isSecretKey(key: string): boolean {
  const flat = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (SECRET_KEY_PART.test(flat) || flat.endsWith('pass') || flat.endsWith('auth')) return true;
  // `authHeader`, `auth_info`: "auth" as a word of its own.
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .includes('auth');
}
