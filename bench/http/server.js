"use strict";
/**
 * Child process: builds one scenario's app, listens on 127.0.0.1 on an
 * ephemeral port, and tells the parent the port over IPC.
 * Usage (by http.js): node bench/http/server.js <scenario>
 */
const scenarios = require("./scenarios");

const name = process.argv[2];
const scenario = scenarios[name];
if (!scenario) {
  console.error(`Unknown scenario ${JSON.stringify(name)}; known: ${Object.keys(scenarios).join(", ")}`);
  process.exit(2);
}
const server = scenario.build().listen(0, "127.0.0.1", () => {
  process.send({ ready: true, port: server.address().port, pid: process.pid });
});
// The parent asks for this process's CPU time around each load window: CPU µs per request is
// far less sensitive to other processes on a shared machine than requests per second.
process.on("message", (message) => {
  if (message && message.cpu) process.send({ cpu: process.cpuUsage(), id: message.id });
});
server.on("error", (err) => {
  console.error(err);
  process.exit(1);
});
// Exit normally (so --cpu-prof can write its profile) when the parent says so or goes away.
function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 500).unref();
}
process.on("SIGTERM", stop);
process.on("disconnect", stop);
