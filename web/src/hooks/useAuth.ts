import { useSyncExternalStore } from "react";
import { authState, subscribeAuth, type AuthState } from "../api/client";

/** The API key state of the client (re-renders when a key is set, forgotten or asked for). */
export function useAuth(): AuthState {
  return useSyncExternalStore(subscribeAuth, authState, authState);
}
