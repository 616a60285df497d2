// Hosts one in-memory PGlite for a test file, outside jest's module sandbox.
// PGlite's CommonJS build loads Node built-ins with dynamic import(), which
// jest's CommonJS runtime refuses without --experimental-vm-modules; a worker
// thread is a plain Node context where it works. See ./db.ts.
"use strict";
const { parentPort } = require("node:worker_threads");
const { PGlite } = require("@electric-sql/pglite");

const db = new PGlite();

parentPort.on("message", async ({ id, text, values, close }) => {
  try {
    if (close) {
      await db.close();
      parentPort.postMessage({ id, rows: [] });
      return;
    }
    const result = await db.query(text, values);
    parentPort.postMessage({ id, rows: result.rows });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
  }
});
