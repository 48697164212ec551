import { useSyncExternalStore } from "react";
import type { Scheme } from "../lib/color";

/** Mantine writes the scheme in force (after "auto" is resolved) on the root element. */
const ATTRIBUTE = "data-mantine-color-scheme";

function read(): Scheme {
  return document.documentElement.getAttribute(ATTRIBUTE) === "dark" ? "dark" : "light";
}

function subscribe(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: [ATTRIBUTE] });
  return () => observer.disconnect();
}

/**
 * The color scheme shown (light or dark), following the header's toggle. Read from the
 * page rather than Mantine's context, so a component drawing its own colors (the matrix)
 * works with or without the provider (its unit tests render it bare: light).
 */
export function useColorScheme(): Scheme {
  return useSyncExternalStore(subscribe, read, () => "light");
}
