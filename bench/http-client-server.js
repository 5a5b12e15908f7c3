'use strict';
/**
 * The local server of bench/http-client.js, in a process of its own (its CPU is not the caller's):
 * answers `ok` to every request, keep-alive, on a port from the OS that it sends to its parent over
 * IPC; exits when the parent goes away.
 */
const server = require('node:http').createServer((req, res) => res.end('ok'));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('disconnect', () => process.exit(0));
