import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "**/.slipway/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        setImmediate: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        URLSearchParams: "readonly",
        AbortController: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", caughtErrors: "none" }] },
  },
  {
    // The dashboard's page runs in the browser.
    files: ["web/**/*.js"],
    languageOptions: {
      globals: {
        window: "readonly",
        document: "readonly",
        location: "readonly",
        fetch: "readonly",
        EventSource: "readonly",
        FormData: "readonly",
        Event: "readonly",
        getComputedStyle: "readonly",
        globalThis: "readonly",
      },
    },
  },
  {
    // Layers: strategies depend on the interfaces they own (src/rollout/fleet-view.ts), never on the daemon
    // that executes them (docs/architecture.md, "Layers").
    files: ["src/rollout/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/daemon/*", "**/daemon"],
              message:
                "src/rollout/ must not import src/daemon/: define the interface it needs in src/rollout/ and let the daemon implement it.",
            },
          ],
        },
      ],
    },
  },
);
