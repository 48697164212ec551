/**
 * The app's design system: Mantine's provider with one theme (system fonts: nothing loads
 * from the network), light and dark color schemes (the choice kept in localStorage under
 * `shoal.colorScheme`), and the toggle in the header. Only the Mantine components the app
 * uses bring their CSS (main.tsx), so the bundle stays small.
 */
import { ActionIcon, createTheme, localStorageColorSchemeManager, MantineProvider, useMantineColorScheme } from "@mantine/core";
import type { ReactNode } from "react";

export const COLOR_SCHEME_KEY = "shoal.colorScheme";

export const theme = createTheme({
  primaryColor: "blue",
  primaryShade: { light: 7, dark: 5 },
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  fontFamilyMonospace: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace',
  fontSizes: { xs: "12px", sm: "13px", md: "14px", lg: "16px", xl: "18px" },
  defaultRadius: "sm",
  headings: { fontWeight: "600", sizes: { h1: { fontSize: "18px" }, h2: { fontSize: "15px" }, h3: { fontSize: "14px" } } },
  // Keyboard focus is always visible (the matrix and tabs are keyboard-driven).
  focusRing: "auto",
});

const colorSchemeManager = localStorageColorSchemeManager({ key: COLOR_SCHEME_KEY });

export function ThemeProvider({ children }: { children: ReactNode }) {
  return (
    <MantineProvider theme={theme} colorSchemeManager={colorSchemeManager} defaultColorScheme="light">
      {children}
    </MantineProvider>
  );
}

/** Light / dark, remembered in this browser (localStorage). */
export function ColorSchemeToggle() {
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const dark = colorScheme === "dark";
  return (
    <ActionIcon variant="default" size="lg" aria-label="Dark mode" aria-pressed={dark}
      title={dark ? "Switch to the light theme" : "Switch to the dark theme"}
      onClick={() => setColorScheme(dark ? "light" : "dark")}>
      <span aria-hidden="true">{dark ? "☀" : "☾"}</span>
    </ActionIcon>
  );
}
