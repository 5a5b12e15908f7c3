'use strict';
/**
 * The one query the GraphQL benches post (bench/graphql.js with wrk, bench/graphql-callgrind.js with
 * node:http) to bench/graphql-server.js's schema-first resolver.
 *
 *   QUERY_BODY                    the JSON body: `query OrderById { orderById(id: "1") { id total } }`
 *   const client = queryClient(port, sockets);
 *   await client.post();          // one query on a kept-alive socket; rejects unless 200 with the order
 *   client.close();
 */
const http = require('node:http');

const QUERY_BODY = JSON.stringify({ query: 'query OrderById { orderById(id: "1") { id total } }', operationName: 'OrderById' });
const EXPECTED = JSON.stringify({ data: { orderById: { id: '1', total: 42 } } });

function answers(text) {
  try {
    return JSON.stringify(JSON.parse(text)) === EXPECTED;
  } catch {
    return false;
  }
}

function queryClient(port, sockets) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const options = {
    host: '127.0.0.1',
    port,
    path: '/graphql',
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(QUERY_BODY) },
  };
  const post = () =>
    new Promise((resolve, reject) => {
      const request = http.request(options, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => (response.statusCode === 200 && answers(text) ? resolve() : reject(new Error(`query answered ${response.statusCode}: ${text}`))));
      });
      request.once('error', reject);
      request.end(QUERY_BODY);
    });
  return { post, close: () => agent.destroy() };
}

module.exports = { QUERY_BODY, queryClient };
