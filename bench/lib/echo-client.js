'use strict';
/**
 * One WebSocket echo client for the benches (bench/websockets.js, bench/websocket-callgrind.js), on
 * socket.io or ws, against bench/websocket-server.js's `echo` handler.
 *
 *   const client = await connectEchoClient('ws', port);
 *   await client.send('hello');   // resolves with the next echo
 *   client.close();
 */
const { io } = require('socket.io-client');
const WebSocket = require('ws');

async function connectEchoClient(transport, port) {
  if (transport === 'socket.io') {
    const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
    let pending = null;
    socket.on('echo', () => pending?.());
    return { send: (data) => new Promise((resolve) => ((pending = resolve), socket.emit('echo', data))), close: () => socket.disconnect() };
  }
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let pending = null;
  ws.on('message', () => pending?.());
  return { send: (data) => new Promise((resolve) => ((pending = resolve), ws.send(JSON.stringify({ event: 'echo', data })))), close: () => ws.close() };
}

module.exports = { connectEchoClient };
