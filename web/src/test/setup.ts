import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => {
  cleanup();
});

// findBy / waitFor poll up to 5 s, not 1 s: on a loaded 2-core CI machine a view's fetches
// and renders can take longer, and a condition that is never met still fails.
configure({ asyncUtilTimeout: 5000 });

// Mantine's provider reads the preferred color scheme; jsdom has no matchMedia.
if (typeof window !== "undefined" && !window.matchMedia) {
  window.matchMedia = (query: string) => ({
    matches: false, media: query, onchange: null,
    addListener: () => {}, removeListener: () => {}, addEventListener: () => {}, removeEventListener: () => {},
    dispatchEvent: () => false,
  });
}
