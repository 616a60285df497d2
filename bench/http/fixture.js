"use strict";
/**
 * What every HTTP scenario shares: the secret, the token, the route and the
 * payload, so the scenarios differ only in how the request is authenticated.
 */
const jwt = require("jsonwebtoken");

/** An HS256 secret as users write it: a plain string. */
const SECRET = "bench-secret-bench-secret-bench-secret";
const OWNER = "alice";
const THREAD_ID = "6f1d2c3e-0b8a-4b7e-9a51-2f4f3c1d9e10";
const ROUTE = `/threads/${THREAD_ID}`;

/** The thread every scenario returns (LangGraph's thread shape). */
const THREAD = Object.freeze({
  thread_id: THREAD_ID,
  created_at: "2025-01-01T00:00:00.000Z",
  updated_at: "2025-01-01T00:00:00.000Z",
  state_updated_at: "2025-01-01T00:00:00.000Z",
  metadata: { owner: OWNER, topic: "tax" },
  status: "idle",
  values: {},
  interrupts: {},
  config: {},
  error: null,
});

/** A valid token for the owner, valid for two hours. */
function validToken() {
  return jwt.sign({ sub: OWNER, scopes: ["threads:read"] }, SECRET, { algorithm: "HS256", expiresIn: "2h" });
}

/** A token with a bad signature. */
function invalidToken() {
  return jwt.sign({ sub: OWNER, scopes: ["threads:read"] }, "not-the-secret-not-the-secret!!", {
    algorithm: "HS256",
    expiresIn: "2h",
  });
}

module.exports = { SECRET, OWNER, THREAD_ID, ROUTE, THREAD, validToken, invalidToken };
