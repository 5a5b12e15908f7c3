'use strict';
/**
 * The IPC side every bench server shares with the parent that forks it (bench/http.js, bench/graphql.js):
 * it sends `{ port, pid }` once the app listens, passes every other message to `onMessage`, closes the
 * app and exits on `'exit'`, and exits when the parent goes away (so a killed bench leaves no server).
 *
 *   serveBenchIpc(app, { onMessage, onExit })   onMessage(message) for messages other than 'exit';
 *                                               onExit() after app.close(), before process.exit(0)
 *   runServer(main)                            runs main(), prints its error and exits 1 if it fails
 */
function serveBenchIpc(app, { onMessage, onExit } = {}) {
  const { port } = app.getHttpServer().address();
  process.on('message', async (message) => {
    if (message === 'exit') {
      await app.close();
      await onExit?.();
      process.exit(0);
    }
    await onMessage?.(message);
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ port, pid: process.pid });
}

function runServer(main) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

module.exports = { serveBenchIpc, runServer };
