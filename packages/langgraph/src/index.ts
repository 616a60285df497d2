/**
 * @gatehouse/langgraph: a Gatehouse gateway in front of an unmodified LangGraph server.
 * Explicit named exports only.
 */
export { langgraphGateway, PUBLIC_PATHS } from "./gateway";
export type { GatewayRouter } from "./gateway";
export type { GatewayOptions } from "./options";
export { DEFAULT_FORWARD_HEADERS } from "./options";
export { GATEWAY_ROUTES, REFUSED_ROUTES } from "./routes";
export type { GatewayRoute, RouteKind } from "./routes";
export { mergeSearchMetadata } from "./scope";
export { withAuthUser } from "./enforce-runs";
