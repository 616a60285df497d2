// LangGraph's own custom auth, recording every event its server raises (one JSON line each)
// to the file named by GATEHOUSE_EVENTS_FILE; it allows everything.
import fs from "node:fs";
import { Auth } from "@langchain/langgraph-sdk/auth";

const file = process.env.GATEHOUSE_EVENTS_FILE;

export const auth = new Auth()
  .authenticate(() => ({ identity: "recorder", permissions: [] }))
  .on("*", ({ event, value }) => {
    fs.appendFileSync(file, JSON.stringify({ event, keys: Object.keys(value ?? {}).sort() }) + "\n");
  });
