'use strict';
/** The attributes the module's HttpTracingListener sets on a `GET /hello` server span, for the span benches. */
const SERVER_SPAN_ATTRIBUTES = Object.freeze({
  'url.path': '/hello',
  'url.scheme': 'http',
  'network.protocol.version': '1.1',
  'server.address': 'localhost',
  'server.port': 3000,
  'user_agent.original': 'wrk/4.1.0',
  'client.address': '127.0.0.1',
  'http.request.method': 'GET',
  'http.response.status_code': 200,
  'http.route': '/hello',
  'nest.controller': 'HelloController',
  'nest.handler': 'hello',
});

module.exports = { SERVER_SPAN_ATTRIBUTES };
