import { isSecretKey, redactSecrets } from '../../lib/redaction/secret-redaction';

/** Each text carries the secret `S3CRET…` somewhere; the redacted text must keep the rest. */
const FORMATS: Array<[string, string, string]> = [
  // URLs
  ['URL user and password', 'connect ECONNREFUSED postgres://orders_admin:S3cr3t-P4ss@db.internal:5432/orders', 'connect ECONNREFUSED postgres://orders_admin:***@db.internal:5432/orders'],
  ['URL password only', 'redis://:hunter2@cache:6379/0', 'redis://:***@cache:6379/0'],
  ['URL token as user', 'clone https://ghp_abcdef123456@github.com/x/y failed', 'clone https://***@github.com/x/y failed'],
  ['URL password with /', 'postgres://app:S3cr/et@db:5432/orders is down', 'postgres://app:***@db:5432/orders is down'],
  ['URL password with #', 'postgres://app:S3c#ret@db:5432/orders is down', 'postgres://app:***@db:5432/orders is down'],
  ['URL password with ?', 'postgres://app:S3c?ret@db/orders is down', 'postgres://app:***@db/orders is down'],
  ['URL password with @', 'mongodb+srv://app:S3c@ret@cluster0.mongodb.net/orders?retryWrites=true', 'mongodb+srv://app:***@cluster0.mongodb.net/orders?retryWrites=true'],
  ['URL password with all of them', 'amqp://u:a/b#c?d@e@rabbit:5672', 'amqp://u:***@rabbit:5672'],
  ['URL in JSON', '{"url":"postgres://u:S3cret@db/x"}', '{"url":"postgres://u:***@db/x"}'],
  ['URL and a password in its query', 'postgres://orders_admin:S3cr3t@db:5432/orders?password=hunter2&sslmode=require', 'postgres://orders_admin:***@db:5432/orders?password=***&sslmode=require'],
  // key = value
  ['query api_key', 'GET https://api.example/v1?api_key=abc123&page=2 -> 401', 'GET https://api.example/v1?api_key=***&page=2 -> 401'],
  ['ADO connection string', 'Server=db;User Id=sa;Password=Pa55;', 'Server=db;User Id=sa;Password=***;'],
  ['DB_PASSWORD env', 'missing env: DB_PASSWORD=S3cret DB_HOST=db', 'missing env: DB_PASSWORD=*** DB_HOST=db'],
  ['PGPASSWORD env', 'PGPASSWORD=S3cret psql -h db', 'PGPASSWORD=*** psql -h db'],
  ['JSON password', 'bad config {"user":"app","password":"S3 cr\\"et"}', 'bad config {"user":"app","password":"***"}'],
  ['JSON inside a string', '"{\\"password\\":\\"S3cret\\",\\"user\\":\\"app\\"}"', '"{\\"password\\":\\"***\\",\\"user\\":\\"app\\"}"'],
  ['SECRET_KEY env', 'SECRET_KEY=django-insecure-S3cret', 'SECRET_KEY=***'],
  ['aws_secret_access_key ini', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key = ***'],
  ['client_secret YAML', "client_secret: 'S3cret'", "client_secret: '***'"],
  ['passphrase', 'passphrase=S3cret', 'passphrase=***'],
  ['jwt key', 'jwt=S3cret.x.y', 'jwt=***'],
  ['token key', 'refresh failed, refresh_token: S3cret', 'refresh failed, refresh_token: ***'],
  // headers and schemes
  ['Authorization Bearer', 'rejected header Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig', 'rejected header Authorization: Bearer ***'],
  ['lowercase authorization bearer', 'headers: { authorization: bearer S3cret-t0ken }', 'headers: { authorization: bearer *** }'],
  ['authorization Token', "{ 'authorization': 'Token S3cret123' }", "{ 'authorization': 'Token ***' }"],
  ['authorization Basic', 'Authorization: Basic dXNlcjpTM2NyZXQ=', 'Authorization: Basic ***'],
  ['authorization without a scheme', 'authorization=S3cret', 'authorization=***'],
  ['x-api-key', 'x-api-key: S3cret', 'x-api-key: ***'],
  ['Token credential', 'sent Token 9f3c2a1bS3cret to the API', 'sent Token *** to the API'],
  ['lowercase bearer credential', 'using bearer abc.S3cret.sig', 'using bearer ***'],
  ['cookie header', 'cookie: session=S3cret; theme=dark', 'cookie: ***'],
  // shapes
  ['Stripe live key', 'Invalid API Key provided: sk_live_51HS3cretAbCdEf', 'Invalid API Key provided: sk_live_***'],
  ['GitHub token', 'token ghp_S3cretS3cretS3cretS3cretS3cret00 rejected', 'token ghp_*** rejected'],
  ['Slack token', 'xoxb-1234567890-S3cretS3cret', 'xoxb-***'],
  ['JWT', 'invalid eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTM2NyZXQifQ.c2ln', 'invalid ***'],
  [
    'PEM private key',
    'bad key -----BEGIN PRIVATE KEY-----\nMIIEvS3cret\n-----END PRIVATE KEY----- end',
    'bad key -----BEGIN PRIVATE KEY-----***-----END PRIVATE KEY----- end',
  ],
  [
    'PEM RSA key, escaped newlines',
    '{"key":"-----BEGIN RSA PRIVATE KEY-----\\nMIIEvS3cret\\n-----END RSA PRIVATE KEY-----\\n"}',
    '{"key":"-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----\\n"}',
  ],
  ['PEM key cut short', 'key: -----BEGIN EC PRIVATE KEY-----\nMHcS3cret', 'key: -----BEGIN EC PRIVATE KEY-----***-----END EC PRIVATE KEY-----'],
];

const UNCHANGED = [
  'password authentication failed for user "orders"',
  'http://db.internal:5432 is down',
  'GET http://api:8080/users?email=a@b.com -> 404',
  'Token expired at 12:00',
  'Token validation failed for user-service',
  'Bearer token is missing',
  'basic auth required',
  'ECONNREFUSED 127.0.0.1:5432',
  'user orders@example.com not found',
  'the author: Jane',
  '-----BEGIN PUBLIC KEY-----\nMIIBIj\n-----END PUBLIC KEY-----',
  'timeout after 5000ms (retry=3, backoff=exp)',
  '',
];

describe('redactSecrets', () => {
  it.each(FORMATS)('%s', (_what, text, expected) => {
    const redacted = redactSecrets(text);
    expect(redacted).toBe(expected);
    expect(redacted).not.toMatch(/S3c|hunter2|wJalr|abc123|dXNlcjp|eyJzdW|MIIEv|MHcS/);
  });

  it.each(UNCHANGED)('keeps %j', (text) => {
    expect(redactSecrets(text)).toBe(text);
  });

  it('takes linear time on a long line without secrets', () => {
    const line = 'a://'.repeat(50_000) + 'x_'.repeat(50_000);
    expect(redactSecrets(line)).toBe(line);
  });
});

describe('isSecretKey', () => {
  it.each([
    'password', 'dbPassword', 'DB_PASSWORD', 'pass_word', 'dbPwd', 'pwd', 'passphrase', 'dbPass', 'secret', 'clientSecret',
    'token', 'accessToken', 'apiKey', 'api_key', 'privateKey', 'authorization', 'auth', 'basicAuth', 'auth_header',
    'authHeader', 'jwt', 'cookie', 'setCookie', 'credentials',
  ])('%s names a secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(['author', 'authority', 'host', 'user', 'status', 'passed', 'latencyMs', 'database'])('%s does not', (key) => {
    expect(isSecretKey(key)).toBe(false);
  });
});
