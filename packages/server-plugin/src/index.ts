/**
 * @gatehouse/express: LangGraph-style authentication and authorization for Express.
 * Explicit named exports only.
 */
import "./augment";
export type { Register, RegisteredUser } from "./augment";

export { Auth } from "./auth";
export type { AuthOptions, AuthLogger, Handler } from "./auth";
export { HTTPException, isHTTPException, toErrorResponse, bearerChallenge } from "./errors";
export type { ErrorCode, ErrorResponse, HTTPExceptionOptions } from "./errors";
export { matchFilters, validateFilters, parseFilters, FilterError } from "./filters";
export type { Filters, FilterCondition, FilterScalar, Clause } from "./filters";
export { filtersToSql } from "./sql";
export type { FiltersToSqlOptions, SqlFragment } from "./sql";
export { BUILTIN_RESOURCES } from "./events";
export type * from "./events";
export { ALLOW_ALL } from "./decision";
export type { AuthContext, HandlerInput, HandlerResult, Decision, Unhandled } from "./decision";
export type { DecisionRecord, DecisionOutcome, DecisionHook } from "./audit";
export type { Explanation, ExplainCandidate } from "./explain";
export { checkPolicy } from "./check-policy";
export type { PolicyCheck } from "./check-policy";
export type { MiddlewareOptions, GuardOptions } from "./express";
export { errorHandler } from "./error-handler";
export type { ErrorHandlerOptions } from "./error-handler";
export type { AuthenticateFunction, StrategyRef, AuthenticateInput } from "./authenticate";
export { mapUser } from "./strategy-user";
export type { TypedStrategy, MappedStrategy, UserOf } from "./strategy-user";
export { FAILURE_DESCRIPTIONS } from "./auth-failure";
export type { JwksOptions } from "./jwks";
export { normalizeUser, InvalidUserError } from "./user";
export type { BaseUser, AuthUser, UserInput } from "./user";
export { jwtStrategy, defaultJwtUser, MAX_CLOCK_TOLERANCE } from "./jwt";
export type { JwtStrategyOptions, JwtClaimOptions, JwtAlgorithm, JwtPayload, JwtUser, JwtVerifyResult } from "./jwt";
